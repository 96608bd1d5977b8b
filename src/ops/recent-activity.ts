const MINUTE = 60_000;
const WINDOW_MINUTES = 60;

export interface RecentTotals {
  delivered: number;
  dead: number;
  /** Where the window starts: an hour ago, or the process start when that is later. */
  since: number;
}

/**
 * Deliveries and dead letters of the last hour, in per-minute buckets, as this
 * process applied them. The ledger has no index on `delivered_at` (and should
 * not pay for one on every delivery), so the dashboard's "last hour" numbers
 * come from here: exact since the process started, which the view says when
 * that is less than an hour ago.
 */
export class RecentActivity {
  private readonly buckets = new Map<number, { delivered: number; dead: number }>();
  readonly startedAt: number;

  constructor(private readonly now: () => number = Date.now) {
    this.startedAt = now();
  }

  record(kind: 'delivered' | 'dead', at: number = this.now()): void {
    const minute = Math.floor(at / MINUTE);
    let bucket = this.buckets.get(minute);
    if (bucket === undefined) {
      bucket = { delivered: 0, dead: 0 };
      this.buckets.set(minute, bucket);
      this.prune(minute);
    }
    bucket[kind] += 1;
  }

  /** Totals over the current minute and the 59 before it. */
  lastHour(): RecentTotals {
    const now = this.now();
    const current = Math.floor(now / MINUTE);
    this.prune(current);
    let delivered = 0;
    let dead = 0;
    for (const [minute, bucket] of this.buckets) {
      if (minute > current - WINDOW_MINUTES) {
        delivered += bucket.delivered;
        dead += bucket.dead;
      }
    }
    return { delivered, dead, since: Math.max(this.startedAt, (current - WINDOW_MINUTES + 1) * MINUTE) };
  }

  private prune(current: number): void {
    for (const minute of this.buckets.keys()) if (minute <= current - WINDOW_MINUTES) this.buckets.delete(minute);
  }
}
