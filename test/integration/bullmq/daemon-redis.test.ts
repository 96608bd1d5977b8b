import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { TestReceiver } from '../../helpers/receiver.js';
import { randomPrefix, sleep } from './fixtures.js';
import { RedisServer } from './redis-server.js';

/**
 * The daemon (`--role all`, bullmq executor) through its HTTP API while Redis
 * comes and goes: /readyz says so, enqueue keeps accepting (the ledger is the
 * source of truth), and what was accepted meanwhile is delivered once Redis is back.
 */
describe('bullmq daemon when Redis comes and goes', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function daemonOn(redisUrl: string): Promise<TestDaemon> {
    const notifyd = await startTestDaemon({
      redis: { url: redisUrl, prefix: randomPrefix(), dispatchWindow: 50 },
      delivery: { timeoutMs: 1_000, leaseMarginMs: 1_000 },
    });
    cleanups.push(() => notifyd.close());
    return notifyd;
  }

  async function readiness(notifyd: TestDaemon, wanted: number, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = await notifyd.api('GET', '/readyz');
      if (answer.status === wanted || Date.now() > deadline) return answer;
      await sleep(100);
    }
  }

  it('Redis unreachable at start: the API starts, /readyz is 503 naming Redis, accepted notifications are delivered once it appears', async () => {
    const port = await RedisServer.freePort();
    const receiver = await TestReceiver.start();
    cleanups.push(() => receiver.close());
    const started = Date.now();
    const notifyd = await daemonOn(`redis://127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(8_000);

    const down = await notifyd.api('GET', '/readyz');
    expect(down.status).toBe(503);
    expect(down.body.checks).toMatchObject({ ledger: 'ok' });
    expect(String(down.body.checks.redis)).toMatch(new RegExp(`unreachable.*127\\.0\\.0\\.1:${port}`));

    const accepted = await notifyd.api('POST', '/v1/notifications', { url: receiver.url(), body: { order: 'while-redis-down' } });
    expect(accepted.status).toBe(202);

    const redis = await RedisServer.start(port);
    cleanups.push(() => redis.stop());
    expect((await readiness(notifyd, 200)).body.checks).toMatchObject({ ledger: 'ok', redis: 'ok' });
    // Its first lease may have been taken while Redis was down: delivered at the latest when it expires.
    const view = await notifyd.waitForNotification(accepted.body.id, (v) => v.status === 'delivered', 15_000);
    expect(view.attempts).toBe(1);
  });

  it('Redis killed mid-run: /readyz turns 503, enqueue still accepts, and all is delivered after Redis restarts empty', async () => {
    const redis = await RedisServer.start();
    cleanups.push(() => redis.stop());
    const receiver = await TestReceiver.start();
    cleanups.push(() => receiver.close());
    const notifyd = await daemonOn(redis.url);
    expect((await notifyd.api('GET', '/readyz')).body.checks).toMatchObject({ redis: 'ok' });

    const before = await notifyd.api('POST', '/v1/notifications', { url: receiver.url(), body: { n: 1 } });
    await notifyd.waitForNotification(before.body.id, (v) => v.status === 'delivered');

    await redis.kill();
    expect((await readiness(notifyd, 503)).status).toBe(503);
    const during = await Promise.all(
      Array.from({ length: 10 }, (_, i) => notifyd.api('POST', '/v1/notifications', { url: receiver.url(), body: { during: i } })),
    );
    expect(during.every((r) => r.status === 202)).toBe(true);

    await redis.launch();
    expect((await readiness(notifyd, 200)).status).toBe(200);
    for (const r of during) {
      const view = await notifyd.waitForNotification(r.body.id, (v) => v.status === 'delivered', 15_000);
      expect(view.history.map((h: { outcome: string }) => h.outcome)).toEqual(['success']);
    }
    const closing = Date.now();
    await notifyd.close();
    cleanups.pop();
    expect(Date.now() - closing).toBeLessThan(5_000);
  });
});
