import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { GroupCommitter } from '../../../src/ledger/group-commit.js';
import { input, openTempLedger, T0 } from './ledger-fixture.js';

describe('group commit', () => {
  it('2,000 concurrent enqueues all resolve, in a handful of transactions, and survive reopening the file', async () => {
    const ledger = openTempLedger({ synchronous: 'full', groupCommitMaxWaitMs: 2 });
    const results = await Promise.all(
      Array.from({ length: 2_000 }, (_, i) => ledger.store.enqueue(input({ idempotencyKey: `order-${i}` }), T0 + i)),
    );
    expect(results.every((r) => r.created)).toBe(true);
    expect(ledger.store.stats.ops).toBe(2_000);
    expect(ledger.store.stats.commits).toBeLessThanOrEqual(4);
    await ledger.store.close();

    const reopened = ledger.reopen();
    expect((await reopened.counts()).pending).toBe(2_000);
    const ids = reopened.db.prepare('SELECT id FROM notifications ORDER BY id').pluck().all();
    expect(ids).toEqual(results.map((r) => r.notification.id).sort());
  });

  it('an enqueue resolves only once another connection can see the row', async () => {
    const ledger = openTempLedger({ groupCommitMaxWaitMs: 5 });
    const reader = new Database(ledger.path, { readonly: true });
    try {
      const seen = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          ledger.store.enqueue(input(), T0 + i).then(({ notification }) =>
            reader.prepare('SELECT count(*) FROM notifications WHERE id = ?').pluck().get(notification.id),
          ),
        ),
      );
      expect(seen).toEqual(Array(20).fill(1));
    } finally {
      reader.close();
    }
  });

  it('writes spread over several event-loop turns share one commit within groupCommitMaxWaitMs', async () => {
    const { store } = openTempLedger({ groupCommitMaxWaitMs: 50 });
    const pending = [];
    for (let i = 0; i < 10; i++) {
      pending.push(store.enqueue(input(), T0));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(pending);
    expect(store.stats.commits).toBe(1);
  });

  it('close() commits what is queued before closing', async () => {
    const ledger = openTempLedger({ groupCommitMaxWaitMs: 100 });
    const queued = Array.from({ length: 5 }, () => ledger.store.enqueue(input(), T0));
    await ledger.store.close();
    await Promise.all(queued);
    expect((await ledger.reopen().counts()).pending).toBe(5);
  });

  it('a full disk fails the whole batch with storage_unavailable and stores none of it', async () => {
    // The page limit is per connection, so this store writes on its own one;
    // the writer thread on a really full disk: test/chaos/disk-full.test.ts.
    const { store } = openTempLedger({ writerThread: false });
    await store.enqueue(input(), T0);
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages + 2}`);
    const big = 'x'.repeat(64 * 1024);
    const settled = await Promise.allSettled([
      store.enqueue(input(), T0),
      store.enqueue(input({ body: big }), T0),
      store.enqueue(input(), T0),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const s of settled) {
      expect(s.status === 'rejected' && s.reason).toMatchObject({
        code: 'storage_unavailable',
        statusCode: 503,
        cause: expect.objectContaining({ code: 'SQLITE_FULL' }),
      });
    }
    expect((await store.counts()).pending).toBe(1);
    expect(store.stats.failedCommits).toBe(1);
  });

  it('a write lock held elsewhere past the busy timeout rejects the batch with storage_unavailable', async () => {
    const ledger = openTempLedger({ busyTimeoutMs: 50 });
    const other = new Database(ledger.path);
    other.exec('BEGIN IMMEDIATE');
    try {
      await expect(ledger.store.enqueue(input(), T0)).rejects.toMatchObject({
        code: 'storage_unavailable',
        cause: expect.objectContaining({ code: 'SQLITE_BUSY' }),
      });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await expect(ledger.store.enqueue(input(), T0)).resolves.toMatchObject({ created: true });
    expect((await ledger.store.counts()).pending).toBe(1);
  });

  it('when COMMIT itself fails, every op of the batch rejects and nothing is stored', async () => {
    const ledger = openTempLedger();
    const db = new Database(ledger.dir.file('generic.db'));
    try {
      db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
               CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id))`);
      db.pragma('foreign_keys = ON');
      // Deferred checks run at COMMIT: a dangling child makes the commit, not the statement, fail.
      db.pragma('defer_foreign_keys = ON');
      const committer = new GroupCommitter(db, { maxWaitMs: 0 });
      const settled = await Promise.allSettled([
        committer.run(() => db.prepare('INSERT INTO parent (id) VALUES (1)').run().changes),
        committer.run(() => db.prepare('INSERT INTO child (id, parent_id) VALUES (1, 99)').run().changes),
        committer.run(() => db.prepare('INSERT INTO parent (id) VALUES (2)').run().changes),
      ]);
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(settled[0]?.status === 'rejected' && settled[0].reason).toMatchObject({ code: 'storage_unavailable' });
      expect(db.prepare('SELECT count(*) FROM parent').pluck().get()).toBe(0);
      expect(committer.stats).toMatchObject({ commits: 0, failedCommits: 1 });

      // An op's own error fails only that op.
      const mixed = await Promise.allSettled([
        committer.run(() => db.prepare('INSERT INTO parent (id) VALUES (1)').run().changes),
        committer.run(() => db.prepare('INSERT INTO parent (id) VALUES (1)').run().changes),
        committer.run(() => db.prepare('INSERT INTO parent (id) VALUES (2)').run().changes),
      ]);
      expect(mixed.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(db.prepare('SELECT count(*) FROM parent').pluck().get()).toBe(2);
      expect(committer.stats.commits).toBe(1);
    } finally {
      db.close();
    }
  });
  it('an atomic write (one statement, no savepoint of its own) that fails takes back only its own statement', async () => {
    const ledger = openTempLedger();
    const db = new Database(ledger.dir.file('atomic.db'));
    try {
      db.exec('CREATE TABLE item (id INTEGER PRIMARY KEY, tag TEXT UNIQUE)');
      const committer = new GroupCommitter(db, { maxWaitMs: 0 });
      const insert = db.prepare('INSERT INTO item (id, tag) VALUES (?, ?)');
      const multi = db.prepare("INSERT INTO item (id, tag) VALUES (10, 'x'), (11, 'a')");
      const atomic = { atomic: true };
      const settled = await Promise.allSettled([
        committer.run(() => insert.run(1, 'a').changes, atomic),
        // Fails on its second row: SQLite undoes the statement's first row too.
        committer.run(() => multi.run().changes, atomic),
        // A check that throws before writing.
        committer.run(() => {
          throw new Error('refused before any write');
        }, atomic),
        committer.run(() => insert.run(2, 'b').changes, atomic),
      ]);
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
      expect(db.prepare('SELECT id FROM item ORDER BY id').pluck().all()).toEqual([1, 2]);
      expect(committer.stats).toMatchObject({ commits: 1, ops: 4 });
    } finally {
      db.close();
    }
  });
});
