import type { Logger } from 'pino';
import type { AttemptResult } from '../domain/outcome.js';
import { HostBackoff, type HostBackoffPolicy, type PausedHost } from '../domain/host-backoff.js';
import type { AppliedResult, Executor, NotificationStore } from '../domain/ports.js';
import { InFlightAttempts } from './in-flight.js';

export interface SchedulerOptions {
  store: NotificationStore;
  executor: Executor;
  /** Attempts in flight at once: `delivery.concurrency` inline, `redis.dispatchWindow` with bullmq. */
  concurrency: number;
  perHostConcurrency: number;
  /** Added to each attempt's timeout to form its lease deadline. */
  leaseMarginMs: number;
  logger: Logger;
  now?: () => number;
  /** Called after each batch of results is committed (metrics, alerts). */
  onApplied?: (applied: AppliedResult[], results: AttemptResult[]) => void;
  /**
   * Longest sleep between looks at the ledger. Enqueues and results wake the
   * scheduler at once; this only bounds how late a row changed behind our
   * back (another process, a clock jump) is noticed.
   */
  maxSleepMs?: number;
  /** The per-host circuit breaker for receivers that refuse connections (`delivery.hostBackoff`); default DEFAULT_HOST_BACKOFF. */
  hostBackoff?: HostBackoffPolicy;
}

/**
 * Leases due attempts from the ledger, hands them to the executor, and
 * applies each result through the ledger (which asks the domain what comes
 * next). The same code runs with the inline and the bullmq executor.
 *
 * It never polls on a fixed delay for new work: `wake()` (called on enqueue,
 * replay and every result) runs a pass at once, and between passes it sleeps
 * until the earliest `next_attempt_at`.
 */
export class Scheduler {
  private readonly inFlight = new InFlightAttempts();
  private readonly hostBackoff: HostBackoff;
  private readonly now: () => number;
  private readonly maxSleepMs: number;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private passRunning = false;
  private passRequested = false;
  private stopping = false;
  private started = false;
  private idle: Promise<void> = Promise.resolve();
  /**
   * Slots only first attempts may take (1/8 of the window): however many
   * receivers are down and however many retries fall due, a new
   * notification's first attempt always finds a slot at once.
   */
  private readonly firstAttemptReserve: number;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.maxSleepMs = options.maxSleepMs ?? 5_000;
    this.hostBackoff = new HostBackoff(options.hostBackoff);
    this.firstAttemptReserve = options.concurrency >= 2 ? Math.max(1, Math.floor(options.concurrency / 8)) : 0;
    options.executor.onResults((results) => this.applyResults(results));
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.wake();
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Receiver hosts backed off because they refuse connections (see HostBackoff). */
  pausedHosts(): PausedHost[] {
    return this.hostBackoff.backedOff();
  }

  /** Runs a pass at the end of this event-loop turn; many wakes in one turn coalesce into one pass. */
  wake(): void {
    if (!this.started || this.stopping) return;
    if (this.passRunning) {
      this.passRequested = true;
      return;
    }
    if (this.immediate !== null) return;
    this.clearTimer();
    // setImmediate, not setTimeout(0): Node rounds a 0 ms timeout up to 1 ms, and a first attempt waits on this.
    this.immediate = setImmediate(() => {
      this.immediate = null;
      void this.runPass();
    });
  }

  /**
   * Graceful stop: lease nothing more, let in-flight attempts finish for up
   * to `graceMs`, apply their results, and hand the rest back to the ledger
   * so the next start retries them at once instead of after their lease.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.clearTimer();
    await this.idle;
    await this.options.executor.close(graceMs);
    const unfinished = this.inFlight.jobs();
    if (unfinished.length > 0) {
      this.options.logger.warn({ count: unfinished.length }, 'attempts still in flight at shutdown; released for the next start');
      await this.options.store.releaseLeases(
        unfinished.map((job) => job.notificationId),
        this.now(),
      );
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = null;
  }

  private async runPass(): Promise<void> {
    this.timer = null;
    if (this.stopping) return;
    this.passRunning = true;
    let done!: () => void;
    this.idle = new Promise((resolve) => (done = resolve));
    try {
      await this.leaseAndDispatch();
    } catch (error) {
      this.options.logger.error({ err: error }, 'scheduler pass failed; retrying shortly');
      this.sleepFor(1_000);
    } finally {
      this.passRunning = false;
      done();
    }
    if (this.passRequested && !this.stopping) {
      this.passRequested = false;
      this.wake();
    }
  }

  private async leaseAndDispatch(): Promise<void> {
    const { store, executor, concurrency, perHostConcurrency, leaseMarginMs, logger } = this.options;
    let now = this.now();
    const expired = this.inFlight.dropExpired(now);
    if (expired.length > 0) logger.warn({ count: expired.length }, 'attempts passed their lease without a result; they will be re-leased');

    // Lease in rounds until the slots are full or nothing more is due.
    for (;;) {
      const free = concurrency - this.inFlight.size;
      if (free <= 0 || this.stopping) return; // a result will wake us
      const jobs = await store.leaseDue({
        now,
        limit: free,
        leaseMs: leaseMarginMs,
        hostSlotsLeft: this.inFlight.hostSlotsLeft(perHostConcurrency, this.hostBackoff.allowances(now)),
        perHostLimit: perHostConcurrency,
        maxRetries: Math.max(0, concurrency - this.firstAttemptReserve - this.inFlight.retries),
        // The same share the other way: a flood of new notifications cannot starve due retries.
        retryReserve: Math.max(0, this.firstAttemptReserve - this.inFlight.retries),
      });
      for (const job of jobs) this.inFlight.add(job);
      if (jobs.length > 0) {
        try {
          await executor.dispatch(jobs);
        } catch (error) {
          // Not handed off (Redis down): give the leases back so the attempts are
          // due again at the next pass (a second away), not after a whole lease.
          // Any job that did get through is deduplicated by its job id.
          for (const job of jobs) this.inFlight.remove(job.notificationId, job.attempt);
          await store.releaseLeases(
            jobs.map((job) => job.notificationId),
            this.now(),
          );
          throw error;
        }
      }
      if (jobs.length < free) break;
      now = this.now();
    }

    // Sleep until the next row falls due, unless what is due is only waiting for a
    // host's slot to free up: then the result that frees it wakes us, or, for a
    // host being backed off, the end of its pause. A row that fell due after the
    // last lease looked (at `leasedAt`) was not passed over but not yet seen: run
    // again at once, or it would wait for a result or maxSleepMs.
    const leasedAt = now;
    const nextDue = await store.nextDueAt();
    now = this.now();
    const leaseDeadline = this.inFlight.earliestLeaseDeadline();
    let wakeAt = now + this.maxSleepMs;
    if (nextDue !== null && nextDue > leasedAt) wakeAt = Math.min(wakeAt, nextDue);
    if (leaseDeadline !== null) wakeAt = Math.min(wakeAt, leaseDeadline + 1);
    const resumeAt = this.hostBackoff.nextResumeAt(now);
    if (resumeAt !== null) wakeAt = Math.min(wakeAt, resumeAt);
    this.sleepFor(Math.max(0, wakeAt - now));
  }

  private sleepFor(ms: number): void {
    if (this.stopping) return;
    this.clearTimer();
    this.timer = setTimeout(() => void this.runPass(), ms);
    this.timer.unref?.();
  }

  private async applyResults(results: AttemptResult[]): Promise<void> {
    for (const result of results) {
      const job = this.inFlight.remove(result.notificationId, result.attempt);
      if (job) this.noteHostOutcome(job.host, result);
    }
    // The slots are free now: lease their successors without waiting for this
    // batch's commit and fsync. That lease may commit before these results do;
    // their rows still hold their leases (next_attempt_at is the lease deadline),
    // so none of them can be leased twice.
    this.wake();
    const applied = await this.options.store.applyResults(results, this.now());
    for (const outcome of applied) {
      const notification = outcome.notification;
      if (outcome.applied && notification && outcome.status === 'dead') {
        this.options.logger.warn(
          {
            notificationId: notification.id,
            url: notification.url,
            attempts: notification.attempts,
            reason: notification.deadReason,
            lastError: notification.lastError,
          },
          'dead letter: notification gave up',
        );
      }
    }
    this.options.onApplied?.(applied, results);
    this.wake();
  }

  private noteHostOutcome(host: string, result: AttemptResult): void {
    const change = this.hostBackoff.record(host, result.outcome, this.now());
    if (change === null) return;
    if (change.kind === 'paused') {
      // The first pause is news; each failed probe after it (every maxMs at most) is not.
      this.options.logger[change.probeFailed ? 'debug' : 'warn'](
        { host, failures: change.failures, pauseMs: change.pauseMs, lastError: result.error },
        `receiver host ${host} refuses connections: no attempts to it for ${change.pauseMs} ms, then one probe`,
      );
    } else {
      this.options.logger.info({ host, pausedForMs: change.pausedForMs }, `receiver host ${host} answers again: back-off ended`);
    }
  }
}
