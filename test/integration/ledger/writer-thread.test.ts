import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { NotifydError } from '../../../src/domain/errors.js';
import { newNotification, notificationToRow } from '../../../src/ledger/rows.js';
import { ThreadLedgerWriter } from '../../../src/ledger/thread-ledger-writer.js';
import { fromWireError, toWireError } from '../../../src/ledger/writer-wire.js';
import { runMigrations } from '../../../src/ledger/migrate.js';
import { openDatabase } from '../../../src/ledger/database.js';
import { tempDir } from '../../helpers/temp.js';
import { input, openTempLedger, T0 } from './ledger-fixture.js';

function busyWait(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // hold the event loop
  }
}

describe('the writer thread', () => {
  it('commits while the event loop is blocked: the writes run on another thread', async () => {
    const ledger = openTempLedger({ synchronous: 'full' });
    await ledger.store.enqueue(input(), T0); // the thread is up
    const reader = new Database(ledger.path, { readonly: true });
    try {
      const pending = ledger.store.enqueue(input(), T0 + 1);
      await Promise.resolve(); // the write is sent when the current task ends
      // The loop is now held and never turns: only another thread can commit.
      busyWait(300);
      const committed = reader.prepare('SELECT count(*) FROM notifications').pluck().get();
      expect(committed).toBe(2);
      const { notification, created } = await pending;
      expect(created).toBe(true);
      expect(reader.prepare('SELECT status FROM notifications WHERE id = ?').pluck().get(notification.id)).toBe('pending');
    } finally {
      reader.close();
    }
  });

  it('the same store with writerThread false writes on the event loop: nothing commits while it is held', async () => {
    const ledger = openTempLedger({ writerThread: false });
    const reader = new Database(ledger.path, { readonly: true });
    try {
      const pending = ledger.store.enqueue(input(), T0);
      await Promise.resolve();
      busyWait(100);
      expect(reader.prepare('SELECT count(*) FROM notifications').pluck().get()).toBe(0);
      await pending;
      expect(reader.prepare('SELECT count(*) FROM notifications').pluck().get()).toBe(1);
    } finally {
      reader.close();
    }
  });

  it('an error crosses back with its code, field, details and SQLite cause', () => {
    const cause = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const error = new NotifydError('storage_unavailable', 'ledger: cannot commit', { field: 'x', details: { sqliteCode: 'SQLITE_FULL' }, cause });
    const back = fromWireError(structuredClone(toWireError(error)));
    expect(back).toBeInstanceOf(NotifydError);
    expect(back).toMatchObject({ code: 'storage_unavailable', statusCode: 503, field: 'x', details: { sqliteCode: 'SQLITE_FULL' }, message: error.message });
    expect(back.cause).toMatchObject({ code: 'SQLITE_FULL', message: 'database or disk is full' });
    const plain = fromWireError(structuredClone(toWireError(new TypeError('boom'))));
    expect(plain).not.toBeInstanceOf(NotifydError);
    expect(plain).toMatchObject({ name: 'TypeError', message: 'boom' });
  });

  it('a thread that dies fails the writes it held with storage_unavailable, stores none of them, and the next write gets a new thread', async () => {
    const dir = tempDir('notifyd-writer-');
    const path = dir.file('ledger.db');
    const db = openDatabase({ path, synchronous: 'normal', busyTimeoutMs: 1000 });
    runMigrations(db);
    const options = { path, synchronous: 'normal' as const, busyTimeoutMs: 1000, groupCommitMaxWaitMs: 0, jitter: 0 };
    const writer = new ThreadLedgerWriter(
      Object.assign(options, { diedMarker: dir.file('died') }),
      new URL('../../helpers/failing-writer-thread.mjs', import.meta.url),
    );
    const row = (n: number) => notificationToRow(newNotification(`0190aaaa-0000-7000-8000-00000000000${n}`, input(), T0));
    try {
      const first = await Promise.allSettled([writer.run('enqueue', [row(1)]), writer.run('enqueue', [row(2)])]);
      for (const s of first) {
        expect(s.status).toBe('rejected');
        expect(s.status === 'rejected' && s.reason).toMatchObject({ code: 'storage_unavailable' });
        expect(s.status === 'rejected' && String(s.reason.message)).toMatch(/writer thread stopped/);
      }
      expect(db.prepare('SELECT count(*) FROM notifications').pluck().get()).toBe(0);
      await expect(writer.run('enqueue', [row(3)])).resolves.toEqual({ created: true });
      expect(db.prepare('SELECT id FROM notifications').pluck().all()).toEqual(['0190aaaa-0000-7000-8000-000000000003']);
      expect(writer.stats.ops).toBe(1);
    } finally {
      await writer.close();
      db.close();
      dir.cleanup();
    }
  });
});
