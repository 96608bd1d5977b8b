import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { AttemptResult } from '../domain/outcome.js';
import type { DeadLetterFilter, LeaseRequest } from '../domain/ports.js';
import { applyResults } from './apply-results.js';
import { enqueueNotification } from './enqueue.js';
import { leaseDue } from './lease-due.js';
import type { NotificationValues } from './rows.js';
import type { LedgerStatements } from './statements.js';
import { cancelNotification, releaseLeases, replayDeadLetters, replayNotification, retryHostNow, retryNotificationNow } from './transitions.js';

/** What a write needs: the writer connection's prepared statements and query builder. */
export interface WriteContext {
  statements: LedgerStatements;
  orm: BetterSQLite3Database;
  /** Retry-delay jitter for decideNextStep. */
  jitter: number;
}

/**
 * Every write the ledger makes, by name. A write is named, not a closure, so
 * it can be run by the writer thread (arguments and results cross by
 * structured clone) or on the caller's own connection: the same function
 * either way. Each runs inside a group-committed transaction.
 */
export const writeOps = {
  enqueue: (ctx: WriteContext, values: NotificationValues) => enqueueNotification(ctx.statements, values),
  replay: (ctx: WriteContext, id: string, force: boolean, now: number) => replayNotification(ctx.statements, id, force, now),
  cancel: (ctx: WriteContext, id: string, now: number) => cancelNotification(ctx.statements, id, now),
  retryNow: (ctx: WriteContext, id: string, now: number) => retryNotificationNow(ctx.statements, id, now),
  retryHostNow: (ctx: WriteContext, host: string, now: number) => retryHostNow(ctx.statements, host, now),
  replayDeadLetters: (ctx: WriteContext, filter: DeadLetterFilter, limit: number, now: number) =>
    replayDeadLetters(ctx.orm, ctx.statements, filter, limit, now),
  leaseDue: (ctx: WriteContext, request: LeaseRequest) => leaseDue(ctx.statements, request),
  applyResults: (ctx: WriteContext, results: readonly AttemptResult[], now: number) =>
    applyResults(ctx.statements, results, now, { jitter: ctx.jitter }),
  releaseLeases: (ctx: WriteContext, ids: readonly string[], now: number) => releaseLeases(ctx.statements, ids, now),
};

export type WriteOpName = keyof typeof writeOps;
export type WriteArgs<K extends WriteOpName> = Parameters<(typeof writeOps)[K]> extends [WriteContext, ...infer A] ? A : never;
export type WriteValue<K extends WriteOpName> = ReturnType<(typeof writeOps)[K]>;

/**
 * Writes whose loss in a power failure is harmless: a lease, which if lost
 * leaves its row due again (one duplicate POST, which guarantee 2 allows).
 * They commit without an fsync and never wait for one: the POSTs wait on them.
 */
export function isDurableWrite(op: WriteOpName): boolean {
  return op !== 'leaseDue';
}

/**
 * Writes that change the ledger with one statement at most, after every check
 * that may throw (an enqueue: the idempotency lookup, then one INSERT). The
 * group committer runs them without a savepoint: a statement that fails is
 * undone by SQLite itself, and a check that throws has changed nothing.
 */
export function isAtomicWrite(op: WriteOpName): boolean {
  return op === 'enqueue';
}

/** Runs the named write against `ctx` (inside the caller's transaction). */
export function runWriteOp<K extends WriteOpName>(ctx: WriteContext, op: K, args: WriteArgs<K>): WriteValue<K> {
  // The table's entries differ in arguments; WriteArgs<K> ties `args` to `op`'s.
  const fn = writeOps[op] as unknown as (ctx: WriteContext, ...args: WriteArgs<K>) => WriteValue<K>;
  return fn(ctx, ...args);
}
