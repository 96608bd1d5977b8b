import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { buildConfig } from '../../dist/config.js';
import { toNewNotification } from '../../dist/api/new-notification.js';
import { migrateLedger, openSqliteNotificationStore } from '../../dist/ledger/index.js';
import { resolveSchedule } from '../../dist/domain/schedule.js';
import { Child } from './child.mjs';

const DAEMON_CHILD = fileURLToPath(new URL('./daemon-child.mjs', import.meta.url));

export function tempDir(prefix = 'notifyd-bench-') {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, file: (name) => join(path, name), cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * The daemon's configuration for a benchmark: the defaults (synchronous=FULL,
 * concurrency 64, perHostConcurrency 16, group commit 2 ms), the API on a free
 * loopback port, the SSRF guard opened for 127.0.0.1 only, and logging at
 * `warn` (the per-request info lines are measured separately, see enqueue).
 */
export function benchConfig(dbPath, sections = {}) {
  const base = {
    listen: { host: '127.0.0.1', port: 0 },
    ledger: { path: dbPath },
    security: { allowHosts: ['127.0.0.1/32'] },
    log: { level: 'warn' },
  };
  const out = { ...base };
  for (const [k, v] of Object.entries(sections)) out[k] = { ...(out[k] ?? {}), ...v };
  return out;
}

/** Starts notifyd in a child process; resolves once it listens. */
export async function startNotifyd(configSections, { noop = false, scheduler = true, execArgv = [], env = {} } = {}) {
  const child = new Child(DAEMON_CHILD, {
    env: { ...env, BENCH_CONFIG: JSON.stringify(configSections), BENCH_NOOP: noop ? '1' : '0', BENCH_NO_SCHEDULER: scheduler ? '0' : '1' },
    execArgv,
  });
  const ready = await child.waitFor('ready');
  return { child, url: ready.url, noopUrl: ready.noopUrl, stop: () => child.stop() };
}

/** A 512-byte JSON enqueue request body to `url` (the exact size is checked). */
export function enqueueBody(url, i = 0, size = 512) {
  const base = { url, body: { out_trade_no: `20261124-${String(i).padStart(8, '0')}`, trade_status: 'TRADE_SUCCESS', pad: '' } };
  const without = JSON.stringify(base).length;
  base.body.pad = 'x'.repeat(Math.max(0, size - without));
  const text = JSON.stringify(base);
  if (Buffer.byteLength(text) !== size) throw new Error(`enqueue body is ${Buffer.byteLength(text)} bytes, wanted ${size}`);
  return text;
}

/**
 * Stores `n` notifications to `urlOf(i)` through the real store (the path an
 * enqueue takes after HTTP: toNewNotification, then the group-committed insert).
 */
export async function seedViaStore(dbPath, n, urlOf, extra = {}) {
  const config = buildConfig(benchConfig(dbPath, { ledger: { synchronous: 'normal' } }));
  const store = openSqliteNotificationStore({
    path: dbPath,
    synchronous: 'normal',
    busyTimeoutMs: 5_000,
    groupCommitMaxWaitMs: 0,
  });
  const destinations = { checkUrl() {} };
  const now = Date.now();
  const pending = [];
  for (let i = 0; i < n; i++) {
    const body = JSON.parse(enqueueBody(urlOf(i), i));
    const input = toNewNotification({ ...body, ...extra }, undefined, { config, destinations });
    pending.push(store.enqueue(input, now));
    if (pending.length >= 5_000) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  await store.close();
}

/** The row fields every SQL-seeded notification shares (same values toNewNotification produces for enqueueBody). */
export function sqlSeedDefaults(url) {
  const body = JSON.parse(enqueueBody(url)).body;
  return {
    url,
    host: new URL(url).host,
    body: JSON.stringify(body),
    contentType: 'application/json',
    headers: '{}',
    delaysMs: JSON.stringify(resolveSchedule('alipay')),
    success: JSON.stringify({ status: '2xx', body: 'success' }),
    payloadHash: createHash('sha256').update(url).digest('hex'),
  };
}

/**
 * Inserts rows with one SQL statement per chunk (a recursive CTE), far faster
 * than the store: for the million-row ledger. `dueAtSql` and `attempts` are SQL
 * expressions of the row number `i` (0-based). Ids are time-ordered like
 * UUIDv7 (a 48-bit ms prefix) so the primary key grows at its end, as it does live.
 */
export function seedViaSql(dbPath, { n, url, createdAt, dueAtSql, attempts = 0, timeoutMs = 10_000, chunk = 100_000 }) {
  migrateLedger(dbPath);
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const d = sqlSeedDefaults(url);
  for (let start = 0; start < n; start += chunk) {
    const count = Math.min(chunk, n - start);
    db.prepare(
      `WITH RECURSIVE seq(i) AS (SELECT @start UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < @end)
       INSERT INTO notifications (id, status, url, host, body, content_type, headers, idempotency_key, payload_hash,
         delays_ms, success, timeout_ms, metadata, attempts, round_start, next_attempt_at, lease_until,
         created_at, updated_at)
       SELECT printf('ntf_%012x7000%x%015x', @createdAt, 8, i), 'pending', @url, @host, @body, @contentType, @headers, NULL,
         @payloadHash, @delaysMs, @success, @timeoutMs, NULL, (${attempts}), 0, ${dueAtSql}, NULL, @createdAt, @createdAt
       FROM seq`,
    ).run({ ...d, start, end: start + count, createdAt, timeoutMs });
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** A read-only view of the ledger for the driver: delivered counts without touching the daemon's process. */
export function ledgerReader(dbPath) {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  const byStatus = db.prepare('SELECT count(*) AS n FROM notifications WHERE status = ?');
  return {
    db,
    count: (status) => byStatus.get(status).n,
    close: () => db.close(),
  };
}

/** Polls until `count(status) >= n`; resolves with performance.now() when seen. */
export async function waitForStatus(reader, status, n, { intervalMs = 10, timeoutMs = 600_000 } = {}) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const c = reader.count(status);
    if (c >= n) return performance.now();
    if (performance.now() > deadline) throw new Error(`ledger: ${c}/${n} ${status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
