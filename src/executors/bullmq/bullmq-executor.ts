import { QueueKeys, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { NotifydError } from '../../domain/errors.js';
import type { AttemptJob } from '../../domain/notification.js';
import type { AttemptResult } from '../../domain/outcome.js';
import type { Executor } from '../../domain/ports.js';
import type { AttemptWorker } from './attempt-worker.js';
import type { OutcomeConsumer } from './outcome-consumer.js';
import { OUTCOMES_QUEUE, attemptJobId, attemptJobOptions } from './queues.js';
import type { RedisClients } from './redis-clients.js';
import { closeWithin } from './bounded-close.js';

export interface BullmqExecutorParts {
  redis: RedisClients;
  /** The fail-fast client the attempts queue uses: what `ready()` pings. */
  producerClient: Redis;
  attempts: Queue<AttemptJob>;
  outcomes: OutcomeConsumer;
  /** With `--role all`: the worker POSTing in this process. */
  localWorker: AttemptWorker | null;
  /** Outcomes the local worker queued and the ledger has not committed yet. */
  localOutcomesPending: Set<string>;
  prefix: string;
  logger: Logger;
}

/**
 * The ledger node's side of the bullmq executor: `dispatch` turns leased
 * attempts into jobs on the attempts queue, and outcomes come back through the
 * outcomes queue to the scheduler's handler. How many attempts are in Redis
 * at once is the scheduler's window (`redis.dispatchWindow`), never the
 * backlog: the backlog and the retry schedule stay in SQLite.
 */
export class BullmqExecutor implements Executor {
  readonly name = 'bullmq' as const;
  private readonly keys: QueueKeys;
  private closing: Promise<void> | null = null;

  constructor(private readonly parts: BullmqExecutorParts) {
    this.keys = new QueueKeys(parts.prefix);
  }

  onResults(handler: (results: AttemptResult[]) => Promise<void>): void {
    this.parts.outcomes.start(handler);
  }

  /**
   * Fails fast while Redis is down (the scheduler frees the slots and the
   * leases bring the attempts back), and never makes a second job for an
   * attempt already in Redis: waiting or running (same job id), or finished
   * with its outcome not yet committed (skipped here).
   */
  async dispatch(jobs: readonly AttemptJob[]): Promise<void> {
    if (this.closing) throw new NotifydError('shutting_down', 'bullmq executor is closing');
    if (jobs.length === 0) return;
    const { redis, producerClient, attempts } = this.parts;
    if (producerClient.status !== 'ready') throw redis.unavailable();
    try {
      const fresh = await this.withoutAnswered(jobs);
      if (fresh.length === 0) return;
      await attempts.addBulk(fresh.map((job) => ({ name: 'attempt', data: job, opts: attemptJobOptions(job) })));
    } catch (error) {
      throw redis.unavailable(error);
    }
  }

  ready(): Promise<void> {
    return this.parts.redis.check(this.parts.producerClient);
  }

  /**
   * Graceful: dispatch no more; the local worker (if any) finishes or hands
   * back its attempts within `graceMs`; the outcomes it queued are committed
   * (within what is left of the grace); the outcomes held are committed; then
   * Redis is let go. Attempts on remote workers carry on: their outcomes wait
   * in Redis for the next start.
   */
  close(graceMs: number): Promise<void> {
    return (this.closing ??= (async () => {
      const { localWorker, localOutcomesPending, outcomes, attempts, redis, logger } = this.parts;
      const deadline = Date.now() + graceMs;
      if (localWorker) await localWorker.close(graceMs);
      await waitUntil(() => localOutcomesPending.size === 0, Math.max(SETTLE_MIN_MS, deadline - Date.now()));
      if (localOutcomesPending.size > 0) {
        logger.warn({ count: localOutcomesPending.size }, 'outcomes left in Redis at shutdown; applied at the next start');
      }
      await outcomes.close(Math.max(SETTLE_MIN_MS, deadline - Date.now()));
      await closeWithin(attempts.close(), SETTLE_MIN_MS, redis);
      await redis.close();
    })());
  }

  /** Drops attempts whose outcome job already exists: they ran, and their result is on its way. */
  private async withoutAnswered(jobs: readonly AttemptJob[]): Promise<readonly AttemptJob[]> {
    const pipeline = this.parts.producerClient.pipeline();
    for (const job of jobs) pipeline.exists(this.keys.toKey(OUTCOMES_QUEUE, attemptJobId(job.notificationId, job.attempt)));
    const replies = (await pipeline.exec()) ?? [];
    const fresh = jobs.filter((_, i) => {
      const [error, exists] = replies[i] ?? [null, 0];
      if (error) throw error;
      return exists === 0;
    });
    if (fresh.length < jobs.length) {
      this.parts.logger.debug({ skipped: jobs.length - fresh.length }, 'attempts re-dispatched while their outcome waits in Redis; not run again');
    }
    return fresh;
  }
}

/** Even with no grace left, give the outcomes already queued a moment to commit. */
const SETTLE_MIN_MS = 1_000;

async function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}
