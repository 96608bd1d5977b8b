import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config.js';
import type { Executor } from '../../../src/domain/ports.js';
import { createBullmqExecutor } from '../../../src/executors/bullmq/index.js';
import { startWorkerRole } from '../../../src/executors/bullmq/worker-role.js';
import { TestReceiver } from '../../helpers/receiver.js';
import { SHARED_REDIS_URL, attemptFor, bullmqConfig, capturedLogger, collectResults, dropPrefix, keysUnder, sleep } from './fixtures.js';

/**
 * The bullmq executor alone, through the real path: a real Redis, the real got
 * sender, a real receiver on 127.0.0.1. The scheduler's handler is stood in
 * for by a collector, so what is checked is exactly the Executor contract.
 */
describe('bullmq executor round trip', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  let logLines: () => Array<Record<string, unknown>> = () => [];

  async function executorFor(config: Config, withLocalWorker = true): Promise<Executor> {
    const { logger, lines } = capturedLogger();
    logLines = lines;
    cleanups.push(() => dropPrefix(SHARED_REDIS_URL, config.redis.prefix));
    const executor = await createBullmqExecutor({ config, logger, withLocalWorker, onRecordError: () => {} });
    cleanups.push(() => executor.close(1_000));
    return executor;
  }

  async function receiver(responder?: Parameters<typeof TestReceiver.start>[0]): Promise<TestReceiver> {
    const r = await TestReceiver.start(responder);
    cleanups.push(() => r.close());
    return r;
  }

  it('POSTs each attempt with the real sender and reports its classified result; Redis keeps no finished job', async () => {
    const config = bullmqConfig();
    const target = await receiver((req) => {
      const seq = JSON.parse(req.body).seq as number;
      return seq % 3 === 0 ? { status: 200, body: 'success' } : seq % 3 === 1 ? { status: 500, body: 'boom' } : { status: 200, body: 'ok' };
    });
    const executor = await executorFor(config);
    const collected = collectResults(executor);
    await executor.ready();

    const jobs = Array.from({ length: 30 }, () => attemptFor(target));
    await executor.dispatch(jobs);
    const results = await collected.waitFor(30);

    expect(target.requests).toHaveLength(30);
    for (const job of jobs) {
      const [request] = target.requestsFor(job.notificationId);
      expect(request?.headers['notifyd-attempt']).toBe('1');
      expect(request?.headers['content-type']).toBe('application/json');
      expect(request?.body).toBe(job.body);
      const result = results.find((r) => r.notificationId === job.notificationId)!;
      const seq = JSON.parse(job.body).seq as number;
      expect(result.outcome).toBe(seq % 3 === 0 ? 'success' : seq % 3 === 1 ? 'http_error' : 'rejected');
      expect(result.attempt).toBe(1);
    }
    // Results arrive in batches, not one commit each.
    expect(collected.batches.length).toBeLessThan(30);
    // Only BullMQ's bookkeeping keys are left: no attempt or outcome job.
    await sleep(100);
    const keys = await keysUnder(SHARED_REDIS_URL, config.redis.prefix);
    expect(keys.filter((k) => k.includes('ntf_'))).toEqual([]);
  });

  it('runs a re-dispatched attempt once: one POST, one result', async () => {
    const config = bullmqConfig();
    const target = await receiver(() => ({ status: 200, body: 'success', delayMs: 300 }));
    const executor = await executorFor(config);
    let release!: () => void;
    const committed = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    // The first commit is held back, as a slow ledger would: the outcome waits in Redis meanwhile.
    const collected = collectResults(executor, async () => {
      calls += 1;
      if (calls === 1) await committed;
    });

    const job = attemptFor(target);
    await executor.dispatch([job, job]); // twice in one batch
    await executor.dispatch([job]); // again while it waits or runs
    await target.waitFor((reqs) => reqs.length >= 1);
    await executor.dispatch([{ ...job, leaseUntil: Date.now() + 60_000 }]); // again while it is being POSTed
    await sleep(600); // the POST is done; the outcome is queued and held by the slow commit
    await executor.dispatch([job]); // again while its outcome waits: it already ran
    release();
    await collected.waitFor(1);
    await sleep(500);

    expect(target.requestsFor(job.notificationId)).toHaveLength(1);
    expect(collected.results).toHaveLength(1);
    // The last dispatch found the outcome waiting and did not queue the attempt again.
    expect(logLines().some((l) => l.skipped === 1)).toBe(true);
  });

  it('serves first attempts before retries waiting in Redis', async () => {
    const config = bullmqConfig({ delivery: { concurrency: 1 } });
    const target = await receiver(() => ({ status: 200, body: 'success' }));
    // No local worker yet: the jobs pile up in Redis as they would behind busy workers.
    const executor = await executorFor(config, false);
    const collected = collectResults(executor);
    const retries = Array.from({ length: 5 }, () => attemptFor(target, { attempt: 2, first: false }));
    const firsts = Array.from({ length: 5 }, () => attemptFor(target));
    await executor.dispatch(retries);
    await executor.dispatch(firsts);

    const { logger } = capturedLogger();
    const worker = await startWorkerRole({ config, logger });
    cleanups.push(() => worker.close());
    await collected.waitFor(10);
    const order = target.requests.map((r) => String(r.headers['webhook-id']));
    expect(new Set(order.slice(0, 5))).toEqual(new Set(firsts.map((j) => j.notificationId)));
  });

  it('delivers through a separate --role worker process when the ledger node has no local worker', async () => {
    const config = bullmqConfig();
    const target = await receiver();
    const executor = await executorFor(config, false);
    const collected = collectResults(executor);
    const { logger, lines } = capturedLogger();
    const worker = await startWorkerRole({ config, logger });
    cleanups.push(() => worker.close());
    expect(worker).toMatchObject({ role: 'worker', url: null, store: null });
    expect(lines().some((l) => l.msg === 'notifyd worker started' && l.connected === true)).toBe(true);

    const jobs = Array.from({ length: 20 }, () => attemptFor(target));
    await executor.dispatch(jobs);
    const results = await collected.waitFor(20);
    expect(results.every((r) => r.outcome === 'success')).toBe(true);
    expect(new Set(target.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set(jobs.map((j) => j.notificationId)));
  });

  it('refuses to start a worker without redis.url, naming the key', async () => {
    const config = bullmqConfig({ redis: { url: null } });
    const { logger } = capturedLogger();
    await expect(startWorkerRole({ config, logger })).rejects.toMatchObject({ code: 'config_invalid', field: 'redis.url' });
    await expect(createBullmqExecutor({ config, logger, withLocalWorker: true, onRecordError: () => {} })).rejects.toMatchObject({
      code: 'config_invalid',
    });
  });
});
