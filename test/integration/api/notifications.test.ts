import { describe, expect, it } from 'vitest';
import { startApi, validBody } from './harness.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('POST /v1/notifications and GET /v1/notifications/:id', () => {
  it('accepts a notification with 202 and shows it with ISO times and an empty history', async () => {
    const h = await startApi();
    const res = await h.request({
      method: 'POST',
      url: '/v1/notifications',
      payload: validBody({ headers: { 'X-Merchant': 'm-42' }, metadata: { merchant: 'm-42' }, schedule: ['15s', '4m'] }),
    });
    expect(res.statusCode).toBe(202);
    const accepted = res.json();
    expect(Object.keys(accepted).sort()).toEqual(['createdAt', 'id', 'nextAttemptAt', 'status']);
    expect(accepted.id).toMatch(/^ntf_/);
    expect(accepted.status).toBe('pending');
    expect(accepted.createdAt).toBe('2026-11-24T08:00:00.000Z');
    expect(accepted.nextAttemptAt).toMatch(ISO);
    expect(h.wakes.count).toBe(1);

    const view = await h.request({ method: 'GET', url: `/v1/notifications/${accepted.id}` });
    expect(view.statusCode).toBe(200);
    expect(view.json()).toEqual({
      id: accepted.id,
      status: 'pending',
      url: 'https://merchant.example.com/alipay/notify',
      host: 'merchant.example.com',
      idempotencyKey: null,
      attempts: 0,
      nextAttemptAt: accepted.nextAttemptAt,
      deliveredAt: null,
      deadAt: null,
      deadReason: null,
      cancelledAt: null,
      lastError: null,
      replays: 0,
      schedule: [15_000, 240_000],
      metadata: { merchant: 'm-42' },
      createdAt: '2026-11-24T08:00:00.000Z',
      updatedAt: '2026-11-24T08:00:00.000Z',
      history: [],
    });
  });

  it('stores the resolved defaults and the normalised URL and host', async () => {
    const h = await startApi();
    const id = await h.enqueue(validBody({ url: 'HTTPS://Shop.Example.COM:8443/cb?x=1', body: 'a=1&b=2' }));
    const stored = await h.store.get(id);
    expect(stored).toMatchObject({
      url: 'https://shop.example.com:8443/cb?x=1',
      host: 'shop.example.com:8443',
      body: 'a=1&b=2',
      contentType: 'text/plain; charset=utf-8',
      timeoutMs: 10_000,
      success: { status: '2xx', body: 'success' },
    });
    expect(stored?.delaysMs).toHaveLength(7); // alipay: 4m 10m 10m 1h 2h 6h 15h

    const jsonId = await h.enqueue(validBody({ url: 'http://example.com:80/x', success: { body: null }, timeoutMs: 500 }));
    const json = await h.store.get(jsonId);
    expect(json).toMatchObject({
      url: 'http://example.com/x',
      host: 'example.com',
      contentType: 'application/json',
      body: '{"out_trade_no":"20261124-0001","trade_status":"TRADE_SUCCESS"}',
      success: { status: '2xx', body: null },
      timeoutMs: 500,
    });
  });

  it('accepts application/json with a charset parameter', async () => {
    const h = await startApi();
    const res = await h.request({
      method: 'POST',
      url: '/v1/notifications',
      payload: JSON.stringify(validBody()),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(res.statusCode).toBe(202);
  });

  it('answers 404 not_found for an unknown id and for an unknown route', async () => {
    const h = await startApi();
    const res = await h.request({ method: 'GET', url: '/v1/notifications/ntf_nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    const route = await h.request({ method: 'GET', url: '/v2/whatever' });
    expect(route.statusCode).toBe(404);
    expect(route.headers['content-type']).toMatch(/^application\/json/);
    expect(route.json().error.code).toBe('not_found');
  });
});

describe('idempotency', () => {
  it('returns 200 and the same notification for the same key and payload (field or header), 409 for another payload', async () => {
    const h = await startApi();
    const body = validBody({ idempotencyKey: '20261124-0001:TRADE_SUCCESS' });
    const first = await h.request({ method: 'POST', url: '/v1/notifications', payload: body });
    expect(first.statusCode).toBe(202);

    // Same payload, keys in another order: still the same payload.
    const again = await h.request({
      method: 'POST',
      url: '/v1/notifications',
      payload: { idempotencyKey: body.idempotencyKey, body: { trade_status: 'TRADE_SUCCESS', out_trade_no: '20261124-0001' }, url: body.url },
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());

    const viaHeader = await h.request({
      method: 'POST',
      url: '/v1/notifications',
      payload: validBody(),
      headers: { 'idempotency-key': '20261124-0001:TRADE_SUCCESS' },
    });
    expect(viaHeader.statusCode).toBe(200);
    expect(viaHeader.json().id).toBe(first.json().id);

    const conflict = await h.request({
      method: 'POST',
      url: '/v1/notifications',
      payload: validBody({ idempotencyKey: '20261124-0001:TRADE_SUCCESS', body: { out_trade_no: '20261124-0001', trade_status: 'TRADE_CLOSED' } }),
    });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error).toMatchObject({ code: 'idempotency_conflict', field: 'idempotencyKey' });
    expect(await h.rowCount()).toBe(1);
    expect(h.wakes.count).toBe(1);
  });

  it('compares Unicode keys exactly, and a UTF-8 header equals the same field', async () => {
    const h = await startApi();
    const a = await h.enqueue(validBody({ idempotencyKey: 'café-订单-1' }));
    const b = await h.enqueue(validBody({ idempotencyKey: 'cafe\u0301-订单-1' })); // decomposed é: another key
    expect(b).not.toBe(a);
    // What Node's HTTP parser hands over for UTF-8 header bytes: one latin1 char per byte.
    const latin1 = Buffer.from('café-订单-1', 'utf8').toString('latin1');
    const res = await h.request({ method: 'POST', url: '/v1/notifications', payload: validBody(), headers: { 'idempotency-key': latin1 } });
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(a);
  });
});

describe('GET /v1/notifications', () => {
  it('lists newest first with a cursor, and filters by status', async () => {
    const h = await startApi();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await h.enqueue(validBody({ body: `n=${i}`, schedule: [] })));
      h.clock.now += 1000;
    }
    await h.attempt(ids[1]!, 'http_error', 500); // schedule [] → dead after one attempt

    const first = await h.request({ method: 'GET', url: '/v1/notifications?limit=2' });
    expect(first.statusCode).toBe(200);
    const page1 = first.json();
    expect(page1.items.map((n: { id: string }) => n.id)).toEqual([ids[4], ids[3]]);
    expect(page1.items[0]).not.toHaveProperty('history');
    expect(page1.nextCursor).toEqual(expect.any(String));

    const seen = [...page1.items];
    let cursor: string | null = page1.nextCursor;
    while (cursor) {
      const next = await h.request({ method: 'GET', url: `/v1/notifications?limit=2&cursor=${encodeURIComponent(cursor)}` });
      expect(next.statusCode).toBe(200);
      seen.push(...next.json().items);
      cursor = next.json().nextCursor;
    }
    expect(seen.map((n) => n.id)).toEqual([...ids].reverse());

    const dead = await h.request({ method: 'GET', url: '/v1/notifications?status=dead' });
    expect(dead.json()).toEqual({ items: [expect.objectContaining({ id: ids[1], status: 'dead', deadReason: 'exhausted' })], nextCursor: null });
    const pending = await h.request({ method: 'GET', url: '/v1/notifications?status=pending&limit=10' });
    expect(pending.json().items).toHaveLength(4);

    const bad = await h.request({ method: 'GET', url: '/v1/notifications?status=lost' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'validation_failed', field: 'status' });
    const badCursor = await h.request({ method: 'GET', url: '/v1/notifications?cursor=%%%' });
    expect(badCursor.statusCode).toBe(400);
    const badLimit = await h.request({ method: 'GET', url: '/v1/notifications?limit=0' });
    expect(badLimit.json().error).toMatchObject({ code: 'validation_failed', field: 'limit' });
  });
});

describe('replay and cancel', () => {
  it('replays a dead notification, keeping its history; delivered needs force; pending cannot be replayed', async () => {
    const h = await startApi();
    const id = await h.enqueue(validBody({ schedule: [] }));
    await h.attempt(id, 'http_error', 503);
    const dead = (await h.request({ method: 'GET', url: `/v1/notifications/${id}` })).json();
    expect(dead).toMatchObject({ status: 'dead', attempts: 1, deadReason: 'exhausted', deadAt: '2026-11-24T08:00:00.000Z' });
    expect(dead.history).toEqual([
      { n: 1, at: '2026-11-24T08:00:00.000Z', durationMs: 12, statusCode: 503, outcome: 'http_error', error: 'HTTP 503', responseExcerpt: 'nope' },
    ]);

    h.clock.now += 60_000;
    const wakesBefore = h.wakes.count;
    const replayed = await h.request({ method: 'POST', url: `/v1/notifications/${id}/replay` });
    expect(replayed.statusCode).toBe(200);
    expect(replayed.json()).toMatchObject({ id, status: 'pending', replays: 1, nextAttemptAt: '2026-11-24T08:01:00.000Z' });
    expect(h.wakes.count).toBe(wakesBefore + 1);

    const notAgain = await h.request({ method: 'POST', url: `/v1/notifications/${id}/replay`, payload: {} });
    expect(notAgain.statusCode).toBe(409);
    expect(notAgain.json().error.code).toBe('invalid_state');

    await h.attempt(id, 'success', 200);
    const delivered = await h.request({ method: 'GET', url: `/v1/notifications/${id}` });
    expect(delivered.json()).toMatchObject({ status: 'delivered', attempts: 2, deliveredAt: '2026-11-24T08:01:00.000Z' });
    expect(delivered.json().history).toHaveLength(2);

    const unforced = await h.request({ method: 'POST', url: `/v1/notifications/${id}/replay`, payload: { force: false } });
    expect(unforced.statusCode).toBe(409);
    expect(unforced.json().error.code).toBe('invalid_state');
    const forced = await h.request({ method: 'POST', url: `/v1/notifications/${id}/replay`, payload: { force: true } });
    expect(forced.statusCode).toBe(200);
    expect(forced.json()).toMatchObject({ status: 'pending', replays: 2 });

    const unknown = await h.request({ method: 'POST', url: '/v1/notifications/ntf_missing/replay' });
    expect(unknown.statusCode).toBe(404);
    const badBody = await h.request({ method: 'POST', url: `/v1/notifications/${id}/replay`, payload: { force: 'yes' } });
    expect(badBody.statusCode).toBe(400);
    expect(badBody.json().error).toMatchObject({ code: 'validation_failed', field: 'force' });
  });

  it('accepts an empty JSON body on replay', async () => {
    const h = await startApi();
    const id = await h.enqueue(validBody({ schedule: [] }));
    await h.attempt(id, 'http_error', 500);
    const res = await h.request({
      method: 'POST',
      url: `/v1/notifications/${id}/replay`,
      payload: '',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(200);
  });

  it('cancels a pending notification only', async () => {
    const h = await startApi();
    const id = await h.enqueue(validBody());
    const res = await h.request({ method: 'POST', url: `/v1/notifications/${id}/cancel` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, status: 'cancelled', cancelledAt: '2026-11-24T08:00:00.000Z', nextAttemptAt: null });
    const twice = await h.request({ method: 'POST', url: `/v1/notifications/${id}/cancel`, payload: {} });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe('invalid_state');
    const replay = await h.request({ method: 'POST', url: `/v1/notifications/${id}/replay` });
    expect(replay.statusCode).toBe(409);
    const unknown = await h.request({ method: 'POST', url: '/v1/notifications/ntf_missing/cancel' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('not_found');
  });
});
