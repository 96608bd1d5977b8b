import type { PausedHost } from '../domain/host-backoff.js';
import type { NotificationStore } from '../domain/ports.js';
import { CachedCounts } from './cached-counts.js';
import { headlineStats, type HeadlineStats } from './headline-stats.js';
import { NotifydMetrics } from './metrics.js';
import type { RecentActivity } from './recent-activity.js';

/** What the API serves for operators: /metrics and /v1/stats. */
export interface OpsViews {
  metrics: NotifydMetrics;
  stats: () => Promise<HeadlineStats>;
}

export interface OpsViewsOptions {
  store: NotificationStore;
  /** The scheduler's live count; absent: the ledger's leased rows. */
  inFlight?: () => number;
  /** The receiver hosts the scheduler is backing off. */
  pausedHosts?: () => readonly PausedHost[];
  /** Absent (no scheduler in this process): /v1/stats has no last-hour numbers. */
  recent?: RecentActivity;
  /** How long one `store.counts()` is reused. */
  countsTtlMs?: number;
  onCollectError?: (error: unknown) => void;
}

export function createOpsViews(options: OpsViewsOptions): OpsViews {
  const counts = new CachedCounts(() => options.store.counts(), options.countsTtlMs);
  const metrics = new NotifydMetrics({
    counts,
    ...(options.inFlight ? { inFlight: options.inFlight } : {}),
    ...(options.pausedHosts ? { pausedHosts: options.pausedHosts } : {}),
    ...(options.onCollectError ? { onCollectError: options.onCollectError } : {}),
  });
  const stats = headlineStats({
    counts,
    ...(options.inFlight ? { inFlight: options.inFlight } : {}),
    ...(options.pausedHosts ? { pausedHosts: options.pausedHosts } : {}),
    ...(options.recent ? { recent: options.recent } : {}),
  });
  return { metrics, stats };
}
