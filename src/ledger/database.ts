import Database from 'better-sqlite3';
import { storageUnavailable } from './storage-error.js';

export type SqliteDatabase = Database.Database;

export type SynchronousMode = 'off' | 'normal' | 'full' | 'extra';

export interface DatabaseOptions {
  path: string;
  /** `full` makes a commit survive power loss; `normal` only a process crash (WAL). */
  synchronous: SynchronousMode;
  busyTimeoutMs: number;
}

/**
 * Opens the ledger file with the pragmas every connection needs. WAL lets
 * readers (`/v1/notifications/:id`, a verify script) run beside the writer,
 * and makes a commit one append plus, with synchronous=FULL, one fsync.
 */
export function openDatabase(options: DatabaseOptions): SqliteDatabase {
  let db: SqliteDatabase;
  try {
    db = new Database(options.path, { timeout: options.busyTimeoutMs });
  } catch (error) {
    throw storageUnavailable(`open ${options.path}`, error);
  }
  try {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    // An in-memory database answers 'memory'; anything else means WAL was refused.
    if (mode !== 'wal' && mode !== 'memory') {
      throw new Error(`journal_mode is ${String(mode)}, expected wal`);
    }
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs))}`);
    db.pragma(`synchronous = ${synchronousPragma(options.synchronous)}`);
    db.pragma('foreign_keys = ON');
  } catch (error) {
    db.close();
    throw storageUnavailable(`configure ${options.path}`, error);
  }
  return db;
}

function synchronousPragma(mode: SynchronousMode): string {
  // Whitelisted: a pragma value cannot be a bound parameter.
  switch (mode) {
    case 'off':
      return 'OFF';
    case 'normal':
      return 'NORMAL';
    case 'full':
      return 'FULL';
    case 'extra':
      return 'EXTRA';
  }
}
