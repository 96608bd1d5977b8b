import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { DaemonHandle } from '../../daemon-handle.js';
import { AttemptWorker } from './attempt-worker.js';
import { senderFromConfig } from '../../sender/from-config.js';
import { RedisClients } from './redis-clients.js';
import { requireRedisUrl } from './require-redis-url.js';

/** How long start-up waits for Redis before reporting "started" anyway (the worker keeps retrying). */
const STARTUP_WAIT_MS = 5_000;

/**
 * `notifyd start --role worker`: a BullMQ Worker that POSTs attempts and
 * queues their outcomes. It needs Redis and nothing else — no SQLite file, no
 * HTTP port — so any number of them can run on any machine that reaches
 * Redis and the receivers. It takes `delivery.*`, `security.*` (the SSRF
 * guard) and `signing.*` from its config; they must match the ledger node's.
 */
export async function startWorkerRole(o: { config: Config; logger: Logger }): Promise<DaemonHandle> {
  const { config } = o;
  const url = requireRedisUrl(config, '--role worker');
  const logger = o.logger.child({ component: 'bullmq' });
  const redis = new RedisClients(url, logger);
  const worker = new AttemptWorker({
    redis,
    prefix: config.redis.prefix,
    concurrency: config.delivery.concurrency,
    leaseMarginMs: config.delivery.leaseMarginMs,
    sender: senderFromConfig(config),
    logger,
  });
  const connected = await worker.waitUntilReady(STARTUP_WAIT_MS);
  o.logger.info(
    { role: 'worker', redis: redis.displayUrl, prefix: config.redis.prefix, concurrency: config.delivery.concurrency, connected },
    'notifyd worker started',
  );

  let closing: Promise<void> | null = null;
  return {
    role: 'worker',
    url: null,
    logger: o.logger,
    store: null,
    close: () =>
      (closing ??= (async () => {
        await worker.close(config.delivery.shutdownGraceMs);
        await redis.close();
        o.logger.info({ attemptsReported: worker.reported }, 'notifyd worker stopped');
      })()),
  };
}
