import type { Attempt, Notification, NotificationWithHistory } from '../domain/notification.js';
import type { AttemptOutcome } from '../domain/outcome.js';
import type { DeadReason, NotificationStatus } from '../domain/notification-status.js';

/**
 * The notification as the API shows it (DESIGN.md "Notification view"): times
 * as ISO-8601 strings, null when unset. The body and the producer's headers are
 * left out on purpose: they may carry secrets, and the producer has them.
 */
export interface AttemptView {
  n: number;
  at: string;
  durationMs: number;
  statusCode: number | null;
  outcome: AttemptOutcome;
  error: string | null;
  responseExcerpt: string | null;
}

export interface NotificationSummaryView {
  id: string;
  status: NotificationStatus;
  url: string;
  host: string;
  idempotencyKey: string | null;
  attempts: number;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  deadAt: string | null;
  deadReason: DeadReason | null;
  cancelledAt: string | null;
  lastError: string | null;
  replays: number;
  /** The waits between attempts, in ms (the first attempt is immediate). */
  schedule: number[];
  metadata: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

export interface NotificationView extends NotificationSummaryView {
  history: AttemptView[];
}

export interface EnqueuedView {
  id: string;
  status: NotificationStatus;
  nextAttemptAt: string | null;
  createdAt: string;
}

function iso(ms: number): string;
function iso(ms: number | null): string | null;
function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function toSummaryView(n: Notification): NotificationSummaryView {
  return {
    id: n.id,
    status: n.status,
    url: n.url,
    host: n.host,
    idempotencyKey: n.idempotencyKey,
    attempts: n.attempts,
    nextAttemptAt: iso(n.nextAttemptAt),
    deliveredAt: iso(n.deliveredAt),
    deadAt: iso(n.deadAt),
    deadReason: n.deadReason,
    cancelledAt: iso(n.cancelledAt),
    lastError: n.lastError,
    replays: n.replays,
    schedule: [...n.delaysMs],
    metadata: n.metadata,
    createdAt: iso(n.createdAt),
    updatedAt: iso(n.updatedAt),
  };
}

export function toAttemptView(a: Attempt): AttemptView {
  return {
    n: a.n,
    at: iso(a.at),
    durationMs: a.durationMs,
    statusCode: a.statusCode,
    outcome: a.outcome,
    error: a.error,
    responseExcerpt: a.responseExcerpt,
  };
}

export function toNotificationView(n: NotificationWithHistory): NotificationView {
  return { ...toSummaryView(n), history: n.history.map(toAttemptView) };
}

export function toEnqueuedView(n: Notification): EnqueuedView {
  return { id: n.id, status: n.status, nextAttemptAt: iso(n.nextAttemptAt), createdAt: iso(n.createdAt) };
}
