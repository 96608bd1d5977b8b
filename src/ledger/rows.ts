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

/** The `notifications` columns in the order the insert binds them. */
export const NOTIFICATION_COLUMNS = [
  'id', 'status', 'url', 'host', 'body', 'content_type', 'headers', 'idempotency_key', 'payload_hash',
  'delays_ms', 'success', 'timeout_ms', 'metadata', 'attempts', 'round_start', 'next_attempt_at',
  'lease_until', 'delivered_at', 'dead_at', 'dead_reason', 'cancelled_at', 'last_error', 'replays',
  'created_at', 'updated_at',
] as const satisfies ReadonlyArray<keyof NotificationRow>;

/**
 * A row as the insert binds it: its values by position, in
 * NOTIFICATION_COLUMNS order. Positional, not named, because the row crosses
 * to the writer thread by structured clone, which spells out every key of an
 * object each time: an array of 25 values clones ≈ 1.5 µs faster per enqueue
 * on the event loop (a microbenchmark), and binds faster on the other side.
 */
export type NotificationValues = ValuesOf<typeof NOTIFICATION_COLUMNS>;
type ValuesOf<Columns extends ReadonlyArray<keyof NotificationRow>> = {
  -readonly [I in keyof Columns]: NotificationRow[Columns[I] & keyof NotificationRow];
};

type NotificationColumn = (typeof NOTIFICATION_COLUMNS)[number];
type IndexOf<T extends readonly unknown[], V, Seen extends unknown[] = []> = T extends readonly [infer Head, ...infer Rest]
  ? Head extends V
    ? Seen['length']
    : IndexOf<Rest, V, [...Seen, Head]>
  : never;

/** Where `column` sits in NotificationValues, typed as that position (so `values[valueAt('url')]` is a string). */
export function valueAt<C extends NotificationColumn>(column: C): IndexOf<typeof NOTIFICATION_COLUMNS, C> {
  return NOTIFICATION_COLUMNS.indexOf(column) as IndexOf<typeof NOTIFICATION_COLUMNS, C>;
}

/** The insert's values for a notification, in NOTIFICATION_COLUMNS order. */
export function notificationToValues(n: Notification): NotificationValues {
  return [
    n.id,
    n.status,
    n.url,
    n.host,
    n.body,
    n.contentType,
    JSON.stringify(n.headers),
    n.idempotencyKey,
    n.payloadHash,
    JSON.stringify(n.delaysMs),
    JSON.stringify(n.success),
    n.timeoutMs,
    n.metadata === null ? null : JSON.stringify(n.metadata),
    n.attempts,
    n.roundStart,
    n.nextAttemptAt,
    n.leaseUntil,
    n.deliveredAt,
    n.deadAt,
    n.deadReason,
    n.cancelledAt,
    n.lastError,
    n.replays,
    n.createdAt,
    n.updatedAt,
  ];
}
