import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AttemptJob, Notification } from '../domain/notification.js';
import type { DeadReason } from '../domain/notification-status.js';
import { classifySendResult } from '../domain/outcome.js';
import type { Sender } from '../domain/ports.js';
import type { SuccessRule } from '../domain/success-rule.js';

export interface DeadLetterAlertsOptions {
  /** `alerts.deadLetterWebhook`. */
  url: string;
  /** notifyd's own sender, built for alerts (signed with `alerts.secret` when set). */
  sender: Sender;
  /** At most one alert per this long (`alerts.minIntervalSeconds`). */
  minIntervalMs: number;
  /** Ids listed in one alert at most (`alerts.maxIds`). */
  maxIds: number;
  /** `alerts.dashboardUrl`: alerts link to its dead-letter view. */
  dashboardUrl: string | null;
  /** Per attempt (`delivery.timeoutMs`). */
  timeoutMs: number;
  logger: Logger;
  /** Waits between the attempts of one alert; after the last, the alert is given up (and logged). */
  retryDelaysMs?: readonly number[];
  /** How long the first dead letter waits for others to join its alert. */
  gatherMs?: number;
  /** Told how each alert ended (the metrics count them). */
  onResult?: (result: 'delivered' | 'failed') => void;
  now?: () => number;
}

/** What the webhook receives (JSON). */
export interface DeadLetterAlert {
  type: 'notifyd.dead_letters';
  /** Also the `webhook-id` header, the same on every retry of this alert: receivers dedupe on it. */
  alertId: string;
  /** One line for a chat message. */
  summary: string;
  /** Dead letters in this alert. */
  count: number;
  firstDeadAt: string;
  lastDeadAt: string;
  /** Dead letters per receiver host, most first (at most MAX_HOSTS hosts; the rest in `otherHosts`). */
  byHost: Record<string, number>;
  otherHosts: number;
  byReason: Record<DeadReason, number>;
  /** The first `alerts.maxIds` ids, in the order they died. */
  ids: string[];
  /** How many more died than `ids` lists. */
  moreIds: number;
  /** The dashboard's dead-letter view from the first of these on, or null when `alerts.dashboardUrl` is unset. */
  dashboardUrl: string | null;
}

/** Ten tries over about 15 minutes: an alert receiver that is restarting or being deployed still gets it. */
const DEFAULT_RETRY_DELAYS_MS = [5_000, 15_000, 30_000, 60_000, 120_000, 120_000, 120_000, 120_000, 300_000];
const DEFAULT_GATHER_MS = 1_000;
const MAX_HOSTS = 100;
/** Any 2xx is enough: an alert receiver (Slack, PagerDuty, Alertmanager…) does not answer "success". */
const ANY_2XX: SuccessRule = { status: '2xx', body: null };

interface Batch {
  count: number;
  firstDeadAt: number;
  lastDeadAt: number;
  byHost: Map<string, number>;
  byReason: Record<DeadReason, number>;
  ids: string[];
}

function emptyBatch(): Batch {
  return {
    count: 0,
    firstDeadAt: Number.POSITIVE_INFINITY,
    lastDeadAt: 0,
    byHost: new Map(),
    byReason: { exhausted: 0, gone: 0, blocked: 0 },
    ids: [],
  };
}

/**
 * Batches dead letters into alerts for `alerts.deadLetterWebhook`: the first
 * dead letter opens a batch, which is sent after a short gathering wait, and
 * never sooner than `minIntervalMs` after the previous alert. Meanwhile, and
 * while an alert is being retried, new dead letters join the next batch, so
 * an outage that kills thousands of notifications sends a handful of alerts,
 * not thousands. Sending is detached from delivery: `add()` only counts, and
 * an alert that cannot be delivered is logged (the dead letters themselves
 * are safe in the ledger) and never holds anything up.
 */
export class DeadLetterAlerts {
  private batch: Batch | null = null;
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> | null = null;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly now: () => number;
  private readonly retryDelaysMs: readonly number[];
  private readonly gatherMs: number;
  private readonly host: string;

  constructor(private readonly options: DeadLetterAlertsOptions) {
    this.now = options.now ?? Date.now;
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.gatherMs = options.gatherMs ?? DEFAULT_GATHER_MS;
    this.host = new URL(options.url).host;
  }

  /** Dead letters just committed (the scheduler's applied results). Cheap and synchronous. */
  add(dead: readonly Notification[]): void {
    if (this.closed || dead.length === 0) return;
    const batch = (this.batch ??= emptyBatch());
    for (const n of dead) {
      const at = n.deadAt ?? this.now();
      batch.count += 1;
      batch.firstDeadAt = Math.min(batch.firstDeadAt, at);
      batch.lastDeadAt = Math.max(batch.lastDeadAt, at);
      batch.byHost.set(n.host, (batch.byHost.get(n.host) ?? 0) + 1);
      batch.byReason[n.deadReason ?? 'exhausted'] += 1;
      if (batch.ids.length < this.options.maxIds) batch.ids.push(n.id);
    }
    this.schedule();
  }

  /** Stops: an alert being retried is abandoned, an unsent batch is logged. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.batch) {
      const alert = this.toAlert(this.batch, 'unsent');
      this.options.logger.warn({ alert }, 'dead-letter alert not sent: shutting down (the dead letters are in the ledger)');
      this.batch = null;
    }
    this.abort.abort(new Error('shutting down'));
    await this.sending;
    await this.options.sender.close();
  }

  private schedule(): void {
    if (this.closed || this.timer !== null || this.sending !== null || this.batch === null) return;
    const now = this.now();
    const at = Math.max(now + this.gatherMs, this.lastSentAt + this.options.minIntervalMs);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, at - now);
    this.timer.unref?.();
  }

  private flush(): void {
    const batch = this.batch;
    if (batch === null || this.closed) return;
    this.batch = null;
    this.lastSentAt = this.now();
    this.sending = this.deliver(this.toAlert(batch, `alert_${randomUUID()}`))
      .catch((error: unknown) => this.options.logger.error({ err: error }, 'dead-letter alert failed unexpectedly'))
      .finally(() => {
        this.sending = null;
        this.schedule();
      });
  }

  private async deliver(alert: DeadLetterAlert): Promise<void> {
    const { sender, logger, url } = this.options;
    const body = JSON.stringify(alert);
    const about = { alertId: alert.alertId, count: alert.count, byHost: alert.byHost };
    for (let attempt = 1; ; attempt++) {
      const job: AttemptJob = {
        notificationId: alert.alertId,
        attempt,
        url,
        host: this.host,
        body,
        contentType: 'application/json',
        headers: {},
        timeoutMs: this.options.timeoutMs,
        success: ANY_2XX,
        leaseUntil: 0,
        first: attempt === 1,
      };
      const startedAt = this.now();
      const sent = await sender.send(job, this.abort.signal);
      const result = classifySendResult(ANY_2XX, sent, { notificationId: alert.alertId, attempt, startedAt });
      if (result.outcome === 'success') {
        logger.info({ ...about, attempt }, 'dead-letter alert delivered');
        this.options.onResult?.('delivered');
        return;
      }
      const delay = this.retryDelaysMs[attempt - 1];
      if (delay === undefined || this.closed) {
        logger.error(
          { alert, attempts: attempt, error: result.error, statusCode: result.statusCode },
          'dead-letter alert could not be delivered; giving up on it (the dead letters are in the ledger: notifyd dlq list)',
        );
        this.options.onResult?.('failed');
        return;
      }
      logger.warn({ ...about, attempt, error: result.error, statusCode: result.statusCode, retryInMs: delay }, 'dead-letter alert attempt failed; retrying');
      await sleep(delay, this.abort.signal);
    }
  }

  private toAlert(batch: Batch, alertId: string): DeadLetterAlert {
    const hosts = [...batch.byHost.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const listed = hosts.slice(0, MAX_HOSTS);
    const firstDeadAt = new Date(batch.firstDeadAt).toISOString();
    const lastDeadAt = new Date(batch.lastDeadAt).toISOString();
    const hostText = listed
      .slice(0, 5)
      .map(([host, n]) => `${host} (${n})`)
      .join(', ');
    const more = hosts.length > 5 ? ` and ${hosts.length - 5} more host(s)` : '';
    return {
      type: 'notifyd.dead_letters',
      alertId,
      summary: `notifyd: ${batch.count} notification(s) went dead between ${firstDeadAt} and ${lastDeadAt}: ${hostText}${more}`,
      count: batch.count,
      firstDeadAt,
      lastDeadAt,
      byHost: Object.fromEntries(listed),
      otherHosts: hosts.length - listed.length,
      byReason: { ...batch.byReason },
      ids: [...batch.ids],
      moreIds: batch.count - batch.ids.length,
      dashboardUrl: dashboardLink(this.options.dashboardUrl, batch.firstDeadAt),
    };
  }
}

/** `alerts.dashboardUrl` is notifyd's external base URL or its /ui page; the link filters the DLQ from the first death on. */
export function dashboardLink(base: string | null, since: number): string | null {
  if (base === null) return null;
  const url = new URL(base);
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith('/ui') ? path : `${path}/ui`;
  url.searchParams.set('since', new Date(since).toISOString());
  return url.toString();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    timer.unref?.();
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
