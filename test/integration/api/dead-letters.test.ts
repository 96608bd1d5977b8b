import { describe, expect, it } from 'vitest';
import { startApi, validBody, type ApiHarness } from './harness.js';

const HOUR = 3_600_000;

/** Five dead letters an hour apart (08:00 … 12:00) on two hosts, and one pending row. */
async function seed(h: ApiHarness): Promise<{ dead: string[]; pending: string }> {
  const dead: string[] = [];
  const urls = [
    'https://a.example.com/pay/1',
    'https://b.example.com:8443/pay/2',
    'https://a.example.com/refund/3',
    'https://b.example.com:8443/pay/4',
    'https://a.example.com/pay/5',
  ];
  for (const url of urls) {
    const id = await h.enqueue(validBody({ url, schedule: [] }));
    await h.attempt(id, 'http_error', 500);
    dead.push(id);
    h.clock.now += HOUR;
  }
  const pending = await h.enqueue(validBody({ url: 'https://a.example.com/pay/6' }));
  return { dead, pending };
}

function ids(res: { json(): { items: Array<{ id: string }> } }): string[] {
  return res.json().items.map((n) => n.id);
}

describe('GET /v1/dead-letters', () => {
  it('lists dead letters newest first with a cursor and filters by time, host and URL prefix', async () => {
    const h = await startApi();
    const { dead } = await seed(h);
    // now = 13:00; dead at 08:00 (0) … 12:00 (4)
    const all = await h.request({ method: 'GET', url: '/v1/dead-letters' });
    expect(all.statusCode).toBe(200);
    expect(ids(all)).toEqual([...dead].reverse());
    expect(all.json().items[0]).toMatchObject({ status: 'dead', deadReason: 'exhausted', deadAt: '2026-11-24T12:00:00.000Z' });

    const page1 = await h.request({ method: 'GET', url: '/v1/dead-letters?limit=3' });
    expect(ids(page1)).toEqual([dead[4], dead[3], dead[2]]);
    const page2 = await h.request({ method: 'GET', url: `/v1/dead-letters?limit=3&cursor=${page1.json().nextCursor}` });
    expect(ids(page2)).toEqual([dead[1], dead[0]]);
    expect(page2.json().nextCursor).toBeNull();

    const host = await h.request({ method: 'GET', url: '/v1/dead-letters?host=B.example.com:8443' });
    expect(ids(host)).toEqual([dead[3], dead[1]]);
    const prefix = await h.request({ method: 'GET', url: `/v1/dead-letters?urlPrefix=${encodeURIComponent('https://a.example.com/pay/')}` });
    expect(ids(prefix)).toEqual([dead[4], dead[0]]);
    // "2h" = two hours before now (13:00) = 11:00: since is inclusive.
    const recent = await h.request({ method: 'GET', url: '/v1/dead-letters?since=2h' });
    expect(ids(recent)).toEqual([dead[4], dead[3]]);
    const window = await h.request({
      method: 'GET',
      url: '/v1/dead-letters?since=2026-11-24T09:00:00Z&until=2026-11-24T11:00:00%2B00:00',
    });
    expect(ids(window)).toEqual([dead[2], dead[1]]);
    // An unencoded '+' in the offset arrives as a space; it still means +01:00 (10:00Z).
    const plus = await h.request({ method: 'GET', url: '/v1/dead-letters?since=2026-11-24T11:00:00+01:00&until=2026-11-24' });
    expect(plus.statusCode).toBe(400); // until (00:00Z) before since
    const plusOk = await h.request({ method: 'GET', url: '/v1/dead-letters?since=2026-11-24T11:00:00+01:00' });
    expect(ids(plusOk)).toEqual([dead[4], dead[3], dead[2]]);
  });

  it('rejects bad filters naming the field', async () => {
    const h = await startApi();
    for (const [query, field] of [
      ['since=yesterday', 'since'],
      ['until=2026-11-24T09:00:00', 'until'], // no offset: ambiguous
      ['since=1h&until=2h', 'until'],
      ['limit=abc', 'limit'],
      ['colour=red', 'colour'],
    ] as const) {
      const res = await h.request({ method: 'GET', url: `/v1/dead-letters?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error, query).toMatchObject({ code: 'validation_failed', field });
    }
  });
});

describe('POST /v1/dead-letters/replay', () => {
  it('replays by filter and wakes the scheduler', async () => {
    const h = await startApi();
    const { dead } = await seed(h);
    const wakes = h.wakes.count;
    const byHost = await h.request({ method: 'POST', url: '/v1/dead-letters/replay', payload: { host: 'b.example.com:8443' } });
    expect(byHost.statusCode).toBe(200);
    expect(byHost.json()).toEqual({ replayed: 2 });
    expect(h.wakes.count).toBe(wakes + 1);
    expect((await h.store.get(dead[1]!))?.status).toBe('pending');
    expect((await h.store.get(dead[3]!))?.status).toBe('pending');

    const none = await h.request({ method: 'POST', url: '/v1/dead-letters/replay', payload: { urlPrefix: 'https://nowhere.example/' } });
    expect(none.json()).toEqual({ replayed: 0 });
    expect(h.wakes.count).toBe(wakes + 1);

    const windowed = await h.request({
      method: 'POST',
      url: '/v1/dead-letters/replay',
      payload: { since: '2026-11-24T08:30:00.000Z', until: '1h', urlPrefix: 'https://a.example.com/', limit: 10 },
    });
    expect(windowed.json()).toEqual({ replayed: 1 }); // dead[2] (10:00); dead[4] (12:00) is not before 12:00
    expect((await h.store.get(dead[2]!))?.status).toBe('pending');

    const limited = await h.request({ method: 'POST', url: '/v1/dead-letters/replay', payload: { limit: 1 } });
    expect(limited.json()).toEqual({ replayed: 1 });
    const rest = await h.request({ method: 'POST', url: '/v1/dead-letters/replay' });
    expect(rest.json()).toEqual({ replayed: 1 });
    const list = await h.request({ method: 'GET', url: '/v1/dead-letters' });
    expect(list.json().items).toEqual([]);
  });

  it('rejects bad bodies and replays nothing', async () => {
    const h = await startApi();
    const { dead } = await seed(h);
    for (const [payload, field] of [
      [{ since: 'last tuesday' }, 'since'],
      [{ limit: 0 }, 'limit'],
      [{ limit: 'all' }, 'limit'],
      [{ host: 42 }, 'host'],
      [{ all: true }, 'all'],
    ] as const) {
      const res = await h.request({ method: 'POST', url: '/v1/dead-letters/replay', payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'validation_failed', field });
    }
    const array = await h.request({ method: 'POST', url: '/v1/dead-letters/replay', payload: '[]', headers: { 'content-type': 'application/json' } });
    expect(array.statusCode).toBe(400);
    const list = await h.request({ method: 'GET', url: '/v1/dead-letters?limit=100' });
    expect(list.json().items).toHaveLength(dead.length);
  });
});
