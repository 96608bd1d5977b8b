import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestReceiver } from '../helpers/receiver.js';
import { mergeConfig, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

/**
 * The behaviour every executor must show, run against each of them (Svix runs
 * one suite against every queue backend; Outpost's drivertest does the same):
 * `describeExecutorConformance('inline', …)`, `('bullmq', …)`.
 */
export interface ConformanceTarget {
  /** Config sections that select and configure the executor (e.g. redis.url + a random prefix). */
  config: () => Promise<Record<string, Record<string, unknown>>> | Record<string, Record<string, unknown>>;
  /** Extra processes the executor needs (workers); returns their cleanup. */
  setup?: () => Promise<() => Promise<void>>;
}

export function describeExecutorConformance(name: string, target: ConformanceTarget): void {
  describe(`executor conformance: ${name}`, () => {
    let receiver: TestReceiver;
    let notifyd: TestDaemon;
    let teardown: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      receiver = await TestReceiver.start();
      teardown = await target.setup?.();
      notifyd = await startTestDaemon(
        mergeConfig(
          // A host that refuses 10 connections in a row is paused for 2 s at a time (see the back-off test).
          { delivery: { schedule: ['200ms', '400ms'], hostBackoff: { afterFailures: 10, initialMs: 2_000, maxMs: 2_000 } } },
          await target.config(),
        ),
      );
    });
    afterAll(async () => {
      await notifyd?.close();
      await teardown?.();
      await receiver?.close();
    });
    afterEach(() => receiver.respondWith(() => ({ status: 200, body: 'success' })));

    const enqueue = (body: Record<string, unknown>, path = '/notify') =>
      notifyd.api('POST', '/v1/notifications', { url: receiver.url(path), ...body });

    it('delivers on the first attempt when the receiver answers success', async () => {
      const path = `/first-${name}`;
      const { status, body } = await enqueue({ body: { out_trade_no: 'A-1', trade_status: 'TRADE_SUCCESS' } }, path);
      expect(status).toBe(202);
      expect(body.id).toMatch(/^ntf_[0-9a-f]{32}$/);
      const view = await notifyd.waitForNotification(body.id, (v) => v.status === 'delivered');
      expect(view.attempts).toBe(1);
      expect(view.history.map((h: any) => h.outcome)).toEqual(['success']);
      expect(view.deliveredAt).toEqual(expect.any(String));
      const seen = receiver.requestsFor(body.id);
      expect(seen).toHaveLength(1);
      expect(seen[0]!.path).toBe(path);
      expect(JSON.parse(seen[0]!.body)).toEqual({ out_trade_no: 'A-1', trade_status: 'TRADE_SUCCESS' });
      expect(seen[0]!.headers['content-type']).toBe('application/json');
      expect(seen[0]!.headers['notifyd-attempt']).toBe('1');
    });

    it('retries on the schedule until success, with the same webhook-id each time', async () => {
      const calls = new Map<string, number>();
      receiver.respondWith((req) => {
        const id = String(req.headers['webhook-id']);
        const n = (calls.get(id) ?? 0) + 1;
        calls.set(id, n);
        return n <= 2 ? { status: 500, body: 'try later' } : { status: 200, body: 'success' };
      });
      const { body } = await enqueue({ body: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' });
      const view = await notifyd.waitForNotification(body.id, (v) => v.status === 'delivered');
      expect(view.history.map((h: any) => h.outcome)).toEqual(['http_error', 'http_error', 'success']);
      expect(view.history.map((h: any) => h.n)).toEqual([1, 2, 3]);
      expect(view.history[0].statusCode).toBe(500);
      const seen = receiver.requestsFor(body.id);
      expect(seen.map((r) => r.headers['notifyd-attempt'])).toEqual(['1', '2', '3']);
      expect(seen.every((r) => r.body === 'a=1&b=2' && r.headers['content-type'] === 'application/x-www-form-urlencoded')).toBe(true);
      // Waits follow the schedule (200ms then 400ms): never early, and not much late.
      const wait1 = seen[1]!.at - seen[0]!.at;
      const wait2 = seen[2]!.at - seen[1]!.at;
      expect(wait1).toBeGreaterThanOrEqual(190);
      expect(wait1).toBeLessThan(1_200);
      expect(wait2).toBeGreaterThanOrEqual(390);
      expect(wait2).toBeLessThan(1_400);
    });

    it('treats a 2xx without the body "success" as a failure (Alipay rule)', async () => {
      receiver.respondWith(() => ({ status: 200, body: 'ok' }));
      const { body } = await enqueue({ body: { n: 1 }, schedule: ['100ms'] });
      const view = await notifyd.waitForNotification(body.id, (v) => v.status === 'dead');
      expect(view.history.map((h: any) => h.outcome)).toEqual(['rejected', 'rejected']);
      expect(view.history[0].responseExcerpt).toBe('ok');
    });

    it('accepts a bare 2xx when the success rule asks for no body (WeChat Pay v3)', async () => {
      receiver.respondWith(() => ({ status: 204 }));
      const { body } = await enqueue({ body: { n: 2 }, success: { status: '2xx', body: null } });
      const view = await notifyd.waitForNotification(body.id, (v) => v.status === 'delivered');
      expect(view.attempts).toBe(1);
    });

    it('exhausts the schedule into the dead-letter queue, and replay delivers it with history kept', async () => {
      receiver.respondWith(() => ({ status: 503, body: 'down' }));
      const { body } = await enqueue({ body: { order: 'dead-1' }, schedule: ['100ms', '100ms'] });
      const dead = await notifyd.waitForNotification(body.id, (v) => v.status === 'dead');
      expect(dead.attempts).toBe(3);
      expect(dead.deadAt).toEqual(expect.any(String));
      expect(dead.lastError).toMatch(/503/);
      const letters = await notifyd.api('GET', '/v1/dead-letters?limit=100');
      expect(letters.body.items.map((i: any) => i.id)).toContain(body.id);

      receiver.respondWith(() => ({ status: 200, body: 'success' }));
      const replay = await notifyd.api('POST', `/v1/notifications/${body.id}/replay`, {});
      expect(replay.status).toBe(200);
      const delivered = await notifyd.waitForNotification(body.id, (v) => v.status === 'delivered');
      expect(delivered.history.map((h: any) => h.n)).toEqual([1, 2, 3, 4]);
      expect(delivered.history.map((h: any) => h.outcome)).toEqual(['http_error', 'http_error', 'http_error', 'success']);
      const after = await notifyd.api('GET', '/v1/dead-letters?limit=100');
      expect(after.body.items.map((i: any) => i.id)).not.toContain(body.id);
    });

    it('sends a 410 Gone straight to the dead-letter queue', async () => {
      receiver.respondWith(() => ({ status: 410, body: 'gone' }));
      const { body } = await enqueue({ body: { n: 3 } });
      const view = await notifyd.waitForNotification(body.id, (v) => v.status === 'dead');
      expect(view.attempts).toBe(1);
      expect(view.deadReason).toBe('gone');
    });

    it('makes enqueue idempotent on the producer key: same payload → 200, other payload → 409', async () => {
      const key = `order-${name}-${Date.now()}`;
      const first = await enqueue({ body: { n: 4 }, idempotencyKey: key });
      const again = await enqueue({ body: { n: 4 }, idempotencyKey: key });
      const other = await enqueue({ body: { n: 5 }, idempotencyKey: key });
      expect(first.status).toBe(202);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe('idempotency_conflict');
      await notifyd.waitForNotification(first.body.id, (v) => v.status === 'delivered');
      expect(receiver.requestsFor(first.body.id)).toHaveLength(1);
    });

    it('cancels a pending notification: no attempt after the cancel', async () => {
      receiver.respondWith(() => ({ status: 500 }));
      const { body } = await enqueue({ body: { n: 6 }, schedule: ['300ms', '300ms', '300ms'] });
      await receiver.waitFor(() => receiver.requestsFor(body.id).length >= 1);
      const cancel = await notifyd.api('POST', `/v1/notifications/${body.id}/cancel`);
      expect(cancel.status).toBe(200);
      expect(cancel.body.status).toBe('cancelled');
      const seenAtCancel = receiver.requestsFor(body.id).length;
      await new Promise((r) => setTimeout(r, 1_000));
      expect(receiver.requestsFor(body.id).length).toBe(seenAtCancel);
      const view = await notifyd.waitForNotification(body.id, () => true);
      expect(view.status).toBe('cancelled');
    });

    it('does not hold first attempts to a healthy receiver behind retries to a dead one', async () => {
      const dead = await TestReceiver.start(() => 'handled'); // accepts, never answers: attempts run to the timeout
      try {
        const stuck = await Promise.all(
          Array.from({ length: 40 }, (_, i) => notifyd.api('POST', '/v1/notifications', { url: dead.url(), body: { i }, timeoutMs: 1_500 })),
        );
        expect(stuck.every((r) => r.status === 202)).toBe(true);
        await dead.waitFor((reqs) => reqs.length >= 10);
        const startedAt = Date.now();
        const { body } = await enqueue({ body: { healthy: true } });
        await notifyd.waitForNotification(body.id, (v) => v.status === 'delivered', 5_000);
        // Per-host caps keep the dead receiver from taking every slot: the healthy one is served at once.
        expect(Date.now() - startedAt).toBeLessThan(1_000);
      } finally {
        await dead.close();
      }
    });

    it('pauses a receiver host that refuses connections, probes it, and delivers its backlog once it answers', async () => {
      // A port nothing listens on: every attempt is refused at once.
      const gone = await TestReceiver.start();
      const port = gone.port;
      await gone.close();
      const url = `http://127.0.0.1:${port}/notify`;
      const ids: string[] = [];
      for (let i = 0; i < 30; i += 1) {
        // Without the back-off these 30 would spend their 12 attempts within a second and go dead.
        const { status, body } = await notifyd.api('POST', '/v1/notifications', { url, body: { i }, schedule: Array(11).fill('50ms') });
        expect(status).toBe(202);
        ids.push(body.id);
      }
      const host = `127.0.0.1:${port}`;
      const isPaused = async () => {
        const { body } = await notifyd.api('GET', '/v1/stats');
        return (body.pausedHosts as Array<{ host: string }>).some((p) => p.host === host);
      };
      const attemptsSoFar = async () => {
        const views = await Promise.all(ids.map((id) => notifyd.api('GET', `/v1/notifications/${id}`)));
        return views.reduce((sum, v) => sum + (v.body.attempts as number), 0);
      };
      const deadline = Date.now() + 5_000;
      while (!(await isPaused()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await isPaused()).toBe(true);
      const metrics = await (await fetch(`${notifyd.url}/metrics`)).text();
      expect(Number(/^notifyd_receiver_hosts_paused (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);

      // Paused: the attempts that were in flight report in, then nothing more goes to the host.
      await new Promise((r) => setTimeout(r, 200));
      const duringPause = await attemptsSoFar();
      await new Promise((r) => setTimeout(r, 600));
      expect(await attemptsSoFar()).toBe(duringPause);
      expect(duringPause).toBeLessThan(30 * 12);

      // The receiver comes back on the same port: the next probe gets through and the backlog drains.
      const back = await TestReceiver.start(undefined, { port });
      try {
        for (const id of ids) await notifyd.waitForNotification(id, (v) => v.status === 'delivered', 10_000);
        expect(new Set(back.requests.map((r) => String(r.headers['webhook-id'])))).toEqual(new Set(ids));
        expect(await isPaused()).toBe(false);
      } finally {
        await back.close();
      }
    });
  });
}
