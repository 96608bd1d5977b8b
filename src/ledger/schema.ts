import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * The ledger's tables. Times are INTEGER ms since the epoch; JSON fields are
 * TEXT. drizzle-kit turns this file into the SQL in `migrations/`.
 *
 * Partial-index predicates are literal SQL, never bound parameters: SQLite
 * uses a partial index only when the query repeats its predicate, and a
 * parameter in a CREATE INDEX is an error anyway.
 */

// Rows that are pending and on the first attempt of their round (new, or replayed).
const FIRST_ATTEMPT = sql`status = 'pending' AND attempts = round_start`;
// Rows that are pending and have failed at least once in this round.
const RETRY = sql`status = 'pending' AND attempts > round_start`;

export const notifications = sqliteTable(
  'notifications',
  {
    // 'ntf_' + UUIDv7: time-ordered, so inserts append to the primary key index
    // and ORDER BY id is creation order.
    id: text('id').primaryKey(),
    status: text('status', { enum: ['pending', 'delivered', 'dead', 'cancelled'] }).notNull(),
    url: text('url').notNull(),
    host: text('host').notNull(),
    body: text('body').notNull(),
    contentType: text('content_type').notNull(),
    headers: text('headers').notNull(),
    idempotencyKey: text('idempotency_key'),
    payloadHash: text('payload_hash').notNull(),
    delaysMs: text('delays_ms').notNull(),
    success: text('success').notNull(),
    timeoutMs: integer('timeout_ms').notNull(),
    metadata: text('metadata'),
    attempts: integer('attempts').notNull().default(0),
    roundStart: integer('round_start').notNull().default(0),
    // While leased this holds the lease deadline, so an expired lease makes the
    // row due again through the same index, with no sweeper.
    nextAttemptAt: integer('next_attempt_at'),
    leaseUntil: integer('lease_until'),
    deliveredAt: integer('delivered_at'),
    deadAt: integer('dead_at'),
    deadReason: text('dead_reason', { enum: ['exhausted', 'gone', 'blocked'] }),
    cancelledAt: integer('cancelled_at'),
    lastError: text('last_error'),
    replays: integer('replays').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    // Due work. Partial, because at a million mostly-delivered rows a plain
    // index on next_attempt_at costs ≈2 s per selection against ≈0.2 ms.
    // Split in two so first attempts are leased before retries without
    // walking past a backlog of retries; `host` rides along so a saturated
    // host is skipped from the index entry.
    index('notifications_due_first_idx').on(t.nextAttemptAt, t.host).where(FIRST_ATTEMPT),
    index('notifications_due_retry_idx').on(t.nextAttemptAt, t.host).where(RETRY),
    // The same rows by host: the fallback lease path when one host's backlog
    // fills the time-ordered walk (see lease-due.ts).
    index('notifications_due_first_host_idx').on(t.host, t.nextAttemptAt).where(FIRST_ATTEMPT),
    index('notifications_due_retry_host_idx').on(t.host, t.nextAttemptAt).where(RETRY),
    uniqueIndex('notifications_idempotency_key_idx').on(t.idempotencyKey).where(sql`idempotency_key IS NOT NULL`),
    index('notifications_dead_idx').on(t.deadAt, t.id).where(sql`status = 'dead'`),
    index('notifications_status_idx').on(t.status, t.id),
  ],
);

export const attempts = sqliteTable(
  'attempts',
  {
    notificationId: text('notification_id')
      .notNull()
      .references(() => notifications.id, { onDelete: 'cascade' }),
    n: integer('n').notNull(),
    at: integer('at').notNull(),
    durationMs: integer('duration_ms').notNull(),
    statusCode: integer('status_code'),
    outcome: text('outcome', { enum: ['success', 'rejected', 'http_error', 'timeout', 'network', 'blocked'] }).notNull(),
    error: text('error'),
    responseExcerpt: text('response_excerpt'),
  },
  // The key is also the duplicate guard: one row per attempt number, however often a result is delivered.
  (t) => [primaryKey({ columns: [t.notificationId, t.n] })],
);
