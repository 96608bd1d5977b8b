import { describe, expect, it } from 'vitest';
import { input, leaseAll, noSlots, openTempLedger, result, T0 } from './ledger-fixture.js';

const lease = { leaseMs: 30_000 };

describe('leaseDue', () => {
  it('leases a due row once: the lease deadline makes it not due, and a second call gets nothing', async () => {
    const { store } = openTempLedger();
    const { notification } = await store.enqueue(input({ timeoutMs: 5_000 }), T0);

    const [first, second] = await Promise.all([leaseAll(store, T0), leaseAll(store, T0)]);
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(0);
    expect(first[0]).toEqual({
      notificationId: notification.id,
      attempt: 1,
      url: notification.url,
      host: 'merchant.example.com',
      body: notification.body,
      contentType: 'application/json',
      headers: { 'x-merchant': 'm-42' },
      timeoutMs: 5_000,
      success: { status: '2xx', body: 'success' },
      leaseUntil: T0 + 30_000 + 5_000,
      first: true,
    });
    expect(await store.get(notification.id)).toMatchObject({ nextAttemptAt: T0 + 35_000, leaseUntil: T0 + 35_000, status: 'pending' });
    expect(await store.nextDueAt()).toBe(T0 + 35_000);
    expect((await store.counts()).leased).toBe(0); // counts() uses the wall clock; T0 is in the past
  });

  it('never hands the same row to two concurrent lease calls', async () => {
    const { store } = openTempLedger();
    await Promise.all(Array.from({ length: 300 }, (_, i) => store.enqueue(input({ url: `https://h${i % 7}.example/n` }), T0)));
    const batches = await Promise.all(Array.from({ length: 10 }, () => leaseAll(store, T0, { limit: 40 })));
    const ids = batches.flat().map((job) => job.notificationId);
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
  });

  it('gives retries no more than maxRetries slots, and first attempts the rest', async () => {
    const { store } = openTempLedger();
    const retrying = await Promise.all(Array.from({ length: 6 }, (_, i) => store.enqueue(input({ url: `https://r${i}.example/n`, delaysMs: [1_000] }), T0)));
    await leaseAll(store, T0);
    await store.applyResults(retrying.map((r) => result(r.notification.id, 1, 'timeout')), T0); // 6 retries due at T0 + 1s
    const fresh = await Promise.all(Array.from({ length: 3 }, (_, i) => store.enqueue(input({ url: `https://f${i}.example/n` }), T0 + 2_000)));

    const jobs = await store.leaseDue({ now: T0 + 5_000, limit: 8, ...lease, hostSlotsLeft: noSlots, perHostLimit: 10, maxRetries: 2 });
    expect(jobs.filter((j) => j.first).map((j) => j.notificationId).sort()).toEqual(fresh.map((f) => f.notification.id).sort());
    expect(jobs.filter((j) => !j.first)).toHaveLength(2);
    const none = await store.leaseDue({ now: T0 + 5_000, limit: 8, ...lease, hostSlotsLeft: noSlots, perHostLimit: 10, maxRetries: 0 });
    expect(none).toHaveLength(0);
    const rest = await store.leaseDue({ now: T0 + 5_000, limit: 8, ...lease, hostSlotsLeft: noSlots, perHostLimit: 10 });
    expect(rest.map((j) => j.first)).toEqual([false, false, false, false]);
  });

  it('keeps retryReserve slots for due retries under a flood of first attempts', async () => {
    const { store } = openTempLedger();
    const retrying = await Promise.all(Array.from({ length: 4 }, (_, i) => store.enqueue(input({ url: `https://r${i}.example/n`, delaysMs: [1_000] }), T0)));
    await leaseAll(store, T0);
    await store.applyResults(retrying.map((r) => result(r.notification.id, 1, 'timeout')), T0);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.enqueue(input({ url: `https://f${i}.example/n` }), T0 + 2_000)));

    const jobs = await store.leaseDue({ now: T0 + 5_000, limit: 8, ...lease, hostSlotsLeft: noSlots, perHostLimit: 10, retryReserve: 3 });
    expect(jobs.filter((j) => j.first)).toHaveLength(5);
    expect(jobs.filter((j) => !j.first)).toHaveLength(3);
    const without = await store.leaseDue({ now: T0 + 5_000, limit: 8, ...lease, hostSlotsLeft: noSlots, perHostLimit: 10 });
    expect(without.every((j) => j.first)).toBe(true);
  });

  it('only rows due by `now`, oldest due first', async () => {
    const { store } = openTempLedger();
    const late = await store.enqueue(input(), T0 + 2_000);
    const early = await store.enqueue(input(), T0 + 1_000);
    await store.enqueue(input(), T0 + 9_000);
    const jobs = await leaseAll(store, T0 + 5_000);
    expect(jobs.map((j) => j.notificationId)).toEqual([early.notification.id, late.notification.id]);
  });

  it('first attempts go before retries that have been due for longer', async () => {
    const { store } = openTempLedger();
    const retried = await store.enqueue(input({ delaysMs: [1_000] }), T0);
    await leaseAll(store, T0);
    await store.applyResults([result(retried.notification.id, 1, 'timeout')], T0); // retry due at T0 + 1s
    const fresh = await store.enqueue(input(), T0 + 50_000);

    const jobs = await store.leaseDue({ now: T0 + 60_000, limit: 1, ...lease, hostSlotsLeft: noSlots, perHostLimit: 10 });
    expect(jobs.map((j) => [j.notificationId, j.attempt, j.first])).toEqual([[fresh.notification.id, 1, true]]);
    const next = await store.leaseDue({ now: T0 + 60_000, limit: 5, ...lease, hostSlotsLeft: noSlots, perHostLimit: 10 });
    expect(next.map((j) => [j.notificationId, j.attempt, j.first])).toEqual([[retried.notification.id, 2, false]]);
  });

  it('respects per-host slots: absent hosts take perHostLimit, saturated hosts none', async () => {
    const { store } = openTempLedger();
    for (const host of ['a.example', 'b.example', 'c.example']) {
      for (let i = 0; i < 5; i++) await store.enqueue(input({ url: `https://${host}/n` }), T0 + i);
    }
    const jobs = await store.leaseDue({
      now: T0 + 10,
      limit: 100,
      ...lease,
      hostSlotsLeft: new Map([
        ['a.example', 0],
        ['b.example', 1],
      ]),
      perHostLimit: 3,
    });
    const perHost = Object.fromEntries(['a.example', 'b.example', 'c.example'].map((h) => [h, jobs.filter((j) => j.host === h).length]));
    expect(perHost).toEqual({ 'a.example': 0, 'b.example': 1, 'c.example': 3 });
  });

  it('a backlog for a saturated host, due before everything else, does not starve other hosts', async () => {
    const { store } = openTempLedger();
    // More rows than one time-ordered walk looks at, half first attempts and half retries, all due first.
    const insert = store.db.prepare(
      `INSERT INTO notifications (id, status, url, host, body, content_type, headers, payload_hash, delays_ms, success,
         timeout_ms, attempts, round_start, next_attempt_at, created_at, updated_at)
       VALUES (?, 'pending', 'https://slow.example/n', 'slow.example', '{}', 'application/json', '{}', 'h', '[1000]',
         '{"status":"2xx","body":"success"}', 10000, ?, 0, ?, ?, ?)`,
    );
    store.db.transaction(() => {
      for (let i = 0; i < 4_000; i++) insert.run(`ntf_slow_${String(i).padStart(6, '0')}`, i % 2, T0 + i, T0, T0);
    })();
    const fresh = await store.enqueue(input({ url: 'https://fast.example/new' }), T0 + 10_000);
    const retry = await store.enqueue(input({ url: 'https://other.example/retry', delaysMs: [1] }), T0 + 10_000);
    await store.applyResults([result(retry.notification.id, 1, 'network')], T0 + 10_000);
    const now = T0 + 20_000;

    const saturated = await store.leaseDue({ now, limit: 8, ...lease, hostSlotsLeft: new Map([['slow.example', 0]]), perHostLimit: 2 });
    expect(saturated.map((j) => [j.notificationId, j.attempt])).toEqual([
      [fresh.notification.id, 1],
      [retry.notification.id, 2],
    ]);
    await store.releaseLeases([fresh.notification.id, retry.notification.id], now);

    // Not yet saturated: it takes its two slots while the walk is under way, and the rest still come through.
    const absent = await store.leaseDue({ now, limit: 8, ...lease, hostSlotsLeft: noSlots, perHostLimit: 2 });
    expect(absent.filter((j) => j.host === 'slow.example').map((j) => j.first)).toEqual([true, true]);
    expect(absent.filter((j) => j.host !== 'slow.example').map((j) => j.notificationId)).toEqual([
      fresh.notification.id,
      retry.notification.id,
    ]);
  });

  it('an expired lease is leased again with the same attempt number', async () => {
    const { store } = openTempLedger();
    const { notification } = await store.enqueue(input({ timeoutMs: 1_000 }), T0);
    const [job] = await leaseAll(store, T0);
    expect(job?.attempt).toBe(1);
    expect(await leaseAll(store, T0 + 30_000)).toEqual([]);
    const [again] = await leaseAll(store, T0 + 31_000);
    expect(again).toMatchObject({ notificationId: notification.id, attempt: 1, first: true, leaseUntil: T0 + 31_000 + 31_000 });
  });

  it('releaseLeases makes leased rows due at once and leaves scheduled retries alone', async () => {
    const { store } = openTempLedger();
    const leased = await store.enqueue(input(), T0);
    const waiting = await store.enqueue(input({ delaysMs: [60_000] }), T0);
    await leaseAll(store, T0);
    await store.applyResults([result(waiting.notification.id, 1, 'timeout')], T0);
    await store.releaseLeases([leased.notification.id, waiting.notification.id], T0 + 5);
    expect(await store.get(leased.notification.id)).toMatchObject({ nextAttemptAt: T0 + 5, leaseUntil: null });
    expect(await store.get(waiting.notification.id)).toMatchObject({ nextAttemptAt: T0 + 60_000 });
    expect((await leaseAll(store, T0 + 5)).map((j) => j.notificationId)).toEqual([leased.notification.id]);
  });

  it('limit 0 leases nothing; nextDueAt is null on an empty ledger', async () => {
    const { store } = openTempLedger();
    await store.enqueue(input(), T0);
    expect(await store.leaseDue({ now: T0, limit: 0, ...lease, hostSlotsLeft: noSlots, perHostLimit: 1 })).toEqual([]);
    const empty = openTempLedger().store;
    expect(await empty.nextDueAt()).toBeNull();
  });
});
