import type { NotificationStore } from '../domain/ports.js';

export type LedgerCounts = Awaited<ReturnType<NotificationStore['counts']>>;

/**
 * `store.counts()` behind a short cache. It walks every row (≈200 ms at a
 * million, and better-sqlite3 blocks the event loop meanwhile), so Prometheus
 * scrapes, dashboards polling /v1/stats and `notifyd stats` all share one
 * count every few seconds instead of each paying for their own. Concurrent
 * callers of an expired entry share one load; a failed load is not cached.
 */
export class CachedCounts {
  private value: LedgerCounts | null = null;
  private loadedAt = 0;
  private loading: Promise<LedgerCounts> | null = null;

  constructor(
    private readonly load: () => Promise<LedgerCounts>,
    private readonly ttlMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The counts and when they were taken (ms since the epoch). */
  async get(): Promise<{ counts: LedgerCounts; at: number }> {
    if (this.value !== null && this.now() - this.loadedAt < this.ttlMs) return { counts: this.value, at: this.loadedAt };
    if (this.loading === null) {
      const started = this.now();
      this.loading = this.load()
        .then((counts) => {
          this.value = counts;
          this.loadedAt = started;
          return counts;
        })
        .finally(() => (this.loading = null));
    }
    const counts = await this.loading;
    return { counts, at: this.loadedAt };
  }
}
