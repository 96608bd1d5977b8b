import type { Attempt, NewNotification, Notification, NotificationSummary } from '../domain/notification.js';
import type { DeadReason, NotificationStatus } from '../domain/notification-status.js';
import type { AttemptOutcome } from '../domain/outcome.js';
import type { SuccessRule } from '../domain/success-rule.js';

/** A `notifications` row as better-sqlite3 returns it (columns of schema.ts). */
export interface NotificationRow {
  id: string;
  status: NotificationStatus;
  url: string;
  host: string;
  body: string;
  content_type: string;
  headers: string;
  idempotency_key: string | null;
  payload_hash: string;
  delays_ms: string;
  success: string;
  timeout_ms: number;
  metadata: string | null;
  attempts: number;
  round_start: number;
  next_attempt_at: number | null;
  lease_until: number | null;
  delivered_at: number | null;
  dead_at: number | null;
  dead_reason: DeadReason | null;
  cancelled_at: number | null;
  last_error: string | null;
  replays: number;
  created_at: number;
  updated_at: number;
}

/** An `attempts` row. */
export interface AttemptRow {
  n: number;
  at: number;
  duration_ms: number;
  status_code: number | null;
  outcome: AttemptOutcome;
  error: string | null;
  response_excerpt: string | null;
}

export function rowToNotification(row: NotificationRow): Notification {
  return {
    id: row.id,
    status: row.status,
    url: row.url,
    host: row.host,
    body: row.body,
    contentType: row.content_type,
    headers: JSON.parse(row.headers) as Record<string, string>,
    idempotencyKey: row.idempotency_key,
    payloadHash: row.payload_hash,
    delaysMs: JSON.parse(row.delays_ms) as number[],
    success: JSON.parse(row.success) as SuccessRule,
    timeoutMs: row.timeout_ms,
    metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, unknown>),
    attempts: row.attempts,
    roundStart: row.round_start,
    nextAttemptAt: row.next_attempt_at,
    leaseUntil: row.lease_until,
    deliveredAt: row.delivered_at,
    deadAt: row.dead_at,
    deadReason: row.dead_reason,
    cancelledAt: row.cancelled_at,
    lastError: row.last_error,
    replays: row.replays,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The columns `updateAfterAttempt` returns: a NotificationSummary's. */
export type SummaryRow = Pick<
  NotificationRow,
  | 'id'
  | 'status'
  | 'url'
  | 'host'
  | 'attempts'
  | 'next_attempt_at'
  | 'lease_until'
  | 'delivered_at'
  | 'dead_at'
  | 'dead_reason'
  | 'last_error'
  | 'created_at'
  | 'updated_at'
>;

export const SUMMARY_COLUMNS =
  'id, status, url, host, attempts, next_attempt_at, lease_until, delivered_at, dead_at, dead_reason, last_error, created_at, updated_at';

export function rowToSummary(row: SummaryRow): NotificationSummary {
  return {
    id: row.id,
    status: row.status,
    url: row.url,
    host: row.host,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    leaseUntil: row.lease_until,
    deliveredAt: row.delivered_at,
    deadAt: row.dead_at,
    deadReason: row.dead_reason,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function rowToAttempt(row: AttemptRow): Attempt {
  return {
    n: row.n,
    at: row.at,
    durationMs: row.duration_ms,
    statusCode: row.status_code,
    outcome: row.outcome,
    error: row.error,
    responseExcerpt: row.response_excerpt,
  };
}

/** A new notification: pending, due at once, round 0. */
export function newNotification(id: string, input: NewNotification, now: number): Notification {
  return {
    id,
    status: 'pending',
    url: input.url,
    host: input.host,
    body: input.body,
    contentType: input.contentType,
    headers: { ...input.headers },
    idempotencyKey: input.idempotencyKey,
    payloadHash: input.payloadHash,
    delaysMs: [...input.delaysMs],
    success: { status: input.success.status === '2xx' ? '2xx' : [...input.success.status], body: input.success.body },
    timeoutMs: input.timeoutMs,
    metadata: input.metadata === null ? null : { ...input.metadata },
    attempts: 0,
    roundStart: 0,
    nextAttemptAt: now,
    leaseUntil: null,
    deliveredAt: null,
    deadAt: null,
    deadReason: null,
    cancelledAt: null,
    lastError: null,
    replays: 0,
    createdAt: now,
    updatedAt: now,
  };
}

/** The insert's named parameters for a notification. */
export function notificationToRow(n: Notification): NotificationRow {
  return {
    id: n.id,
    status: n.status,
    url: n.url,
    host: n.host,
    body: n.body,
    content_type: n.contentType,
    headers: JSON.stringify(n.headers),
    idempotency_key: n.idempotencyKey,
    payload_hash: n.payloadHash,
    delays_ms: JSON.stringify(n.delaysMs),
    success: JSON.stringify(n.success),
    timeout_ms: n.timeoutMs,
    metadata: n.metadata === null ? null : JSON.stringify(n.metadata),
    attempts: n.attempts,
    round_start: n.roundStart,
    next_attempt_at: n.nextAttemptAt,
    lease_until: n.leaseUntil,
    delivered_at: n.deliveredAt,
    dead_at: n.deadAt,
    dead_reason: n.deadReason,
    cancelled_at: n.cancelledAt,
    last_error: n.lastError,
    replays: n.replays,
    created_at: n.createdAt,
    updated_at: n.updatedAt,
  };
}
