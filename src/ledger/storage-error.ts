import { NotifydError, isNotifydError } from '../domain/errors.js';

/**
 * SQLite result codes that mean "the storage failed", not "this request was
 * wrong": the disk is full or failing, the file cannot be opened or written,
 * another process holds the lock past the busy timeout. better-sqlite3 reports
 * extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED …), hence prefixes.
 */
const STORAGE_FAILURE_PREFIXES = [
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_NOMEM',
  'SQLITE_PROTOCOL',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
] as const;

export function sqliteCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

/**
 * True when SQLite may have rolled back the whole transaction (it does so on
 * its own for FULL, IOERR, BUSY and NOMEM), so a batch cannot carry on past it.
 */
export function isStorageFailure(error: unknown): boolean {
  const code = sqliteCode(error);
  return code !== null && STORAGE_FAILURE_PREFIXES.some((prefix) => code.startsWith(prefix));
}

export function storageUnavailable(action: string, cause: unknown): NotifydError {
  const code = sqliteCode(cause);
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new NotifydError('storage_unavailable', `ledger: cannot ${action}: ${reason}${code ? ` (${code})` : ''}`, {
    cause,
    ...(code ? { details: { sqliteCode: code } } : {}),
  });
}

/** A write or read after the store (or its writer) was closed. */
export function storeClosed(): NotifydError {
  return new NotifydError('storage_unavailable', 'ledger: the store is closed');
}

/** Storage failures become storage_unavailable; NotifydErrors and programming errors pass through. */
export function mapStorageError(action: string, error: unknown): unknown {
  if (isNotifydError(error)) return error;
  return isStorageFailure(error) ? storageUnavailable(action, error) : error;
}
