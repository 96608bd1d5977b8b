import { describe, expect, it } from 'vitest';
import type { SqliteNotificationStore } from '../../../src/ledger/index.js';
import { input, leaseAll, openTempLedger, result, T0 } from './ledger-fixture.js';

/** Enqueues, leases and fails one notification until it is dead (gone). */
async function deadNotification(store: SqliteNotificationStore, url = 'https://merchant.example.com/n', deadAt = T0) {
  const { notification } = await store.enqueue(input({ url }), deadAt);
  await leaseAll(store, deadAt);
  await store.applyResults([result(notification.id, 1, 'http_error', { statusCode: 410 })], deadAt);
  return notification.id;
}

describe('replay and cancel', () => {
  it('replay of a dead letter: pending again, due now, new round, history kept', async () => {
    const { store } = openTempLedger();
    const id = await deadNotification(store);
    const replayed = await store.replay(id, { force: false }, T0 + 1_000);
    expect(replayed).toMatchObject({
      status: 'pending',
      attempts: 1,
      roundStart: 1,
      nextAttemptAt: T0 + 1_000,
      deadAt: null,
      deadReason: null,
      replays: 1,
      updatedAt: T0 + 1_000,
    });
    const [job] = await leaseAll(store, T0 + 1_000);
    expect(job).toMatchObject({ notificationId: id, attempt: 2, first: true });
    // The new round starts the schedule over: its first failure waits delaysMs[0].
    const [applied] = await store.applyResults([result(id, 2, 'timeout')], T0 + 2_000);
    expect(applied?.notification).toMatchObject({ status: 'pending', nextAttemptAt: T0 + 2_000 + 60_000 });
    expect((await store.get(id))?.history.map((h) => h.n)).toEqual([1, 2]);
  });

  it('replay of a delivered notification needs force', async () => {
    const { store } = openTempLedger();
    const { notification } = await store.enqueue(input(), T0);
    await leaseAll(store, T0);
    await store.applyResults([result(notification.id, 1, 'success')], T0);
    await expect(store.replay(notification.id, { force: false }, T0)).rejects.toMatchObject({ code: 'invalid_state' });
    expect(await store.replay(notification.id, { force: true }, T0 + 1)).toMatchObject({ status: 'pending', deliveredAt: null, roundStart: 1 });
  });

  it('replay of a pending or cancelled notification is invalid_state; unknown ids are not_found', async () => {
    const { store } = openTempLedger();
    const { notification } = await store.enqueue(input(), T0);
    await expect(store.replay(notification.id, { force: true }, T0)).rejects.toMatchObject({ code: 'invalid_state', statusCode: 409 });
    await store.cancel(notification.id, T0);
    await expect(store.replay(notification.id, { force: true }, T0)).rejects.toMatchObject({ code: 'invalid_state' });
    await expect(store.replay('ntf_unknown', { force: false }, T0)).rejects.toMatchObject({ code: 'not_found', statusCode: 404 });
    await expect(store.cancel('ntf_unknown', T0)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('cancel: pending → cancelled, never leased again; cancelling twice is invalid_state', async () => {
    const { store } = openTempLedger();
    const { notification } = await store.enqueue(input(), T0);
    const cancelled = await store.cancel(notification.id, T0 + 5);
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelledAt: T0 + 5, nextAttemptAt: null, leaseUntil: null });
    expect(await leaseAll(store, T0 + 1_000_000)).toEqual([]);
    await expect(store.cancel(notification.id, T0)).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('bulk replay takes the matching dead letters, newest first, up to the limit', async () => {
    const { store } = openTempLedger();
    const a1 = await deadNotification(store, 'https://a.example/x', T0 + 1);
    const a2 = await deadNotification(store, 'https://a.example/x', T0 + 2);
    const a3 = await deadNotification(store, 'https://a.example/x', T0 + 3);
    const b = await deadNotification(store, 'https://b.example/x', T0 + 4);
    const pending = (await store.enqueue(input({ url: 'https://a.example/x' }), T0)).notification.id;

    expect(await store.replayDeadLetters({ urlPrefix: 'https://a.example/', limit: 2 }, T0 + 10)).toEqual({ replayed: 2, ids: [a3, a2] });
    expect(await store.replayDeadLetters({ host: 'a.example' }, T0 + 10)).toEqual({ replayed: 1, ids: [a1] });
    expect(await store.replayDeadLetters({ host: 'a.example' }, T0 + 10)).toEqual({ replayed: 0, ids: [] });
    expect((await store.get(b))?.status).toBe('dead');
    expect((await store.get(pending))?.replays).toBe(0);
    expect((await store.get(a1))).toMatchObject({ status: 'pending', replays: 1, nextAttemptAt: T0 + 10 });
    await expect(store.replayDeadLetters({ limit: 100_001 }, T0)).rejects.toMatchObject({ code: 'validation_failed', field: 'limit' });
  });

  it('bulk replay honours since (inclusive) and until (exclusive) on deadAt', async () => {
    const { store } = openTempLedger();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await deadNotification(store, 'https://a.example/x', T0 + i * 1000));
    const out = await store.replayDeadLetters({ since: T0 + 1000, until: T0 + 3000 }, T0 + 10_000);
    expect(out.ids).toEqual([ids[2], ids[1]]);
  });
});
