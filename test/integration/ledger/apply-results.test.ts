import { describe, expect, it } from 'vitest';
import { input, leaseAll, openTempLedger, result, T0 } from './ledger-fixture.js';

const delays = [60_000, 600_000];

async function leasedNotification(ledger = openTempLedger(), more: Parameters<typeof input>[0] = {}) {
  const { notification } = await ledger.store.enqueue(input({ delaysMs: delays, ...more }), T0);
  const jobs = await leaseAll(ledger.store, T0);
  return { ...ledger, id: notification.id, job: jobs[0] };
}

describe('applyResults', () => {
  it('success → delivered, with the attempt in the history', async () => {
    const { store, id } = await leasedNotification();
    const [applied] = await store.applyResults([result(id, 1, 'success')], T0 + 100);
    expect(applied).toMatchObject({ notificationId: id, attempt: 1, applied: true, status: 'delivered' });
    expect(applied?.notification).toMatchObject({ status: 'delivered', deliveredAt: T0 + 100, attempts: 1, nextAttemptAt: null, leaseUntil: null });
    // Only the summary comes back for a result that does not make a dead letter: not the payload.
    expect(applied?.notification).not.toHaveProperty('body');
    expect(applied?.deadLetter).toBeNull();
    const read = await store.get(id);
    expect(read?.history).toEqual([
      { n: 1, at: T0, durationMs: 12, statusCode: 200, outcome: 'success', error: null, responseExcerpt: 'success' },
    ]);
    expect(await store.nextDueAt()).toBeNull();
  });

  it('a duplicate or stale result changes nothing', async () => {
    const { store, id } = await leasedNotification();
    await store.applyResults([result(id, 1, 'timeout')], T0 + 100);
    const before = await store.get(id);
    const applied = await store.applyResults(
      [result(id, 1, 'success'), result(id, 3, 'success'), result('ntf_nope', 1, 'success')],
      T0 + 200,
    );
    expect(applied.map((a) => [a.applied, a.status])).toEqual([
      [false, 'pending'],
      [false, 'pending'],
      [false, null],
    ]);
    expect(await store.get(id)).toEqual(before);
  });

  it('the same result twice in one batch is applied once', async () => {
    const { store, id } = await leasedNotification();
    const applied = await store.applyResults([result(id, 1, 'network'), result(id, 1, 'network')], T0 + 100);
    expect(applied.map((a) => a.applied)).toEqual([true, false]);
    expect((await store.get(id))?.history).toHaveLength(1);
  });

  it('failure → retry at now + the next delay, lease cleared, error kept', async () => {
    const { store, id } = await leasedNotification();
    const [applied] = await store.applyResults([result(id, 1, 'http_error', { statusCode: 503 })], T0 + 100);
    expect(applied?.notification).toMatchObject({
      status: 'pending',
      attempts: 1,
      nextAttemptAt: T0 + 100 + delays[0]!,
      leaseUntil: null,
      lastError: 'http_error error',
    });
    const [job] = await leaseAll(store, T0 + 100 + delays[0]!);
    expect(job).toMatchObject({ notificationId: id, attempt: 2, first: false });
  });

  it('Retry-After stretches the wait, capped at 4× the scheduled delay', async () => {
    const { store, id } = await leasedNotification();
    const [applied] = await store.applyResults(
      [result(id, 1, 'http_error', { statusCode: 429, retryAfterMs: 10 * delays[0]! })],
      T0,
    );
    expect(applied?.notification?.nextAttemptAt).toBe(T0 + 4 * delays[0]!);
  });

  it('schedule exhausted → dead "exhausted"', async () => {
    const { store, id } = await leasedNotification();
    for (let attempt = 1; attempt <= delays.length + 1; attempt++) {
      const now = T0 + attempt * 1_000_000;
      if (attempt > 1) expect((await leaseAll(store, now)).map((j) => j.attempt)).toEqual([attempt]);
      const [applied] = await store.applyResults([result(id, attempt, 'timeout')], now);
      expect(applied?.status).toBe(attempt <= delays.length ? 'pending' : 'dead');
    }
    expect(await store.get(id)).toMatchObject({ status: 'dead', deadReason: 'exhausted', deadAt: T0 + 3_000_000, nextAttemptAt: null, attempts: 3 });
  });

  it('410 Gone → dead "gone" at once; blocked → dead "blocked" at once', async () => {
    const ledger = openTempLedger();
    const gone = await leasedNotification(ledger);
    const blocked = await leasedNotification(ledger);
    const applied = await ledger.store.applyResults(
      [result(gone.id, 1, 'http_error', { statusCode: 410 }), result(blocked.id, 1, 'blocked', { error: 'BLOCKED_ADDRESS: 10.0.0.1' })],
      T0 + 5,
    );
    expect(applied.map((a) => [a.status, a.notification?.deadReason, a.notification?.deadAt])).toEqual([
      ['dead', 'gone', T0 + 5],
      ['dead', 'blocked', T0 + 5],
    ]);
    // A new dead letter comes back whole, for the alerts.
    expect(applied.map((a) => a.deadLetter?.id)).toEqual([gone.id, blocked.id]);
    expect(applied[0]?.deadLetter).toMatchObject({ status: 'dead', deadReason: 'gone', body: expect.any(String), attempts: 1 });
  });

  it('an attempt that finishes after a cancel is recorded, and the notification stays cancelled', async () => {
    const { store, id } = await leasedNotification();
    await store.cancel(id, T0 + 10);
    const [applied] = await store.applyResults([result(id, 1, 'success')], T0 + 20);
    expect(applied).toMatchObject({ applied: true, status: 'cancelled' });
    expect(await store.get(id)).toMatchObject({ status: 'cancelled', deliveredAt: null, attempts: 1, nextAttemptAt: null, cancelledAt: T0 + 10 });
    expect((await store.get(id))?.history.map((h) => h.outcome)).toEqual(['success']);
  });

  it('a result for a row whose lease expired still applies when it is the expected attempt', async () => {
    const { store, id } = await leasedNotification();
    const [relet] = await leaseAll(store, T0 + 10 * 60_000);
    expect(relet).toMatchObject({ notificationId: id, attempt: 1 });
    const applied = await store.applyResults([result(id, 1, 'success'), result(id, 1, 'success')], T0 + 10 * 60_000);
    expect(applied.map((a) => a.applied)).toEqual([true, false]);
  });

  it('jitter spreads the retry delay within ±jitter', async () => {
    const ledger = openTempLedger({ jitter: 0.5 });
    const waits = new Set<number>();
    for (let i = 0; i < 5; i++) {
      const { id } = await leasedNotification(ledger);
      const [applied] = await ledger.store.applyResults([result(id, 1, 'timeout')], T0);
      const wait = applied!.notification!.nextAttemptAt! - T0;
      expect(wait).toBeGreaterThanOrEqual(delays[0]! * 0.5);
      expect(wait).toBeLessThanOrEqual(delays[0]! * 1.5);
      waits.add(wait);
    }
    expect(waits.size).toBeGreaterThan(1);
  });
});
