import { openDatabase, type SynchronousMode } from './database.js';
import { InlineLedgerWriter, type LedgerWriter } from './ledger-writer.js';
import { runMigrations } from './migrate.js';
import { SqliteNotificationStore } from './sqlite-notification-store.js';
import { ThreadLedgerWriter } from './thread-ledger-writer.js';

export interface LedgerOptions {
  path: string;
  synchronous: SynchronousMode;
  busyTimeoutMs: number;
  groupCommitMaxWaitMs: number;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
  /** Retry-delay jitter (`delivery.jitter`): 0 (default) disables, 0.2 = ±20 %. */
  jitter?: number;
  /**
   * Run the writes on a worker thread with its own connection (default true;
   * `ledger.writerThread`). An in-memory ledger always writes inline: a
   * second connection would open a different, empty database.
   */
  writerThread?: boolean;
}

/** Opens the ledger file, migrates it unless told not to, and returns the store. */
export function openSqliteNotificationStore(options: LedgerOptions): SqliteNotificationStore {
  const db = openDatabase(options);
  try {
    if (options.migrate ?? true) runMigrations(db);
    const { path, synchronous, busyTimeoutMs, groupCommitMaxWaitMs } = options;
    const jitter = options.jitter ?? 0;
    return new SqliteNotificationStore(db, (statements): LedgerWriter =>
      (options.writerThread ?? true) && !isInMemory(path)
        ? new ThreadLedgerWriter({ path, synchronous, busyTimeoutMs, groupCommitMaxWaitMs, jitter })
        : new InlineLedgerWriter(db, statements, { groupCommitMaxWaitMs, jitter }),
    );
  } catch (error) {
    db.close();
    throw error;
  }
}

function isInMemory(path: string): boolean {
  return path === '' || path === ':memory:' || path.startsWith('file::memory:') || /[?&]mode=memory\b/.test(path);
}
