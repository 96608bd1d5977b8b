import { afterEach, describe, expect, it } from 'vitest';
import { createBullmqExecutor } from '../../../src/executors/bullmq/index.js';
import { startWorkerRole } from '../../../src/executors/bullmq/worker-role.js';
import { TestReceiver } from '../../helpers/receiver.js';
import { attemptFor, bullmqConfig, capturedLogger, collectResults, sleep } from './fixtures.js';
import { RedisServer } from './redis-server.js';

/** What the bullmq parts do when Redis is not there: say so, fail fast, keep retrying, recover. */
describe('bullmq executor when Redis is unreachable', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function until(check: () => Promise<unknown>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await check();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(100);
      }
    }
  }

  async function timed<T>(promise: Promise<T>): Promise<{ ms: number; error: unknown }> {
    const started = Date.now();
    try {
      await promise;
      return { ms: Date.now() - started, error: null };
    } catch (error) {
      return { ms: Date.now() - started, error };
    }
  }

  it('at start: logs it once, starts anyway, dispatch and ready() fail fast; connects and delivers once Redis appears', async () => {
    const port = await RedisServer.freePort();
    const config = bullmqConfig({ redis: { url: `redis://127.0.0.1:${port}` } });
    const target = await TestReceiver.start();
    cleanups.push(() => target.close());
    const { logger, lines } = capturedLogger();

    const [executor, worker] = await Promise.all([
      createBullmqExecutor({ config, logger, withLocalWorker: false, onRecordError: () => {} }),
      startWorkerRole({ config, logger }),
    ]);
    cleanups.push(() => executor.close(500), () => worker.close());
    const collected = collectResults(executor);

    const unreachable = lines().filter((l) => typeof l.msg === 'string' && /^Redis unreachable at redis:\/\/127\.0\.0\.1:\d+, retrying$/.test(l.msg));
    expect(unreachable.length).toBeGreaterThanOrEqual(1);
    // Once per outage and process part, not once per reconnect attempt (there were many in those seconds).
    expect(unreachable.length).toBeLessThanOrEqual(2);
    expect(lines().some((l) => l.msg === 'notifyd worker started' && l.connected === false)).toBe(true);

    const job = attemptFor(target);
    const dispatch = await timed(executor.dispatch([job]));
    expect(dispatch.error).toMatchObject({ code: 'redis_unavailable' });
    expect(dispatch.ms).toBeLessThan(200);
    const ready = await timed(executor.ready());
    expect(ready.error).toMatchObject({ code: 'redis_unavailable' });
    expect(String((ready.error as Error).message)).toContain(`127.0.0.1:${port}`);
    expect(ready.ms).toBeLessThan(200);

    const redis = await RedisServer.start(port);
    cleanups.push(() => redis.stop());
    await until(() => executor.ready(), 10_000);
    await until(() => executor.dispatch([job]), 5_000);
    await collected.waitFor(1, 15_000);
    expect(collected.results[0]).toMatchObject({ notificationId: job.notificationId, outcome: 'success' });
    expect(lines().some((l) => typeof l.msg === 'string' && l.msg.startsWith('Redis reachable again at'))).toBe(true);
  });

  it('mid-run: dispatch fails fast while Redis is down and works again once it is back (empty)', async () => {
    const redis = await RedisServer.start();
    cleanups.push(() => redis.stop());
    const config = bullmqConfig({ redis: { url: redis.url } });
    const target = await TestReceiver.start();
    cleanups.push(() => target.close());
    const { logger } = capturedLogger();
    const executor = await createBullmqExecutor({ config, logger, withLocalWorker: true, onRecordError: () => {} });
    cleanups.push(() => executor.close(500));
    const collected = collectResults(executor);

    await executor.dispatch([attemptFor(target)]);
    await collected.waitFor(1);

    await redis.kill();
    await sleep(100);
    const dispatch = await timed(executor.dispatch([attemptFor(target)]));
    expect(dispatch.error).toMatchObject({ code: 'redis_unavailable' });
    expect(dispatch.ms).toBeLessThan(1_000);
    await expect(executor.ready()).rejects.toMatchObject({ code: 'redis_unavailable' });

    await redis.launch();
    await until(() => executor.ready(), 10_000);
    const after = attemptFor(target);
    await until(() => executor.dispatch([after]), 5_000);
    await collected.waitFor(2, 15_000);
    expect(collected.results.map((r) => r.notificationId)).toContain(after.notificationId);
  });

  it('graceful worker shutdown hands an unfinished attempt back to the queue for another worker', async () => {
    const redis = await RedisServer.start();
    cleanups.push(() => redis.stop());
    const config = bullmqConfig({ redis: { url: redis.url }, delivery: { shutdownGraceMs: 300, timeoutMs: 5_000 } });
    let first = true;
    const target = await TestReceiver.start(() => {
      const answer = first ? { status: 200, body: 'success', delayMs: 3_000 } : { status: 200, body: 'success' };
      first = false;
      return answer;
    });
    cleanups.push(() => target.close());
    const { logger } = capturedLogger();
    const executor = await createBullmqExecutor({ config, logger, withLocalWorker: false, onRecordError: () => {} });
    cleanups.push(() => executor.close(500));
    const collected = collectResults(executor);

    const workerA = await startWorkerRole({ config, logger });
    const job = attemptFor(target, { timeoutMs: 5_000 });
    await executor.dispatch([job]);
    await target.waitFor((reqs) => reqs.length === 1);
    const closeStarted = Date.now();
    await workerA.close();
    expect(Date.now() - closeStarted).toBeLessThan(2_000); // the grace, not the receiver's 3 s
    expect(collected.results).toHaveLength(0); // an abandoned POST is not a result

    const workerB = await startWorkerRole({ config, logger });
    cleanups.push(() => workerB.close());
    await collected.waitFor(1, 5_000);
    expect(collected.results[0]).toMatchObject({ notificationId: job.notificationId, outcome: 'success' });
    expect(target.requestsFor(job.notificationId)).toHaveLength(2);
  });
});
