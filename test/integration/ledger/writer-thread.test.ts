import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { NotifydError } from '../../../src/domain/errors.js';
import { newNotification, notificationToValues } from '../../../src/ledger/rows.js';
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

/** A thread writer on a fresh ledger whose first thread dies on the first message it gets (test/helpers/failing-writer-thread.mjs); the next is the real one. */
function writerThatDiesFirst() {
  const dir = tempDir('notifyd-writer-');
  const path = dir.file('ledger.db');
  const db = openDatabase({ path, synchronous: 'normal', busyTimeoutMs: 1000 });
  runMigrations(db);
  const options = { path, synchronous: 'normal' as const, busyTimeoutMs: 1000, groupCommitMaxWaitMs: 0, jitter: 0 };
  const writer = new ThreadLedgerWriter(
    Object.assign(options, { diedMarker: dir.file('died') }),
    new URL('../../helpers/failing-writer-thread.mjs', import.meta.url),
  );
  const row = (n: number) => notificationToValues(newNotification(`0190aaaa-0000-7000-8000-00000000000${n}`, input(), T0));
  const done = async () => {
    await writer.close();
    db.close();
    dir.cleanup();
  };
  return { writer, db, row, done };
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

  it('writes made in separate tasks while the thread is busy all commit, each settling on its own (a conflict fails alone)', async () => {
    const ledger = openTempLedger({ synchronous: 'full' });
    const keyed = await ledger.store.enqueue(input({ idempotencyKey: 'order-1' }), T0);
    // One write per macrotask, each made while earlier ones are still out.
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < 40; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      writes.push(ledger.store.enqueue(input(i === 20 ? { idempotencyKey: 'order-1', body: '{"other":true}' } : {}), T0 + i));
    }
    const settled = await Promise.allSettled(writes);
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(39);
    expect(settled[20]).toMatchObject({ status: 'rejected', reason: { code: 'idempotency_conflict' } });
    expect((await ledger.store.counts()).pending).toBe(40);
    expect((await ledger.store.get(keyed.notification.id))?.body).toBe(keyed.notification.body);
  });

  it('a write made in a later task while its thread is dying fails with the rest and never reaches the next thread', async () => {
    const { writer, db, row, done } = writerThatDiesFirst();
    try {
      const sent = writer.run('enqueue', [row(1)]);
      await Promise.resolve(); // sent: a task's writes go when the task ends
      const later = writer.run('enqueue', [row(2)]); // made while the first is out, in a task of its own
      busyWait(500); // the thread dies on the first write meanwhile; the second is sent to it before its exit is seen
      for (const s of await Promise.allSettled([sent, later])) {
        expect(s.status === 'rejected' && s.reason).toMatchObject({ code: 'storage_unavailable' });
      }
      await expect(writer.run('enqueue', [row(3)])).resolves.toEqual({ created: true });
      expect(db.prepare('SELECT id FROM notifications').pluck().all()).toEqual(['0190aaaa-0000-7000-8000-000000000003']);
    } finally {
      await done();
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
    const { writer, db, row, done } = writerThatDiesFirst();
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
      await done();
    }
  });
});
