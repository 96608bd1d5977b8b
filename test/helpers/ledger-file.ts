import Database from 'better-sqlite3';

/** Opens the ledger file read-only (as an operator would, beside a running or dead daemon), runs `fn`, closes it. */
export function withLedger<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Reads the ledger file until `expected` notifications are delivered or `timeoutMs` passes; returns the last count. */
export async function waitForDelivered(path: string, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let delivered = 0;
  while (Date.now() < deadline) {
    delivered = withLedger(path, (db) => (db.prepare("SELECT count(*) AS n FROM notifications WHERE status = 'delivered'").get() as { n: number }).n);
    if (delivered >= expected) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return delivered;
}
