import { drizzle } from 'drizzle-orm/better-sqlite3';
import type { SqliteDatabase } from './database.js';
import { GroupCommitter, type GroupCommitStats } from './group-commit.js';
import type { LedgerStatements } from './statements.js';
import { isAtomicWrite, isDurableWrite, runWriteOp, type WriteArgs, type WriteContext, type WriteOpName, type WriteValue } from './write-ops.js';

/**
 * Where the ledger's writes run. The store reads on its own connection and
 * hands every write here by name; a resolved promise means committed (and,
 * at synchronous=FULL, fsynced for durable writes).
 */
export interface LedgerWriter {
  run<K extends WriteOpName>(op: K, args: WriteArgs<K>): Promise<WriteValue<K>>;
  /** Group-commit counters: `commits` far below `ops` is batching at work. */
  readonly stats: Readonly<GroupCommitStats>;
  /** Commits what is queued, then refuses further writes. */
  close(): Promise<void>;
}

export interface InlineWriterOptions {
  groupCommitMaxWaitMs: number;
  jitter: number;
}

/**
 * Runs writes on the given connection, on the calling thread, group-committed.
 * The writer thread runs one of these on its own connection; the store uses
 * one directly for an in-memory ledger (which no second thread can open).
 */
export class InlineLedgerWriter implements LedgerWriter {
  private readonly context: WriteContext;
  private readonly writes: GroupCommitter;

  /** `statements` are `db`'s (prepareLedgerStatements): a store writing on its own connection passes the ones it already has. */
  constructor(db: SqliteDatabase, statements: LedgerStatements, options: InlineWriterOptions) {
    this.context = { statements, orm: drizzle({ client: db }), jitter: options.jitter };
    this.writes = new GroupCommitter(db, { maxWaitMs: options.groupCommitMaxWaitMs });
  }

  get stats(): Readonly<GroupCommitStats> {
    return this.writes.stats;
  }

  run<K extends WriteOpName>(op: K, args: WriteArgs<K>): Promise<WriteValue<K>> {
    return this.writes.run(() => runWriteOp(this.context, op, args), { durable: isDurableWrite(op), atomic: isAtomicWrite(op) });
  }

  close(): Promise<void> {
    this.writes.close();
    return Promise.resolve();
  }
}
