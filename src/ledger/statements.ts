import type { Statement } from 'better-sqlite3';
import { NotifydError } from '../domain/errors.js';
import type { SqliteDatabase } from './database.js';
import { NOTIFICATION_COLUMNS, SUMMARY_COLUMNS, type AttemptRow, type NotificationRow, type NotificationValues, type SummaryRow } from './rows.js';

/**
 * The prepared statements of the hot paths (enqueue, lease, apply results,
 * transitions), prepared once per connection: drizzle's per-call query
 * builder runs at ≈0.58× the speed of a prepared statement.
 *
 * Due-work statements name their partial index with INDEXED BY and repeat
 * its predicate literally. Without statistics the planner prefers
 * (status, id) and walks every pending row (≈2 s at a million rows), and a
 * predicate that drifts from the index's makes prepare() fail at start-up
 * instead of turning into a silent scan. For the same reason, updates of a
 * known set of rows write `+status`: the unary plus keeps the planner off the
 * status index (which would walk every row of that status) and on the
 * rowid or id lookups.
 */

export interface DueClass {
  readonly name: 'first' | 'retry';
  /** The time-ordered walk, bounded by @scan index entries, saturated hosts filtered out: rows of (rid, host, at). */
  readonly walk: Statement<[{ now: number; scan: number; saturated: string }], { rid: number; host: string; at: number }>;
  /** Whether a due row lies beyond the first @scan: the walk was cut short. */
  readonly beyond: Statement<[{ now: number; scan: number }], { one: 1 }>;
  /** The host after @after in host order, with its earliest row (a loose index scan: one seek per host). */
  readonly nextHost: Statement<[{ after: string }], { rid: number; host: string; at: number }>;
  /** One host's due rows, oldest first. */
  readonly hostDue: Statement<[{ host: string; now: number; n: number }], { rid: number; at: number }>;
  readonly minDue: Statement<[], { at: number | null }>;
  /** Rows of this class holding a lease at @now (a held lease is also their next_attempt_at, so only future rows are read). */
  readonly leased: Statement<[{ now: number }], { n: number }>;
  /** "Retry now" for one host: its rows of this class not yet due and not leased become due at @now. */
  readonly dueNowForHost: Statement<[{ host: string; now: number }]>;
}

export interface LeasedRow {
  rid: number;
  id: string;
  attempts: number;
  round_start: number;
  url: string;
  host: string;
  body: string;
  content_type: string;
  headers: string;
  timeout_ms: number;
  success: string;
  lease_until: number;
}

export interface ApplyTarget {
  rid: number;
  status: NotificationRow['status'];
  attempts: number;
  round_start: number;
  delays_ms: string;
  next_attempt_at: number | null;
  delivered_at: number | null;
  dead_at: number | null;
  dead_reason: NotificationRow['dead_reason'];
}

export interface AfterAttempt {
  rid: number;
  now: number;
  status: NotificationRow['status'];
  attempts: number;
  next_attempt_at: number | null;
  delivered_at: number | null;
  dead_at: number | null;
  dead_reason: NotificationRow['dead_reason'];
  last_error: string | null;
}

export interface LedgerStatements {
  readonly insertNotification: Statement<[NotificationValues]>;
  readonly selectById: Statement<[string], NotificationRow>;
  readonly selectByIdempotencyKey: Statement<[string], NotificationRow>;
  readonly selectHistory: Statement<[string], AttemptRow>;
  readonly selectStatus: Statement<[string], { rid: number; status: NotificationRow['status'] }>;

  readonly due: readonly [DueClass, DueClass];
  readonly lease: Statement<[{ ids: string; now: number; leaseMs: number }], LeasedRow>;
  readonly releaseLeases: Statement<[{ ids: string; now: number }]>;

  readonly selectForApply: Statement<[string], ApplyTarget>;
  readonly insertAttempt: Statement<[AttemptRow & { notification_id: string }]>;
  /** Records an attempt's effect; returns the summary (the common case) … */
  readonly updateAfterAttempt: Statement<[AfterAttempt], SummaryRow>;
  /** … or the whole row, for a result that makes a dead letter (alerts carry it). */
  readonly updateAfterAttemptToDead: Statement<[AfterAttempt], NotificationRow>;

  readonly replay: Statement<[{ rid: number; now: number }], NotificationRow>;
  readonly replayDead: Statement<[{ ids: string; now: number }], { id: string }>;
  readonly cancel: Statement<[{ rid: number; now: number }], NotificationRow>;
  /** Makes a pending row due now, unless an attempt holds its lease (it is already happening). */
  readonly retryNow: Statement<[{ rid: number; now: number }], NotificationRow>;

  readonly countByStatus: Statement<[], { status: NotificationRow['status']; n: number }>;
  readonly oldestPending: Statement<[], { created_at: number }>;
  readonly ping: Statement<[], { one: 1 }>;
}

/** Must stay the predicates of the partial indexes in schema.ts, word for word. */
export const DUE_PREDICATES = {
  first: "status = 'pending' AND attempts = round_start",
  retry: "status = 'pending' AND attempts > round_start",
} as const;

export const DUE_INDEXES = {
  first: { byTime: 'notifications_due_first_idx', byHost: 'notifications_due_first_host_idx' },
  retry: { byTime: 'notifications_due_retry_idx', byHost: 'notifications_due_retry_host_idx' },
} as const;

// A replay starts a new round: the schedule restarts from its first delay, the history stays.
const REPLAY_SET = `status = 'pending', round_start = attempts, next_attempt_at = @now, lease_until = NULL,
  delivered_at = NULL, dead_at = NULL, dead_reason = NULL, replays = replays + 1, updated_at = @now`;

function dueWalkSql(name: DueClass['name']): string {
  const where = DUE_PREDICATES[name];
  // The LIMIT sits inside the subquery so it bounds the index entries walked,
  // including those of saturated hosts that the outer filter drops. The outer
  // ORDER BY costs no sort (the subquery already yields index order) and lets
  // leaseDue stop reading as soon as it has enough rows.
  return `SELECT rid, host, at FROM (
      SELECT rowid AS rid, host, next_attempt_at AS at FROM notifications INDEXED BY ${DUE_INDEXES[name].byTime}
      WHERE ${where} AND next_attempt_at <= @now
      ORDER BY next_attempt_at LIMIT @scan
    ) WHERE host NOT IN (SELECT value FROM json_each(@saturated)) ORDER BY at`;
}

function prepareDueClass(db: SqliteDatabase, name: DueClass['name']): DueClass {
  const where = DUE_PREDICATES[name];
  const { byTime, byHost } = DUE_INDEXES[name];
  return {
    name,
    walk: db.prepare(dueWalkSql(name)),
    beyond: db.prepare(
      `SELECT 1 AS one FROM notifications INDEXED BY ${byTime}
       WHERE ${where} AND next_attempt_at <= @now ORDER BY next_attempt_at LIMIT 1 OFFSET @scan`,
    ),
    nextHost: db.prepare(
      `SELECT rowid AS rid, host, next_attempt_at AS at FROM notifications INDEXED BY ${byHost}
       WHERE ${where} AND host > @after ORDER BY host, next_attempt_at LIMIT 1`,
    ),
    hostDue: db.prepare(
      `SELECT rowid AS rid, next_attempt_at AS at FROM notifications INDEXED BY ${byHost}
       WHERE ${where} AND host = @host AND next_attempt_at <= @now ORDER BY next_attempt_at LIMIT @n`,
    ),
    minDue: db.prepare(`SELECT min(next_attempt_at) AS at FROM notifications INDEXED BY ${byTime} WHERE ${where}`),
    leased: db.prepare(
      `SELECT count(*) AS n FROM notifications INDEXED BY ${byTime}
       WHERE ${where} AND next_attempt_at > @now AND lease_until > @now`,
    ),
    dueNowForHost: db.prepare(
      `UPDATE notifications INDEXED BY ${byHost} SET next_attempt_at = @now, updated_at = @now
       WHERE ${where} AND host = @host AND next_attempt_at > @now AND lease_until IS NULL`,
    ),
  };
}

const UPDATE_AFTER_ATTEMPT = `UPDATE notifications
  SET status = @status, attempts = @attempts, next_attempt_at = @next_attempt_at, lease_until = NULL,
      delivered_at = @delivered_at, dead_at = @dead_at, dead_reason = @dead_reason,
      last_error = @last_error, updated_at = @now
  WHERE rowid = @rid`;

/** Prepares every statement; a schema that is missing or out of date is storage_unavailable naming the fix. */
export function prepareLedgerStatements(db: SqliteDatabase): LedgerStatements {
  try {
    return prepareAll(db);
  } catch (error) {
    throw new NotifydError('storage_unavailable', `ledger: the schema is missing or out of date (run \`notifyd migrate\`): ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function prepareAll(db: SqliteDatabase): LedgerStatements {
  return {
    insertNotification: db.prepare<[NotificationValues]>(
      `INSERT INTO notifications (${NOTIFICATION_COLUMNS.join(', ')}) VALUES (${NOTIFICATION_COLUMNS.map(() => '?').join(', ')})`,
    ),
    selectById: db.prepare('SELECT * FROM notifications WHERE id = ?'),
    selectByIdempotencyKey: db.prepare(
      'SELECT * FROM notifications INDEXED BY notifications_idempotency_key_idx WHERE idempotency_key = ?',
    ),
    selectHistory: db.prepare(
      `SELECT n, at, duration_ms, status_code, outcome, error, response_excerpt
       FROM attempts WHERE notification_id = ? ORDER BY n`,
    ),
    selectStatus: db.prepare('SELECT rowid AS rid, status FROM notifications WHERE id = ?'),

    due: [prepareDueClass(db, 'first'), prepareDueClass(db, 'retry')],
    // The lease deadline goes into next_attempt_at too: when it passes, the row
    // is due again through the same partial index, with the same attempt number.
    lease: db.prepare(
      `UPDATE notifications
       SET next_attempt_at = @now + @leaseMs + timeout_ms, lease_until = @now + @leaseMs + timeout_ms, updated_at = @now
       WHERE rowid IN (SELECT value FROM json_each(@ids)) AND +status = 'pending'
       RETURNING rowid AS rid, id, attempts, round_start, url, host, body, content_type, headers, timeout_ms, success, lease_until`,
    ),
    // Only rows still holding a lease: a row waiting for a scheduled retry keeps its time.
    releaseLeases: db.prepare(
      `UPDATE notifications SET next_attempt_at = @now, lease_until = NULL, updated_at = @now
       WHERE id IN (SELECT value FROM json_each(@ids)) AND +status = 'pending' AND lease_until IS NOT NULL`,
    ),

    selectForApply: db.prepare(
      `SELECT rowid AS rid, status, attempts, round_start, delays_ms, next_attempt_at, delivered_at, dead_at, dead_reason
       FROM notifications WHERE id = ?`,
    ),
    insertAttempt: db.prepare(
      `INSERT OR IGNORE INTO attempts (notification_id, n, at, duration_ms, status_code, outcome, error, response_excerpt)
       VALUES (@notification_id, @n, @at, @duration_ms, @status_code, @outcome, @error, @response_excerpt)`,
    ),
    updateAfterAttempt: db.prepare(`${UPDATE_AFTER_ATTEMPT} RETURNING ${SUMMARY_COLUMNS}`),
    updateAfterAttemptToDead: db.prepare(`${UPDATE_AFTER_ATTEMPT} RETURNING *`),

    replay: db.prepare(`UPDATE notifications SET ${REPLAY_SET} WHERE rowid = @rid RETURNING *`),
    replayDead: db.prepare(
      `UPDATE notifications SET ${REPLAY_SET}
       WHERE id IN (SELECT value FROM json_each(@ids)) AND +status = 'dead' RETURNING id`,
    ),
    retryNow: db.prepare(
      `UPDATE notifications SET next_attempt_at = @now, updated_at = @now
       WHERE rowid = @rid AND status = 'pending' AND lease_until IS NULL RETURNING *`,
    ),
    cancel: db.prepare(
      `UPDATE notifications
       SET status = 'cancelled', cancelled_at = @now, next_attempt_at = NULL, lease_until = NULL, updated_at = @now
       WHERE rowid = @rid RETURNING *`,
    ),

    countByStatus: db.prepare('SELECT status, count(*) AS n FROM notifications GROUP BY status'),
    // Ids are time-ordered, so the first pending id by the (status, id) index is
    // the oldest: one seek instead of MIN(created_at) over the whole backlog.
    oldestPending: db.prepare(
      "SELECT created_at FROM notifications WHERE status = 'pending' ORDER BY id LIMIT 1",
    ),
    ping: db.prepare('SELECT 1 AS one'),
  };
}
