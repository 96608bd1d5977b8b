import { sql } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { AttemptJob, NewNotification, Notification, NotificationWithHistory } from '../domain/notification.js';
import type { NotificationStatus } from '../domain/notification-status.js';
import type { AttemptResult } from '../domain/outcome.js';
import type {
  AppliedResult,
  DeadLetterFilter,
  EnqueueResult,
  LeaseRequest,
  ListQuery,
  NotificationStore,
  Page,
} from '../domain/ports.js';
import { decodeDeadLetterCursor, decodeIdCursor, encodeDeadLetterCursor, encodeIdCursor } from './cursor.js';
import type { SqliteDatabase } from './database.js';
import { deadLetterCountQuery, deadLetterQuery } from './dead-letter-query.js';
import type { GroupCommitStats } from './group-commit.js';
import type { LedgerWriter } from './ledger-writer.js';
import { newNotificationId } from './notification-id.js';
import { checkLimit } from './page-limit.js';
import { newNotification, notificationToValues, rowToAttempt, rowToNotification, type NotificationRow } from './rows.js';
import { notifications } from './schema.js';
import { prepareLedgerStatements, type LedgerStatements } from './statements.js';
import { mapStorageError, storageUnavailable, storeClosed } from './storage-error.js';
import type { WriteArgs, WriteOpName, WriteValue } from './write-ops.js';

export const MAX_PAGE_SIZE = 10_000;
export const DEFAULT_BULK_REPLAY_LIMIT = 1_000;
export const MAX_BULK_REPLAY_LIMIT = 100_000;

/**
 * The ledger: notifications and their attempts in one SQLite file, the
 * single source of truth. Every write goes to the writer (group-committed,
 * on the writer thread for a file), so a resolved promise means committed;
 * reads run directly on this connection.
 */
export class SqliteNotificationStore implements NotificationStore {
  private readonly orm: BetterSQLite3Database;
  private readonly statements: LedgerStatements;
  private readonly writer: LedgerWriter;
  private closed = false;

  constructor(
    /** The better-sqlite3 connection the reads use, for tests and verification scripts. */
    readonly db: SqliteDatabase,
    /**
     * Called once the schema has checked out, so a bad file starts no writer
     * thread; given this connection's statements, for a writer that shares it.
     */
    createWriter: (statements: LedgerStatements) => LedgerWriter,
  ) {
    this.statements = prepareLedgerStatements(db);
    this.orm = drizzle({ client: db });
    this.writer = createWriter(this.statements);
  }

  /** Group-commit counters: `commits` far below `ops` is batching at work. */
  get stats(): Readonly<GroupCommitStats> {
    return this.writer.stats;
  }

  async enqueue(input: NewNotification, now: number): Promise<EnqueueResult> {
    // Built here, so only the row travels to the writer and only a flag comes back.
    const notification = newNotification(newNotificationId(), input, now);
    const stored = await this.write('enqueue', [notificationToValues(notification)]);
    return stored.created ? { notification, created: true } : { notification: stored.existing, created: false };
  }

  get(id: string): Promise<NotificationWithHistory | null> {
    return this.read('read a notification', () => {
      const row = this.statements.selectById.get(id);
      if (row === undefined) return null;
      return { ...rowToNotification(row), history: this.statements.selectHistory.all(id).map(rowToAttempt) };
    });
  }

  list(query: ListQuery): Promise<Page<Notification>> {
    return this.read('list notifications', () => {
      const limit = checkLimit(query.limit, MAX_PAGE_SIZE);
      const conditions = [];
      if (query.status !== undefined) conditions.push(sql`${notifications.status} = ${query.status}`);
      if (query.cursor) conditions.push(sql`${notifications.id} < ${decodeIdCursor(query.cursor)}`);
      const where = conditions.length > 0 ? sql`WHERE ${sql.join(conditions, sql` AND `)}` : sql``;
      // Ids are time-ordered: newest first is id order, over the primary key or (status, id).
      const rows = this.orm.all<NotificationRow>(
        sql`SELECT * FROM ${notifications} ${where} ORDER BY ${notifications.id} DESC LIMIT ${limit + 1}`,
      );
      return pageOf(rows, limit, (last) => encodeIdCursor(last.id));
    });
  }

  listDeadLetters(filter: DeadLetterFilter & { cursor?: string | null; limit: number }): Promise<Page<Notification>> {
    return this.read('list dead letters', () => {
      const limit = checkLimit(filter.limit, MAX_PAGE_SIZE);
      const after = filter.cursor ? decodeDeadLetterCursor(filter.cursor) : null;
      const rows = this.orm.all<NotificationRow>(deadLetterQuery(sql`*`, filter, limit + 1, after));
      return pageOf(rows, limit, (last) => encodeDeadLetterCursor({ deadAt: last.deadAt ?? 0, id: last.id }));
    });
  }

  replay(id: string, options: { force: boolean }, now: number): Promise<Notification> {
    return this.write('replay', [id, options.force, now]);
  }

  cancel(id: string, now: number): Promise<Notification> {
    return this.write('cancel', [id, now]);
  }

  retryNow(id: string, now: number): Promise<Notification> {
    return this.write('retryNow', [id, now]);
  }

  retryHostNow(host: string, now: number): Promise<number> {
    return this.write('retryHostNow', [host, now]);
  }

  replayDeadLetters(filter: DeadLetterFilter, now: number): Promise<{ replayed: number; ids: string[] }> {
    let limit: number;
    try {
      limit = checkLimit(filter.limit ?? DEFAULT_BULK_REPLAY_LIMIT, MAX_BULK_REPLAY_LIMIT);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.write('replayDeadLetters', [filter, limit, now]);
  }

  countDeadLetters(filter: DeadLetterFilter): Promise<number> {
    return this.read('count dead letters', () => this.orm.get<{ n: number }>(deadLetterCountQuery(filter))?.n ?? 0);
  }

  leaseDue(request: LeaseRequest): Promise<AttemptJob[]> {
    // Not durable (see isDurableWrite): no fsync for the POSTs to wait on.
    return this.write('leaseDue', [request]);
  }

  applyResults(results: readonly AttemptResult[], now: number): Promise<AppliedResult[]> {
    if (results.length === 0) return Promise.resolve([]);
    return this.write('applyResults', [results, now]);
  }

  nextDueAt(): Promise<number | null> {
    return this.read('find the next due time', () => {
      let next: number | null = null;
      for (const due of this.statements.due) {
        const at = due.minDue.get()?.at ?? null;
        if (at !== null && (next === null || at < next)) next = at;
      }
      return next;
    });
  }

  releaseLeases(ids: readonly string[], now: number): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.write('releaseLeases', [ids, now]);
  }

  counts(): Promise<Record<NotificationStatus, number> & { leased: number; oldestPendingCreatedAt: number | null }> {
    return this.read('count notifications', () => {
      const counts: Record<NotificationStatus, number> = { pending: 0, delivered: 0, dead: 0, cancelled: 0 };
      for (const row of this.statements.countByStatus.all()) counts[row.status] = row.n;
      const now = Date.now();
      let leased = 0;
      for (const due of this.statements.due) leased += due.leased.get({ now })?.n ?? 0;
      return {
        ...counts,
        leased,
        oldestPendingCreatedAt: this.statements.oldestPending.get()?.created_at ?? null,
      };
    });
  }

  ping(): Promise<void> {
    return this.read('reach the ledger', () => {
      this.statements.ping.get();
    });
  }

  /** Commits what is queued, then closes the file. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.writer.close();
      this.db.close();
    } catch (error) {
      throw storageUnavailable('close the ledger', error);
    }
  }

  private write<K extends WriteOpName>(op: K, args: WriteArgs<K>): Promise<WriteValue<K>> {
    if (this.closed) return Promise.reject(storeClosed());
    return this.writer.run(op, args);
  }

  private read<T>(action: string, op: () => T): Promise<T> {
    if (this.closed) return Promise.reject(storeClosed());
    try {
      return Promise.resolve(op());
    } catch (error) {
      return Promise.reject(mapStorageError(action, error));
    }
  }
}

function pageOf(rows: NotificationRow[], limit: number, cursorOf: (last: Notification) => string): Page<Notification> {
  const items = rows.slice(0, limit).map(rowToNotification);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}
