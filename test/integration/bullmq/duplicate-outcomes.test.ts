import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttemptResult } from '../../../src/domain/outcome.js';
import { OUTCOMES_QUEUE } from '../../../src/executors/bullmq/index.js';
import { outcomeJobOptions } from '../../../src/executors/bullmq/queues.js';
import { TestReceiver } from '../../helpers/receiver.js';
import { SHARED_REDIS_URL, bullmqConfig, capturedLogger, dropPrefix, sleep } from './fixtures.js';
import { startLedgerNode } from './ledger-node.js';

/**
 * An outcome can reach the ledger node twice: a worker that froze past its
 * lock while another re-ran the attempt, a ledger node that died after
 * committing but before completing the outcome job. The second one must
 * change nothing.
 */
describe('bullmq: outcomes are applied once', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('ignores an outcome delivered again, later and with another verdict, and coalesces two delivered at once', async () => {
    const config = bullmqConfig();
    cleanups.push(() => dropPrefix(SHARED_REDIS_URL, config.redis.prefix));
    const receiver = await TestReceiver.start();
    cleanups.push(() => receiver.close());
    const { logger } = capturedLogger();
    const node = await startLedgerNode({ config, logger });
    cleanups.push(() => node.close());
    const connection = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: null });
    const producer = new Queue<AttemptResult>(OUTCOMES_QUEUE, { connection, prefix: config.redis.prefix });
    cleanups.push(async () => {
      await producer.close();
      connection.disconnect();
    });

    const [id] = await node.enqueue(receiver.url(), 1);
    await node.waitForCounts((c) => c.delivered === 1, 10_000);
    const first = node.applied.find((a) => a.notificationId === id)!;
    expect(first).toMatchObject({ attempt: 1, applied: true, status: 'delivered' });

    // The same attempt reported again by "another worker", as a failure this time, long after.
    const late: AttemptResult = {
      notificationId: id!,
      attempt: 1,
      startedAt: Date.now(),
      durationMs: 5,
      outcome: 'http_error',
      statusCode: 500,
      error: 'HTTP 500',
      responseExcerpt: 'boom',
      retryAfterMs: null,
    };
    await producer.add('outcome', late, outcomeJobOptions(late));
    await waitUntil(() => node.applied.length === 2);
    expect(node.applied[1]).toMatchObject({ notificationId: id, attempt: 1, applied: false });

    // Two reports of one attempt arriving together are one job in Redis.
    await producer.add('outcome', late, outcomeJobOptions(late));
    await producer.add('outcome', late, outcomeJobOptions(late));
    await waitUntil(() => node.applied.length >= 3);
    await sleep(300);
    expect(node.applied.length).toBeLessThanOrEqual(4);
    expect(node.applied.slice(2).every((a) => !a.applied)).toBe(true);

    const view = await node.store.get(id!);
    expect(view).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(view!.history.map((h) => h.outcome)).toEqual(['success']);
    expect(receiver.requestsFor(id!)).toHaveLength(1);
    expect(node.audit().gaps).toBe(0);
  });
});

async function waitUntil(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}
