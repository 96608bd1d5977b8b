import type { CachedCounts } from './cached-counts.js';
import type { RecentActivity } from './recent-activity.js';

/** The dashboard's and `notifyd stats`' headline numbers (GET /v1/stats). */
export interface HeadlineStats {
  pending: number;
  inFlight: number;
  delivered: number;
  dead: number;
  cancelled: number;
  /** Seconds since the oldest pending notification was enqueued; null when none is pending. */
  oldestPendingAgeSeconds: number | null;
  lastHour: {
    delivered: number;
    dead: number;
    /** Where the window starts: an hour ago, or this process's start when that is later. Null: not tracked here. */
    since: string | null;
  } | null;
  /** When the ledger was counted (counts are cached for a few seconds). */
  countedAt: string;
}

export interface HeadlineStatsSources {
  counts: CachedCounts;
  /** Absent (an API without a scheduler): `lastHour` is null. */
  recent?: RecentActivity;
  /** Absent: the ledger's leased rows. */
  inFlight?: () => number;
  now?: () => number;
}

export function headlineStats(sources: HeadlineStatsSources): () => Promise<HeadlineStats> {
  const now = sources.now ?? Date.now;
  return async () => {
    const { counts, at } = await sources.counts.get();
    const recent = sources.recent?.lastHour();
    return {
      pending: counts.pending,
      inFlight: sources.inFlight ? sources.inFlight() : counts.leased,
      delivered: counts.delivered,
      dead: counts.dead,
      cancelled: counts.cancelled,
      oldestPendingAgeSeconds:
        counts.oldestPendingCreatedAt === null ? null : Math.max(0, Math.round((now() - counts.oldestPendingCreatedAt) / 1000)),
      lastHour: recent ? { delivered: recent.delivered, dead: recent.dead, since: new Date(recent.since).toISOString() } : null,
      countedAt: new Date(at).toISOString(),
    };
  };
}
