import { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { AttemptJob } from '../../domain/notification.js';
import type { Executor } from '../../domain/ports.js';
import { AttemptWorker } from './attempt-worker.js';
import { reportBullmqError } from './bullmq-errors.js';
import { BullmqExecutor } from './bullmq-executor.js';
import { senderFromConfig } from '../../sender/from-config.js';
import { OutcomeConsumer } from './outcome-consumer.js';
import { ATTEMPTS_QUEUE, EVENTS_MAX_LEN } from './queues.js';
import { RedisClients } from './redis-clients.js';
import { requireRedisUrl } from './require-redis-url.js';

export { BullmqExecutor } from './bullmq-executor.js';
export { attemptJobId, ATTEMPTS_QUEUE, OUTCOMES_QUEUE } from './queues.js';

/**
 * How long start-up waits for Redis before going on without it: long enough
 * for a normal connect, short enough that the API comes up (and /readyz says
 * "Redis unreachable") when Redis is down. The clients keep retrying.
 */
const STARTUP_WAIT_MS = 3_000;

/**
 * Outcome jobs the ledger node holds at once. Each waits on a batched commit,
 * so this is the largest batch the ledger can be handed; the window bounds
 * how many outcomes can exist anyway.
 */
const MAX_OUTCOME_CONCURRENCY = 500;

/**
 * The bullmq executor of a ledger node (`--role all` or `--role api`). With
 * `withLocalWorker` (`--role all`) this process also runs an attempts Worker.
 */
export async function createBullmqExecutor(o: {
  config: Config;
  logger: Logger;
  withLocalWorker: boolean;
  onRecordError: (e: unknown) => void;
}): Promise<Executor & { name: 'bullmq' }> {
  const { config } = o;
  const url = requireRedisUrl(config, 'the bullmq executor');
  const logger = o.logger.child({ component: 'bullmq' });
  const prefix = config.redis.prefix;
  const redis = new RedisClients(url, logger);

  const producerClient = redis.failFast('attempt-producer');
  const attempts = new Queue<AttemptJob>(ATTEMPTS_QUEUE, {
    connection: producerClient,
    prefix,
    streams: { events: { maxLen: EVENTS_MAX_LEN } },
  });
  attempts.on('error', (error) => reportBullmqError(logger, redis, 'attempt producer', error));

  const localOutcomesPending = new Set<string>();
  const outcomes = new OutcomeConsumer({
    redis,
    prefix,
    logger,
    concurrency: Math.min(config.redis.dispatchWindow, MAX_OUTCOME_CONCURRENCY),
    onRecordError: o.onRecordError,
    onCommitted: (jobId) => localOutcomesPending.delete(jobId),
  });
  const localWorker = o.withLocalWorker
    ? new AttemptWorker({
        redis,
        prefix,
        concurrency: config.delivery.concurrency,
        leaseMarginMs: config.delivery.leaseMarginMs,
        sender: senderFromConfig(config),
        logger,
        pendingOutcomes: localOutcomesPending,
      })
    : null;

  if (await redis.waitReady(producerClient, STARTUP_WAIT_MS)) {
    logger.info({ redis: redis.displayUrl, prefix, window: config.redis.dispatchWindow, localWorker: o.withLocalWorker }, 'bullmq executor connected');
  }
  return new BullmqExecutor({ redis, producerClient, attempts, outcomes, localWorker, localOutcomesPending, prefix, logger });
}
