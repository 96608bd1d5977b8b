import type { AttemptJob } from '../domain/notification.js';

/**
 * The attempts this scheduler has dispatched and not yet heard back about,
 * counted per host. These counts are what enforce `delivery.concurrency` and
 * `perHostConcurrency` — across every worker process in bullmq mode, because
 * only the ledger node dispatches.
 */
export class InFlightAttempts {
  private readonly byKey = new Map<string, AttemptJob>();
  private readonly perHost = new Map<string, number>();
  private retryCount = 0;

  get size(): number {
    return this.byKey.size;
  }

  /** Attempts in flight that are retries (not a round's first attempt). */
  get retries(): number {
    return this.retryCount;
  }

  add(job: AttemptJob): void {
    const key = keyOf(job.notificationId, job.attempt);
    if (this.byKey.has(key)) return;
    this.byKey.set(key, job);
    if (!job.first) this.retryCount += 1;
    this.perHost.set(job.host, (this.perHost.get(job.host) ?? 0) + 1);
  }

  /** Returns the attempt, or undefined when it was not in flight here (a duplicate result, or one dropped as expired). */
  remove(notificationId: string, attempt: number): AttemptJob | undefined {
    const key = keyOf(notificationId, attempt);
    const job = this.byKey.get(key);
    if (!job) return undefined;
    this.byKey.delete(key);
    if (!job.first) this.retryCount -= 1;
    const left = (this.perHost.get(job.host) ?? 1) - 1;
    if (left <= 0) this.perHost.delete(job.host);
    else this.perHost.set(job.host, left);
    return job;
  }

  /**
   * Forgets attempts whose lease has passed: the ledger re-leases them, so
   * holding their slots would only shrink the window (a job lost with Redis).
   */
  dropExpired(now: number): AttemptJob[] {
    const expired = [...this.byKey.values()].filter((job) => job.leaseUntil <= now);
    for (const job of expired) this.remove(job.notificationId, job.attempt);
    return expired;
  }

  /**
   * Slots left per host that has any attempt in flight, or a limit of its own
   * in `hostLimits` (a host being backed off: 0, or 1 for its probe).
   */
  hostSlotsLeft(perHostLimit: number, hostLimits: ReadonlyMap<string, number> = new Map()): Map<string, number> {
    const left = new Map<string, number>();
    for (const [host, count] of this.perHost) left.set(host, Math.max(0, perHostLimit - count));
    for (const [host, limit] of hostLimits) {
      left.set(host, Math.max(0, Math.min(perHostLimit, limit) - (this.perHost.get(host) ?? 0)));
    }
    return left;
  }

  jobs(): AttemptJob[] {
    return [...this.byKey.values()];
  }

  earliestLeaseDeadline(): number | null {
    let earliest: number | null = null;
    for (const job of this.byKey.values()) if (earliest === null || job.leaseUntil < earliest) earliest = job.leaseUntil;
    return earliest;
  }
}

function keyOf(notificationId: string, attempt: number): string {
  return `${notificationId}#${attempt}`;
}
