import { describe, expect, it } from 'vitest';
import { bearer, startApi, validBody } from './harness.js';

/**
 * "Retry now": a receiver is back and cannot wait for the schedule. The next
 * attempt moves to now; the schedule does not restart; nothing else changes.
 */
describe('retry now', () => {
  it('makes a pending notification due now, keeps its schedule, and wakes the scheduler', async () => {
    const h = await startApi();
    const id = await h.enqueue(validBody({ schedule: ['1h', '6h'] }));
    await h.attempt(id, 'http_error', 503); // next attempt due in 1 h
    h.clock.now += 60_000;
    const wakes = h.wakes.count;

    const res = await h.request({ method: 'POST', url: `/v1/notifications/${id}/retry-now` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, status: 'pending', attempts: 1, replays: 0, nextAttemptAt: '2026-11-24T08:01:00.000Z' });
    expect(h.wakes.count).toBe(wakes + 1);

    // It is due now; after this attempt fails the wait is the schedule's second, 6 h.
    await h.attempt(id, 'http_error', 503);
    const after = (await h.request({ method: 'GET', url: `/v1/notifications/${id}` })).json();
    expect(after).toMatchObject({ status: 'pending', attempts: 2, nextAttemptAt: '2026-11-24T14:01:00.000Z' });
  });

  it('leaves an attempt in flight alone, refuses what is not pending (409, naming replay for a dead one), 404 for an unknown id', async () => {
    const h = await startApi();
    const inFlight = await h.enqueue(validBody({ schedule: ['1h'] }));
    const leased = await h.store.leaseDue({ now: h.clock.now, limit: 10, leaseMs: 60_000, hostSlotsLeft: new Map(), perHostLimit: 10 });
    expect(leased.map((j) => j.notificationId)).toEqual([inFlight]);
    const before = (await h.request({ method: 'GET', url: `/v1/notifications/${inFlight}` })).json();
    const res = await h.request({ method: 'POST', url: `/v1/notifications/${inFlight}/retry-now`, payload: {} });
    expect(res.statusCode).toBe(200);
    expect(res.json().nextAttemptAt).toBe(before.nextAttemptAt); // still the lease deadline

    const dead = await h.enqueue(validBody({ schedule: [], idempotencyKey: 'dead-one' }));
    await h.attempt(dead, 'http_error', 500);
    const deadBefore = (await h.request({ method: 'GET', url: `/v1/notifications/${dead}` })).json();
    const refused = await h.request({ method: 'POST', url: `/v1/notifications/${dead}/retry-now` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('invalid_state');
    expect(refused.json().error.message).toMatch(/replay/);
    expect((await h.request({ method: 'GET', url: `/v1/notifications/${dead}` })).json()).toEqual(deadBefore);

    expect((await h.request({ method: 'POST', url: '/v1/notifications/ntf_missing/retry-now' })).statusCode).toBe(404);
    const badBody = await h.request({ method: 'POST', url: `/v1/notifications/${inFlight}/retry-now`, payload: { now: true } });
    expect(badBody.statusCode).toBe(400);
    expect(badBody.json().error.field).toBe('now');
    expect((await h.request({ method: 'GET', url: `/v1/notifications/${inFlight}` })).json()).toEqual(before);
  });

  it('moves every pending notification of one host that is not due yet, and nothing else', async () => {
    const h = await startApi();
    const waiting = [];
    for (let i = 0; i < 3; i += 1) {
      const id = await h.enqueue(validBody({ schedule: ['2h'], idempotencyKey: `m-${i}` }));
      await h.attempt(id, 'network', null);
      waiting.push(id);
    }
    const fresh = await h.enqueue(validBody({ idempotencyKey: 'fresh' })); // a first attempt, due already
    const other = await h.enqueue(validBody({ url: 'https://other.example.net/notify', schedule: ['2h'], idempotencyKey: 'other' }));
    await h.attempt(other, 'network', null);
    const delivered = await h.enqueue(validBody({ idempotencyKey: 'done' }));
    await h.attempt(delivered, 'success', 200);
    h.clock.now += 5_000;

    const res = await h.request({ method: 'POST', url: '/v1/notifications/retry-now', payload: { host: 'Merchant.Example.com' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ rescheduled: 3 });
    const nextOf = async (id: string) => (await h.request({ method: 'GET', url: `/v1/notifications/${id}` })).json().nextAttemptAt;
    for (const id of waiting) expect(await nextOf(id)).toBe('2026-11-24T08:00:05.000Z');
    expect(await nextOf(fresh)).toBe('2026-11-24T08:00:00.000Z');
    expect(await nextOf(other)).toBe('2026-11-24T10:00:00.000Z');
    expect(await nextOf(delivered)).toBeNull();

    // Nothing left to move; a host with nothing pending moves nothing.
    expect((await h.request({ method: 'POST', url: '/v1/notifications/retry-now', payload: { host: 'merchant.example.com' } })).json()).toEqual({ rescheduled: 0 });
    expect((await h.request({ method: 'POST', url: '/v1/notifications/retry-now', payload: { host: 'nobody.example' } })).json()).toEqual({ rescheduled: 0 });
  });

  it('needs a host (400 naming it) and the ops scope; a refused request moves nothing', async () => {
    const h = await startApi();
    const id = await h.enqueue(validBody({ schedule: ['2h'] }));
    await h.attempt(id, 'network', null);
    const nextOf = async () => (await h.request({ method: 'GET', url: `/v1/notifications/${id}` })).json().nextAttemptAt;
    const scheduled = await nextOf();
    h.clock.now += 5_000;
    const missing = await h.request({ method: 'POST', url: '/v1/notifications/retry-now', payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({ code: 'validation_failed', field: 'host' });
    const reader = await h.request({ method: 'POST', url: '/v1/notifications/retry-now', payload: { host: 'merchant.example.com' }, headers: bearer('reader') });
    expect(reader.statusCode).toBe(403);
    expect(await nextOf()).toBe(scheduled);
    const operator = await h.request({ method: 'POST', url: '/v1/notifications/retry-now', payload: { host: 'merchant.example.com' }, headers: bearer('operator') });
    expect(operator.statusCode).toBe(200);
  });
});
