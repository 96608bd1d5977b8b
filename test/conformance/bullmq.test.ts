import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { buildConfig } from '../../src/config.js';
import { startWorkerRole } from '../../src/executors/bullmq/worker-role.js';
import { describeExecutorConformance } from './executor-conformance.js';

/**
 * The same behaviour through the bullmq executor, on the machine's Redis
 * under a random prefix: once with `--role all` alone (the ledger node's
 * local worker POSTs), once with a `--role worker` beside it taking a share.
 */
const REDIS_URL = process.env.NOTIFYD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function redisSection() {
  return { url: REDIS_URL, prefix: `notifyd-conformance-${randomBytes(6).toString('hex')}`, dispatchWindow: 200 };
}

/** Removes BullMQ's bookkeeping keys the suite left under its prefix (it runs after the daemon closed). */
function dropper(prefix: string): () => Promise<void> {
  return async () => {
    const client = new Redis(REDIS_URL);
    const keys = await client.keys(`${prefix}:*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  };
}

const alone = redisSection();
describeExecutorConformance('bullmq', {
  config: () => ({ redis: alone, delivery: { perHostConcurrency: 8 } }),
  setup: async () => dropper(alone.prefix),
});

const shared = redisSection();
describeExecutorConformance('bullmq-with-worker-role', {
  config: () => ({ redis: shared, delivery: { perHostConcurrency: 8 } }),
  setup: async () => {
    const worker = await startWorkerRole({
      config: buildConfig({ redis: shared, security: { allowHosts: ['127.0.0.1/32'] }, delivery: { timeoutMs: 2_000, shutdownGraceMs: 1_000 } }),
      logger: pino({ level: process.env.NOTIFYD_TEST_LOG ?? 'silent' }),
    });
    return async () => {
      await worker.close();
      await dropper(shared.prefix)();
    };
  },
});
