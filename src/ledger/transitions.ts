import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { sql } from 'drizzle-orm';
import { NotifydError } from '../domain/errors.js';
import type { Notification } from '../domain/notification.js';
import { assertCanCancel, assertCanReplay, assertCanRetryNow } from '../domain/notification-status.js';
import type { DeadLetterFilter } from '../domain/ports.js';
import { deadLetterQuery } from './dead-letter-query.js';
import { rowToNotification } from './rows.js';
import { notifications } from './schema.js';
import type { LedgerStatements } from './statements.js';

/** Operator actions on notifications; each runs inside a write transaction. The domain decides what is allowed. */

export function replayNotification(statements: LedgerStatements, id: string, force: boolean, now: number): Notification {
  const current = statements.selectStatus.get(id);
  if (current === undefined) throw notFound(id);
  assertCanReplay(id, current.status, force);
  const row = statements.replay.get({ rid: current.rid, now });
  if (row === undefined) throw notFound(id);
  return rowToNotification(row);
}

export function cancelNotification(statements: LedgerStatements, id: string, now: number): Notification {
  const current = statements.selectStatus.get(id);
  if (current === undefined) throw notFound(id);
  assertCanCancel(id, current.status);
  const row = statements.cancel.get({ rid: current.rid, now });
  if (row === undefined) throw notFound(id);
  return rowToNotification(row);
}

/**
 * Moves a pending notification's next attempt to now (the receiver is back and
 * cannot wait for the schedule). The schedule does not restart: after this
 * attempt the next wait is the one that was due anyway. A notification whose
 * attempt is in flight is returned unchanged.
 */
export function retryNotificationNow(statements: LedgerStatements, id: string, now: number): Notification {
  const current = statements.selectStatus.get(id);
  if (current === undefined) throw notFound(id);
  assertCanRetryNow(id, current.status);
  const row = statements.retryNow.get({ rid: current.rid, now }) ?? statements.selectById.get(id);
  if (row === undefined) throw notFound(id);
  return rowToNotification(row);
}

/** `retryNotificationNow` for every pending notification to `host` not already due or in flight; returns how many. */
export function retryHostNow(statements: LedgerStatements, host: string, now: number): number {
  return statements.due.reduce((sum, due) => sum + due.dueNowForHost.run({ host, now }).changes, 0);
}

/** Replays up to `limit` dead letters matching `filter`, in dead-letter listing order. */
export function replayDeadLetters(
  orm: BetterSQLite3Database,
  statements: LedgerStatements,
  filter: DeadLetterFilter,
  limit: number,
  now: number,
): { replayed: number; ids: string[] } {
  const selected = orm.all<{ id: string }>(deadLetterQuery(sql`${notifications.id}`, filter, limit, null));
  if (selected.length === 0) return { replayed: 0, ids: [] };
  const ids = selected.map((row) => row.id);
  const replayed = new Set(statements.replayDead.all({ ids: JSON.stringify(ids), now }).map((row) => row.id));
  const inOrder = ids.filter((id) => replayed.has(id));
  return { replayed: inOrder.length, ids: inOrder };
}

/** Hands leases back (a role shutting down): those rows are due at once. */
export function releaseLeases(statements: LedgerStatements, ids: readonly string[], now: number): void {
  if (ids.length === 0) return;
  statements.releaseLeases.run({ ids: JSON.stringify(ids), now });
}

function notFound(id: string): NotifydError {
  return new NotifydError('not_found', `notification ${id} not found`, { details: { id } });
}
