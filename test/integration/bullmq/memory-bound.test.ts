import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { TestReceiver } from '../../helpers/receiver.js';
import { bullmqConfig, capturedLogger, sleep } from './fixtures.js';
import { startLedgerNode } from './ledger-node.js';
import { RedisServer } from './redis-server.js';

/**
 * Redis holds attempts in flight, never the backlog: a receiver that is down
 * cannot fill Redis. 20,000 notifications to a receiver that always fails
 * keep the attempts queue at the dispatch window's size, not 20,000 jobs.
 */
describe('bullmq: Redis memory is bounded by the dispatch window', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('20,000 notifications to an always-failing receiver never put more than the window in Redis', async () => {
    const WINDOW = 200;
    const TOTAL = 20_000;
    // A private Redis, so DBSIZE counts exactly what notifyd keeps there.
    const redis = await RedisServer.start();
    cleanups.push(() => redis.stop());
    const config = bullmqConfig({
      redis: { url: redis.url, dispatchWindow: WINDOW },
      delivery: { concurrency: 64, perHostConcurrency: 10_000 },
    });
    const receiver = await TestReceiver.start(() => ({ status: 503, body: 'down' }));
    cleanups.push(() => receiver.close());
    const { logger } = capturedLogger();
    const node = await startLedgerNode({ config, logger });
    cleanups.push(() => node.close());

    const probe = new Redis(redis.url);
    cleanups.push(() => probe.disconnect());
    const prefix = config.redis.prefix;
    let peak = { attempts: 0, outcomes: 0, keys: 0 };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const replies = (await probe
          .multi()
          .llen(`${prefix}:attempts:wait`)
          .zcard(`${prefix}:attempts:prioritized`)
          .llen(`${prefix}:attempts:active`)
          .llen(`${prefix}:outcomes:wait`)
          .llen(`${prefix}:outcomes:active`)
          .dbsize()
          .exec())!.map(([, value]) => Number(value));
        const [wait = 0, prioritized = 0, active = 0, outcomesWait = 0, outcomesActive = 0, keys = 0] = replies;
        peak = {
          attempts: Math.max(peak.attempts, wait + prioritized + active),
          outcomes: Math.max(peak.outcomes, outcomesWait + outcomesActive),
          keys: Math.max(peak.keys, keys),
        };
        await sleep(10);
      }
    })();

    // The retry is an hour away: each notification gets exactly one attempt during the test.
    await node.enqueue(receiver.url(), TOTAL, { delaysMs: [3_600_000] });
    const deadline = Date.now() + 80_000;
    while (node.audit().attemptRows < TOTAL) {
      if (Date.now() > deadline) throw new Error(`only ${node.audit().attemptRows} of ${TOTAL} attempts in 80 s`);
      await sleep(200);
    }
    sampling = false;
    await sampler;

    expect(receiver.requests.length).toBeGreaterThanOrEqual(TOTAL);
    expect(peak.attempts).toBeGreaterThan(0);
    expect(peak.attempts).toBeLessThanOrEqual(WINDOW);
    expect(peak.outcomes).toBeLessThanOrEqual(WINDOW);
    // Job hashes for attempts and outcomes, their locks, and BullMQ's few bookkeeping keys: hundreds, not 20,000.
    expect(peak.keys).toBeLessThan(3 * WINDOW + 100);
    // Once the attempts are recorded, Redis is back to bookkeeping only; SQLite holds the 20,000 retries.
    await sleep(200);
    expect(await probe.dbsize()).toBeLessThan(30);
    expect((await node.store.counts()).pending).toBe(TOTAL);
    console.log(`peak in Redis: ${JSON.stringify(peak)} (window ${WINDOW}, ${TOTAL} notifications)`);
    // 20,000 POSTs in one process (ledger, worker and receiver share an event loop): ~25 s alone, more beside other suites.
  }, 90_000);
});
