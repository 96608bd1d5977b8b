import type { PausedHost } from '../domain/host-backoff.js';
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
  /** Receiver hosts backed off because they refuse connections (delivery.hostBackoff), longest first, at most 100. */
  pausedHosts: Array<{ host: string; since: string; nextProbeAt: string; failures: number }>;
  /** When the ledger was counted (counts are cached for a few seconds). */
  countedAt: string;
}

export interface HeadlineStatsSources {
  counts: CachedCounts;
  /** Absent (an API without a scheduler): `lastHour` is null. */
  recent?: RecentActivity;
  /** Absent: the ledger's leased rows. */
  inFlight?: () => number;
  /** Absent (no scheduler here): none listed. */
  pausedHosts?: () => readonly PausedHost[];
  now?: () => number;
}

const MAX_PAUSED_HOSTS_LISTED = 100;

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
      pausedHosts: (sources.pausedHosts?.() ?? []).slice(0, MAX_PAUSED_HOSTS_LISTED).map((p) => ({
        host: p.host,
        since: new Date(p.since).toISOString(),
        nextProbeAt: new Date(p.nextProbeAt).toISOString(),
        failures: p.failures,
      })),
      countedAt: new Date(at).toISOString(),
    };
  };
}
