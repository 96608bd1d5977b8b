import { openDatabase, type SynchronousMode } from './database.js';
import { runMigrations } from './migrate.js';
import { SqliteNotificationStore } from './sqlite-notification-store.js';

export interface LedgerOptions {
  path: string;
  synchronous: SynchronousMode;
  busyTimeoutMs: number;
  groupCommitMaxWaitMs: number;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
  /** Retry-delay jitter (`delivery.jitter`): 0 (default) disables, 0.2 = ±20 %. */
  jitter?: number;
}

/** Opens the ledger file, migrates it unless told not to, and returns the store. */
export function openSqliteNotificationStore(options: LedgerOptions): SqliteNotificationStore {
  const db = openDatabase(options);
  try {
    if (options.migrate ?? true) runMigrations(db);
    return new SqliteNotificationStore(db, {
      groupCommitMaxWaitMs: options.groupCommitMaxWaitMs,
      ...(options.jitter !== undefined ? { jitter: options.jitter } : {}),
    });
  } catch (error) {
    db.close();
    throw error;
  }
}
