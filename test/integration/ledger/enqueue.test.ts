import { describe, expect, it } from 'vitest';
import { newNotificationId } from '../../../src/ledger/index.js';
import { input, openTempLedger, T0 } from './ledger-fixture.js';

describe('enqueue and get', () => {
  it('stores every field and reads it back with an empty history', async () => {
    const { store } = openTempLedger();
    const sent = input({
      headers: { 'x-merchant': 'm-42', 'x-trace': 'abc' },
      success: { status: [200, 204], body: null },
      metadata: { merchant: 'm-42', nested: { n: 1 } },
      idempotencyKey: '20261124-0001:TRADE_SUCCESS',
    });
    const { notification, created } = await store.enqueue(sent, T0);
    expect(created).toBe(true);
    expect(notification.id).toMatch(/^ntf_[0-9a-f]{32}$/);
    expect(notification).toMatchObject({ status: 'pending', attempts: 0, roundStart: 0, nextAttemptAt: T0, createdAt: T0 });

    const read = await store.get(notification.id);
    expect(read).toEqual({ ...notification, history: [] });
    expect(read).toMatchObject({ ...sent, status: 'pending', leaseUntil: null, deliveredAt: null, replays: 0, updatedAt: T0 });
    expect(await store.get('ntf_missing')).toBeNull();
  });

  it('generates time-ordered ids that sort as strings', () => {
    const ids = Array.from({ length: 2_000 }, () => newNotificationId());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('same idempotency key and payload returns the existing notification', async () => {
    const { store } = openTempLedger();
    const first = await store.enqueue(input({ idempotencyKey: 'order-1' }), T0);
    const again = await store.enqueue(input({ idempotencyKey: 'order-1' }), T0 + 5_000);
    expect(again).toEqual({ notification: first.notification, created: false });
    expect((await store.counts()).pending).toBe(1);
  });

  it('same key with another payload is idempotency_conflict and stores nothing', async () => {
    const { store } = openTempLedger();
    const first = await store.enqueue(input({ idempotencyKey: 'order-1' }), T0);
    const other = input({ idempotencyKey: 'order-1', body: '{"trade_status":"TRADE_CLOSED"}', payloadHash: 'different' });
    await expect(store.enqueue(other, T0)).rejects.toMatchObject({
      code: 'idempotency_conflict',
      statusCode: 409,
      field: 'idempotencyKey',
    });
    expect(store.db.prepare('SELECT count(*) FROM notifications').pluck().get()).toBe(1);
    expect((await store.get(first.notification.id))?.body).toBe(first.notification.body);
  });

  it('a conflict in a batch fails only its own enqueue', async () => {
    const { store } = openTempLedger();
    await store.enqueue(input({ idempotencyKey: 'k' }), T0);
    const settled = await Promise.allSettled([
      store.enqueue(input({ idempotencyKey: 'a' }), T0),
      store.enqueue(input({ idempotencyKey: 'k', payloadHash: 'other' }), T0),
      store.enqueue(input({ idempotencyKey: 'b' }), T0),
      store.enqueue(input({ idempotencyKey: 'a' }), T0),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const [a, , , aAgain] = settled;
    if (a?.status !== 'fulfilled' || aAgain?.status !== 'fulfilled') throw new Error('unreachable');
    expect(aAgain.value).toEqual({ notification: a.value.notification, created: false });
    expect(store.stats.commits).toBe(2);
    expect((await store.counts()).pending).toBe(3);
  });

  it('notifications without a key never collide', async () => {
    const { store } = openTempLedger();
    const a = await store.enqueue(input(), T0);
    const b = await store.enqueue(input(), T0);
    expect(a.notification.id).not.toBe(b.notification.id);
    expect(b.created).toBe(true);
  });

  it('ping answers, and a closed store refuses with storage_unavailable', async () => {
    const { store } = openTempLedger();
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await store.close();
    await expect(store.ping()).rejects.toMatchObject({ code: 'storage_unavailable' });
    await expect(store.enqueue(input(), T0)).rejects.toMatchObject({ code: 'storage_unavailable' });
  });
});
