import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { migrateLedger, openSqliteNotificationStore } from '../../../src/ledger/index.js';
import { MIGRATIONS_FOLDER } from '../../../src/ledger/migrate.js';
import { input, openTempLedger, T0 } from './ledger-fixture.js';

describe('ledger migrations', () => {
  it('applies once; opening again and `notifyd migrate` on an existing file do nothing and keep the data', async () => {
    const ledger = openTempLedger();
    const { notification } = await ledger.store.enqueue(input(), T0);
    await ledger.store.close();

    expect(migrateLedger(ledger.path)).toEqual({ applied: 0 });
    expect(migrateLedger(ledger.path)).toEqual({ applied: 0 });
    const again = ledger.reopen();
    expect((await again.get(notification.id))?.url).toBe(notification.url);
  });

  it('migrateLedger creates a fresh file, and a second run is harmless', () => {
    const ledger = openTempLedger();
    const fresh = ledger.dir.file('fresh.db');
    expect(migrateLedger(fresh).applied).toBeGreaterThan(0);
    expect(migrateLedger(fresh)).toEqual({ applied: 0 });
    const store = openSqliteNotificationStore({ path: fresh, synchronous: 'full', busyTimeoutMs: 1000, groupCommitMaxWaitMs: 0, migrate: false });
    const tables = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    void store.close();
    expect(tables).toEqual(expect.arrayContaining(['attempts', 'notifications']));
  });

  it('opens with WAL, foreign keys on and the configured synchronous level', () => {
    const { store } = openTempLedger({ synchronous: 'full', busyTimeoutMs: 1234 });
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(1234);
  });

  it('refuses to open an unmigrated file with migrate:false, naming the fix', () => {
    const ledger = openTempLedger();
    expect(() =>
      openSqliteNotificationStore({ path: ledger.dir.file('empty.db'), synchronous: 'full', busyTimeoutMs: 1000, groupCommitMaxWaitMs: 0, migrate: false }),
    ).toThrow(expect.objectContaining({ code: 'storage_unavailable', message: expect.stringContaining('notifyd migrate') }));
  });

  it('a file that cannot be opened is storage_unavailable', () => {
    const ledger = openTempLedger();
    expect(() =>
      openSqliteNotificationStore({ path: ledger.dir.file('no/such/dir/ledger.db'), synchronous: 'full', busyTimeoutMs: 1000, groupCommitMaxWaitMs: 0 }),
    ).toThrow(expect.objectContaining({ code: 'storage_unavailable', statusCode: 503 }));
  });

  it('the committed SQL carries the partial-index predicates', () => {
    const sql = readFileSync(`${MIGRATIONS_FOLDER}/0000_init.sql`, 'utf8');
    expect(sql).toMatch(/notifications_due_first_idx.*WHERE status = 'pending' AND attempts = round_start/);
    expect(sql).toMatch(/notifications_due_retry_idx.*WHERE status = 'pending' AND attempts > round_start/);
    expect(sql).toMatch(/notifications_idempotency_key_idx.*WHERE idempotency_key IS NOT NULL/);
    expect(sql).toMatch(/notifications_dead_idx.*WHERE status = 'dead'/);
  });
});
