import { afterEach, describe, expect, it } from 'vitest';
import { TestReceiver } from '../../helpers/receiver.js';
import { SHARED_REDIS_URL, randomPrefix } from '../bullmq/fixtures.js';
import { parsePrometheus, sample, startOpsDaemon, until, type OpsDaemon } from './ops-fixture.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

async function daemon(...args: Parameters<typeof startOpsDaemon>): Promise<OpsDaemon> {
  const d = await startOpsDaemon(...args);
  open.push(d);
  return d;
}

async function receiver(): Promise<TestReceiver> {
  const r = await TestReceiver.start();
  open.push(r);
  return r;
}

describe('/metrics after a known workload', () => {
  it('counts enqueues, attempts by outcome, deliveries, dead letters, replays and cancels, and the ledger gauges match', async () => {
    const receiverOk = await receiver();
    // Paths decide the answer: /fail answers 500 until told otherwise, /gone 410, /busy 200 "busy".
    let failing = true;
    receiverOk.respondWith((req) => {
      if (req.path === '/fail') return failing ? { status: 500, body: 'down' } : { status: 200, body: 'success' };
      if (req.path === '/gone') return { status: 410, body: 'gone' };
      if (req.path === '/busy') return { status: 200, body: 'busy' };
      return { status: 200, body: 'success' };
    });
    const d = await daemon();

    const delivered = await Promise.all(
      Array.from({ length: 5 }, (_, i) => d.enqueue({ url: receiverOk.url('/ok'), body: { n: i }, idempotencyKey: `ok-${i}` })),
    );
    // The same key and payload again: 200 with the existing one, not a new enqueue.
    const repeat = await d.api('POST', '/v1/notifications', { url: receiverOk.url('/ok'), body: { n: 0 }, idempotencyKey: 'ok-0' });
    expect(repeat.status).toBe(200);
    const dead = await Promise.all(
      Array.from({ length: 3 }, (_, i) => d.enqueue({ url: receiverOk.url('/fail'), body: { n: i }, schedule: ['50ms'] })),
    );
    const gone = await d.enqueue({ url: receiverOk.url('/gone'), body: { n: 'gone' } });
    const cancelled = await d.enqueue({ url: receiverOk.url('/busy'), body: { n: 'busy' }, schedule: ['1h'] });

    for (const id of delivered) await d.waitFor(id, (v) => v.status === 'delivered');
    for (const id of dead) await d.waitFor(id, (v) => v.status === 'dead');
    await d.waitFor(gone, (v) => v.status === 'dead' && v.deadReason === 'gone');
    await d.waitFor(cancelled, (v) => v.attempts === 1);
    expect((await d.api('POST', `/v1/notifications/${cancelled}/cancel`)).status).toBe(200);
    failing = false;
    expect((await d.api('POST', `/v1/notifications/${dead[0]}/replay`)).status).toBe(200);
    await d.waitFor(dead[0]!, (v) => v.status === 'delivered');

    const res = await d.api('GET', '/metrics', undefined, 'reader');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = parsePrometheus(res.text);

    expect(sample(m, 'notifyd_enqueued_total')).toBe(10);
    expect(sample(m, 'notifyd_attempts_total{outcome="success"}')).toBe(6);
    expect(sample(m, 'notifyd_attempts_total{outcome="http_error"}')).toBe(7); // 3 × 2 to /fail, 1 × 410
    expect(sample(m, 'notifyd_attempts_total{outcome="rejected"}')).toBe(1);
    expect(sample(m, 'notifyd_attempts_total{outcome="timeout"}')).toBe(0);
    expect(sample(m, 'notifyd_attempt_duration_seconds_count{outcome="success"}')).toBe(6);
    expect(sample(m, 'notifyd_attempt_duration_seconds_count{outcome="http_error"}')).toBe(7);
    expect(sample(m, 'notifyd_attempt_duration_seconds_bucket{le="+Inf",outcome="rejected"}')).toBe(1);
    expect(sample(m, 'notifyd_delivered_total')).toBe(6);
    expect(sample(m, 'notifyd_delivery_latency_seconds_count')).toBe(6);
    expect(sample(m, 'notifyd_delivery_latency_seconds_sum')).toBeGreaterThan(0);
    expect(sample(m, 'notifyd_dead_letters_total{reason="exhausted"}')).toBe(3);
    expect(sample(m, 'notifyd_dead_letters_total{reason="gone"}')).toBe(1);
    expect(sample(m, 'notifyd_dead_letters_total{reason="blocked"}')).toBe(0);
    expect(sample(m, 'notifyd_replayed_total')).toBe(1);
    expect(sample(m, 'notifyd_cancelled_total')).toBe(1);
    // The gauges are the ledger's counts at scrape time.
    expect(sample(m, 'notifyd_notifications{status="delivered"}')).toBe(6);
    expect(sample(m, 'notifyd_notifications{status="dead"}')).toBe(3);
    expect(sample(m, 'notifyd_notifications{status="cancelled"}')).toBe(1);
    expect(sample(m, 'notifyd_notifications{status="pending"}')).toBe(0);
    expect(sample(m, 'notifyd_attempts_in_flight')).toBe(0);
    expect(sample(m, 'notifyd_oldest_pending_age_seconds')).toBe(0);
    // Default process metrics ride along.
    expect(m.has('process_cpu_user_seconds_total')).toBe(true);
    expect(m.has('nodejs_eventloop_lag_seconds')).toBe(true);

    // The receiver saw exactly the attempts the metrics counted.
    expect(receiverOk.requests.length).toBe(6 + 7 + 1);
  });

  it('needs the read scope when tokens are configured', async () => {
    const d = await daemon();
    expect((await d.api('GET', '/metrics', undefined, null)).status).toBe(401);
    const producer = await d.api('GET', '/metrics', undefined, 'producer');
    expect(producer.status).toBe(403);
    expect(producer.body.error.code).toBe('forbidden');
    expect((await d.api('GET', '/metrics', undefined, 'reader')).status).toBe(200);
  });

  it('reports the oldest pending age and the pending gauge, counted at most every few seconds', async () => {
    const r = await receiver();
    r.respondWith(() => ({ status: 503, body: 'later' }));
    const d = await daemon();
    const id = await d.enqueue({ url: r.url(), body: { a: 1 }, schedule: ['1h'] });
    await d.waitFor(id, (v) => v.attempts === 1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const m = parsePrometheus((await d.api('GET', '/metrics', undefined, 'reader')).text);
    expect(sample(m, 'notifyd_notifications{status="pending"}')).toBe(1);
    expect(sample(m, 'notifyd_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(1);

    // A second notification within the cache's lifetime is not counted yet; the counters move at once.
    await d.enqueue({ url: r.url(), body: { a: 2 }, schedule: ['1h'] });
    const again = parsePrometheus((await d.api('GET', '/metrics', undefined, 'reader')).text);
    expect(sample(again, 'notifyd_enqueued_total')).toBe(2);
    expect(sample(again, 'notifyd_notifications{status="pending"}')).toBe(1);
  });

  it('keeps one registry per daemon: two daemons in one process count apart', async () => {
    const r = await receiver();
    const a = await daemon();
    const b = await daemon();
    await a.waitFor(await a.enqueue({ url: r.url(), body: { n: 1 } }), (v) => v.status === 'delivered');
    await a.waitFor(await a.enqueue({ url: r.url(), body: { n: 2 } }), (v) => v.status === 'delivered');
    await b.waitFor(await b.enqueue({ url: r.url(), body: { n: 3 } }), (v) => v.status === 'delivered');
    await until(async () => {
      const ma = parsePrometheus((await a.api('GET', '/metrics', undefined, 'reader')).text);
      return sample(ma, 'notifyd_delivered_total') === 2;
    });
    const mb = parsePrometheus((await b.api('GET', '/metrics', undefined, 'reader')).text);
    expect(sample(mb, 'notifyd_enqueued_total')).toBe(1);
    expect(sample(mb, 'notifyd_delivered_total')).toBe(1);
  });
});

describe('/metrics with the bullmq executor', () => {
  it('counts on the ledger node the attempts that BullMQ workers made', async () => {
    const r = await receiver();
    r.respondWith((req) => (req.path === '/fail' ? { status: 500, body: 'down' } : { status: 200, body: 'success' }));
    const d = await daemon({ redis: { url: SHARED_REDIS_URL, prefix: randomPrefix(), dispatchWindow: 50 } });
    const ok = await Promise.all([1, 2, 3].map((n) => d.enqueue({ url: r.url('/ok'), body: { n } })));
    const dead = await d.enqueue({ url: r.url('/fail'), body: { n: 4 }, schedule: ['50ms'] });
    for (const id of ok) await d.waitFor(id, (v) => v.status === 'delivered');
    await d.waitFor(dead, (v) => v.status === 'dead');
    const m = parsePrometheus((await d.api('GET', '/metrics', undefined, 'reader')).text);
    expect(sample(m, 'notifyd_enqueued_total')).toBe(4);
    expect(sample(m, 'notifyd_attempts_total{outcome="success"}')).toBe(3);
    expect(sample(m, 'notifyd_attempts_total{outcome="http_error"}')).toBe(2);
    expect(sample(m, 'notifyd_delivered_total')).toBe(3);
    expect(sample(m, 'notifyd_dead_letters_total{reason="exhausted"}')).toBe(1);
    expect(sample(m, 'notifyd_notifications{status="dead"}')).toBe(1);
    expect(sample(m, 'notifyd_attempts_in_flight')).toBe(0);
  });
});

describe('structured logs', () => {
  it('one line per attempt at debug and one per dead letter at warn, each with notificationId, so a grep by id tells the story', async () => {
    const r = await receiver();
    let down = true;
    r.respondWith(() => (down ? { status: 500, body: 'down' } : { status: 200, body: 'success' }));
    const d = await daemon();
    const id = await d.enqueue({ url: r.url(), body: { order: 42 }, schedule: ['50ms'] });
    await d.waitFor(id, (v) => v.status === 'dead');
    down = false;
    await d.api('POST', `/v1/notifications/${id}/replay`);
    await d.waitFor(id, (v) => v.status === 'delivered');

    const story = d.logs.filter((line) => line.notificationId === id);
    const attempts = story.filter((line) => line.msg === 'attempt');
    expect(attempts.map((line) => [line.attempt, line.outcome, line.status, line.level])).toEqual([
      [1, 'http_error', 'pending', 20],
      [2, 'http_error', 'dead', 20],
      [3, 'success', 'delivered', 20],
    ]);
    expect(attempts[0]).toMatchObject({ statusCode: 500, error: 'HTTP 500' });
    expect(typeof attempts[0]!.durationMs).toBe('number');
    const deadLines = story.filter((line) => line.level === 40);
    expect(deadLines).toHaveLength(1);
    expect(deadLines[0]).toMatchObject({ msg: 'dead letter: notification gave up', reason: 'exhausted', attempts: 2 });
    expect(story.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['enqueued', 'attempt', 'dead letter: notification gave up', 'replayed']),
    );
    // Every line is one JSON object (the fixture parsed each), and the order is the notification's life.
    const order = story.map((line) => line.msg);
    expect(order.indexOf('enqueued')).toBeLessThan(order.indexOf('dead letter: notification gave up'));
    expect(order.indexOf('dead letter: notification gave up')).toBeLessThan(order.indexOf('replayed'));
  });
});
