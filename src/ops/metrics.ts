import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PausedHost } from '../domain/host-backoff.js';
import type { DeadReason } from '../domain/notification-status.js';
import { NotificationStatuses } from '../domain/notification-status.js';
import { AttemptOutcomes, type AttemptResult } from '../domain/outcome.js';
import type { AppliedResult } from '../domain/ports.js';
import type { CachedCounts } from './cached-counts.js';
import { processMetricsRegistry } from './process-metrics.js';

export interface MetricsSources {
  /** The ledger's counts, cached (read at each scrape). */
  counts: CachedCounts;
  /** Attempts in flight right now (the scheduler's own count); absent: the ledger's leased rows. */
  inFlight?: () => number;
  /** Receiver hosts the scheduler is backing off (they refuse connections); absent: no scheduler here. */
  pausedHosts?: () => readonly PausedHost[];
  now?: () => number;
  /** Told when a scrape could not read the ledger (the gauges then keep their last values). */
  onCollectError?: (error: unknown) => void;
}

const DEAD_REASONS: readonly DeadReason[] = ['exhausted', 'gone', 'blocked'];

// Receivers answer in milliseconds to the 10 s default timeout (300 s at most).
const ATTEMPT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
// From enqueue to delivered spans the whole schedule: sub-second first attempts up to a day of retries.
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 21600, 43200, 86400, 172800];

/**
 * notifyd's Prometheus metrics, in a registry of their own per daemon (so one
 * process can run several, as the tests do), merged with the process-wide
 * default metrics for exposition. Counters move as events happen; the gauges
 * read the ledger's counts at scrape time through a short cache.
 */
export class NotifydMetrics {
  /** This daemon's own metrics. */
  readonly own = new Registry();
  /** What /metrics exposes: the daemon's metrics and the process's. */
  readonly registry: Registry;

  private readonly enqueuedTotal: Counter;
  private readonly attemptsTotal: Counter<'outcome'>;
  private readonly attemptDuration: Histogram<'outcome'>;
  private readonly deliveredTotal: Counter;
  private readonly deliveryLatency: Histogram;
  private readonly deadLettersTotal: Counter<'reason'>;
  private readonly replayedTotal: Counter;
  private readonly cancelledTotal: Counter;
  private readonly alertsTotal: Counter<'result'>;

  constructor(sources: MetricsSources) {
    const registers = [this.own];
    const now = sources.now ?? Date.now;

    this.enqueuedTotal = new Counter({
      name: 'notifyd_enqueued_total',
      help: 'Notifications accepted (202); an idempotent repeat of an existing one is not counted.',
      registers,
    });
    this.attemptsTotal = new Counter({
      name: 'notifyd_attempts_total',
      help: 'Delivery attempts recorded, by outcome class (success, rejected, http_error, timeout, network, blocked).',
      labelNames: ['outcome'],
      registers,
    });
    this.attemptDuration = new Histogram({
      name: 'notifyd_attempt_duration_seconds',
      help: 'Duration of one delivery attempt (the whole HTTP exchange), by outcome class.',
      labelNames: ['outcome'],
      buckets: ATTEMPT_BUCKETS,
      registers,
    });
    this.deliveredTotal = new Counter({
      name: 'notifyd_delivered_total',
      help: 'Notifications delivered (the receiver answered success).',
      registers,
    });
    this.deliveryLatency = new Histogram({
      name: 'notifyd_delivery_latency_seconds',
      help: 'From enqueue to delivered, retries (and any time dead before a replay) included.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.deadLettersTotal = new Counter({
      name: 'notifyd_dead_letters_total',
      help: 'Notifications that went dead (schedule exhausted, 410 Gone, or destination blocked), by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.replayedTotal = new Counter({
      name: 'notifyd_replayed_total',
      help: 'Notifications put back on their schedule by a replay (single or bulk).',
      registers,
    });
    this.cancelledTotal = new Counter({
      name: 'notifyd_cancelled_total',
      help: 'Pending notifications cancelled.',
      registers,
    });
    this.alertsTotal = new Counter({
      name: 'notifyd_dead_letter_alerts_total',
      help: 'Dead-letter alert batches sent to alerts.deadLetterWebhook, by result (delivered, failed after its retries).',
      labelNames: ['result'],
      registers,
    });

    // Every label value exists from the start, so rate() and absent() see a 0, not a missing series.
    for (const outcome of AttemptOutcomes) {
      this.attemptsTotal.inc({ outcome }, 0);
      this.attemptDuration.zero({ outcome });
    }
    for (const reason of DEAD_REASONS) this.deadLettersTotal.inc({ reason }, 0);
    for (const result of ['delivered', 'failed'] as const) this.alertsTotal.inc({ result }, 0);

    // The gauges read one cached count per scrape; a ledger that cannot answer leaves them at their last values.
    const readCounts = async () => {
      try {
        return (await sources.counts.get()).counts;
      } catch (error) {
        sources.onCollectError?.(error);
        return null;
      }
    };
    new Gauge({
      name: 'notifyd_notifications',
      help: 'Notifications in the ledger, by status (pending includes those in flight; dead is the dead-letter queue).',
      labelNames: ['status'],
      registers,
      async collect() {
        const counts = await readCounts();
        if (counts === null) return;
        for (const status of NotificationStatuses) this.set({ status }, counts[status]);
      },
    });
    new Gauge({
      name: 'notifyd_attempts_in_flight',
      help: 'Attempts handed to the executor whose result is not recorded yet.',
      registers,
      async collect() {
        if (sources.inFlight) {
          this.set(sources.inFlight());
          return;
        }
        const counts = await readCounts();
        if (counts !== null) this.set(counts.leased);
      },
    });
    if (sources.pausedHosts) {
      const pausedHosts = sources.pausedHosts;
      new Gauge({
        name: 'notifyd_receiver_hosts_paused',
        help: 'Receiver hosts backed off because they refuse connections: none of their attempts is leased until a probe gets through (delivery.hostBackoff).',
        registers,
        collect() {
          this.set(pausedHosts().length);
        },
      });
    }
    new Gauge({
      name: 'notifyd_oldest_pending_age_seconds',
      help: 'Age of the oldest pending notification (0 when none is pending): how far behind delivery is.',
      registers,
      async collect() {
        const counts = await readCounts();
        if (counts === null) return;
        const oldest = counts.oldestPendingCreatedAt;
        this.set(oldest === null ? 0 : Math.max(0, (now() - oldest) / 1000));
      },
    });

    this.registry = Registry.merge([processMetricsRegistry(), this.own]);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  enqueued(): void {
    this.enqueuedTotal.inc();
  }

  replayed(count = 1): void {
    if (count > 0) this.replayedTotal.inc(count);
  }

  cancelled(): void {
    this.cancelledTotal.inc();
  }

  alert(result: 'delivered' | 'failed'): void {
    this.alertsTotal.inc({ result });
  }

  /** One committed batch of attempt results; duplicates (not applied) are not counted again. */
  observeApplied(applied: readonly AppliedResult[], results: readonly AttemptResult[]): void {
    applied.forEach((outcome, i) => {
      const result = results[i];
      if (!outcome.applied || result === undefined) return;
      this.attemptsTotal.inc({ outcome: result.outcome });
      this.attemptDuration.observe({ outcome: result.outcome }, result.durationMs / 1000);
      const notification = outcome.notification;
      if (notification === null) return;
      if (outcome.status === 'delivered' && result.outcome === 'success') {
        this.deliveredTotal.inc();
        const deliveredAt = notification.deliveredAt ?? notification.updatedAt;
        this.deliveryLatency.observe(Math.max(0, deliveredAt - notification.createdAt) / 1000);
      } else if (outcome.status === 'dead') {
        this.deadLettersTotal.inc({ reason: notification.deadReason ?? 'exhausted' });
      }
    });
  }
}
