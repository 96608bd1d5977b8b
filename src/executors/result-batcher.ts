import type { AttemptResult } from '../domain/outcome.js';

/**
 * Collects attempt results and hands them over in batches (one per event
 * loop turn), so the ledger commits many results in one transaction instead
 * of one each. Shared by both executors.
 */
export class ResultBatcher {
  private pending: AttemptResult[] = [];
  /** Callers of `addAndWait` for results in `pending`, told how their batch went. */
  private waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  private handler: ((results: AttemptResult[]) => Promise<void>) | null = null;
  private scheduled = false;
  private inFlight = new Set<Promise<void>>();

  constructor(private readonly onError: (error: unknown) => void = () => {}) {}

  onFlush(handler: (results: AttemptResult[]) => Promise<void>): void {
    this.handler = handler;
  }

  add(result: AttemptResult): void {
    this.pending.push(result);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /**
   * Like `add`, but resolves only once the handler has committed the batch
   * holding this result, and rejects when it failed. The bullmq executor
   * completes an outcome job only then, so a ledger crash never loses one.
   */
  addAndWait(result: AttemptResult): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.add(result);
    });
  }

  /** Waits until every result added so far has been handed over and handled. */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0 || !this.handler) return;
    const batch = this.pending;
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    const handling = this.handler(batch)
      .then(
        () => {
          for (const waiter of waiters) waiter.resolve();
        },
        (error: unknown) => {
          // The ledger could not record them (disk full…): the leases stand, so
          // the attempts are re-run when they expire. Nothing is lost, at worst repeated.
          this.onError(error);
          for (const waiter of waiters) waiter.reject(error);
        },
      )
      .finally(() => this.inFlight.delete(handling));
    this.inFlight.add(handling);
  }
}
