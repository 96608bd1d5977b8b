import { afterEach, describe, expect, it } from 'vitest';
import { startWorkerRole } from '../../../src/executors/bullmq/worker-role.js';
import { TestReceiver } from '../../helpers/receiver.js';
import { bullmqConfig, capturedLogger } from './fixtures.js';
import { startLedgerNode } from './ledger-node.js';
import { RedisServer } from './redis-server.js';

/**
 * Redis holds only attempts in flight, and losing them loses nothing: the
 * ledger's leases bring every lost attempt back. Here Redis is killed and
 * comes back empty (no persistence) in the middle of delivery.
 */
describe('bullmq: Redis restarted empty mid-run', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('delivers everything after the leases of the lost attempts expire, each attempt recorded once', async () => {
    const redis = await RedisServer.start();
    cleanups.push(() => redis.stop());
    const config = bullmqConfig({
      redis: { url: redis.url, dispatchWindow: 100 },
      delivery: { concurrency: 16, perHostConcurrency: 64, timeoutMs: 1_000, leaseMarginMs: 1_000 },
    });
    // Half the notifications fail twice before succeeding, so retries are in flight too.
    const calls = new Map<string, number>();
    const receiver = await TestReceiver.start((req) => {
      const id = String(req.headers['webhook-id']);
      const n = (calls.get(id) ?? 0) + 1;
      calls.set(id, n);
      const flaky = JSON.parse(req.body).seq % 2 === 1;
      return flaky && n <= 2 ? { status: 500, body: 'not yet', delayMs: 10 } : { status: 200, body: 'success', delayMs: 10 };
    });
    cleanups.push(() => receiver.close());
    const { logger, lines } = capturedLogger();
    const node = await startLedgerNode({ config, logger });
    cleanups.push(() => node.close());
    const worker = await startWorkerRole({ config, logger });
    cleanups.push(() => worker.close());

    const ids = await node.enqueue(receiver.url(), 400, { delaysMs: [200, 200, 200] });
    await receiver.waitFor((reqs) => reqs.length >= 150, 20_000);
    await redis.restartEmpty();
    const seenAtRestart = receiver.requests.length;

    await node.waitForCounts((c) => c.delivered === ids.length, 45_000);
    expect(seenAtRestart).toBeLessThan(800); // the restart really was mid-run (800 POSTs in all: 200 × 1 + 200 × 3)
    const counts = await node.store.counts();
    expect(counts).toMatchObject({ delivered: 400, pending: 0, dead: 0 });
    // Every notification was POSTed, and the ledger's history has no duplicate or missing attempt number.
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set(ids));
    const audit = node.audit();
    expect(audit.gaps).toBe(0);
    expect(audit.attemptRows).toBe(audit.attemptsCounted);
    // Each attempt the ledger recorded is one POST the receiver answered, in order:
    // the flaky half's two failures and then a success, the other half's success.
    // A POST whose outcome was lost with Redis is not recorded; its lease brought
    // the same attempt number back, so the receiver saw more calls than the ledger.
    const history = new Map<string, string[]>();
    for (const row of node.store.db
      .prepare('SELECT notification_id AS id, outcome FROM attempts ORDER BY notification_id, n')
      .all() as Array<{ id: string; outcome: string }>) {
      history.set(row.id, [...(history.get(row.id) ?? []), row.outcome]);
    }
    const callsPerId = receiver.postsPerId();
    let unrecorded = 0;
    ids.forEach((id, seq) => {
      const outcomes = history.get(id) ?? [];
      const calls = callsPerId.get(id) ?? 0;
      expect(outcomes.at(-1), `last attempt of ${id}`).toBe('success');
      expect(outcomes.slice(0, -1).every((o) => o === 'http_error'), `failed attempts of ${id}`).toBe(true);
      // The flaky half fails its first two calls: at most two failures recorded, fewer if some were lost.
      expect(outcomes.length).toBeLessThanOrEqual(seq % 2 === 1 ? 3 : 1);
      expect(calls).toBeGreaterThanOrEqual(seq % 2 === 1 ? 3 : 1);
      expect(calls).toBeGreaterThanOrEqual(outcomes.length);
      unrecorded += calls - outcomes.length;
    });
    // Only attempts in Redis at the restart can be lost: at most the dispatch window.
    expect(unrecorded).toBeLessThanOrEqual(100);
    expect(audit.attemptRows + unrecorded).toBe(receiver.requests.length);
    console.log(`redis restart: ${receiver.requests.length} POSTs, ${audit.attemptRows} recorded, ${unrecorded} lost with Redis and re-run`);
    // The outage was reported.
    const messages = lines().map((l) => String(l.msg));
    // Which line opens the outage depends on whether ioredis reports the dropped socket ('error') before it reconnects.
    expect(messages.some((m) => m.startsWith('Redis connection lost at') || m.startsWith('Redis unreachable at'))).toBe(true);
    expect(messages.some((m) => m.startsWith('Redis reachable again at'))).toBe(true);
    // Attempts lost with Redis came back through their leases (the scheduler said so).
    expect(lines().some((l) => /lease/.test(String(l.msg)) && l.component === 'scheduler' && Number(l.count) > 0)).toBe(true);
  });
});
