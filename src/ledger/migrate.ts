import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { openDatabase, type SqliteDatabase } from './database.js';
import { storageUnavailable } from './storage-error.js';

/**
 * Resolved from this module, not the working directory: `../../migrations`
 * is the repository's folder both from src/ledger/ (vitest, tsx) and from
 * dist/ledger/ (the built daemon, and the published package).
 */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));

// drizzle's default bookkeeping table.
const MIGRATIONS_TABLE = '__drizzle_migrations';

/** Applies the migrations not yet applied; a no-op on an up-to-date file. */
export function runMigrations(db: SqliteDatabase): { applied: number } {
  const before = appliedCount(db);
  try {
    migrate(drizzle({ client: db }), { migrationsFolder: MIGRATIONS_FOLDER, migrationsTable: MIGRATIONS_TABLE });
  } catch (error) {
    throw storageUnavailable(`migrate the ledger (${MIGRATIONS_FOLDER})`, error);
  }
  return { applied: appliedCount(db) - before };
}

/** For `notifyd migrate`: opens the file, migrates, closes. Running it twice is harmless. */
export function migrateLedger(path: string): { applied: number } {
  const db = openDatabase({ path, synchronous: 'full', busyTimeoutMs: 5_000 });
  try {
    return runMigrations(db);
  } finally {
    db.close();
  }
}

function appliedCount(db: SqliteDatabase): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(MIGRATIONS_TABLE);
  if (table === undefined) return 0;
  const row = db.prepare(`SELECT count(*) AS n FROM "${MIGRATIONS_TABLE}"`).get() as { n: number };
  return row.n;
}
