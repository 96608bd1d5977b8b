import type { JobsOptions } from 'bullmq';
import type { AttemptJob } from '../../domain/notification.js';
import type { AttemptResult } from '../../domain/outcome.js';

/**
 * The two BullMQ queues and the shape of their jobs. Both queues live under
 * `redis.prefix`, so deployments (and tests) can share one Redis.
 *
 * - `attempts`: ledger node → workers. One job per leased attempt.
 * - `outcomes`: workers → ledger node. One job per finished attempt.
 */
export const ATTEMPTS_QUEUE = 'attempts';
export const OUTCOMES_QUEUE = 'outcomes';

/**
 * One id for an attempt in both queues: a re-dispatch of the same attempt
 * is not a second job, and a second outcome for it is not a second outcome
 * job while the first one exists. BullMQ refuses custom ids that are
 * integers or contain ':', hence the '.'; notification ids never contain one.
 */
export function attemptJobId(notificationId: string, attempt: number): string {
  return `${notificationId}.${attempt}`;
}

/**
 * BullMQ serves jobs without a priority before every prioritized job, so a
 * first attempt (priority 0, the plain wait list, BullMQ's fast path) is
 * taken before any retry waiting in Redis (priority 1). The ledger already
 * leases first attempts first and caps retries per host; this keeps that
 * order inside Redis when workers fall behind.
 */
export const RETRY_PRIORITY = 1;

/**
 * BullMQ keeps an event stream per queue (10,000 entries by default). notifyd
 * reads none of it, so keep it short: Redis should hold attempts in flight, not
 * their history.
 */
export const EVENTS_MAX_LEN = 100;

/**
 * Redis holds only attempts in flight: a finished attempt job is removed at
 * once. It is never retried by BullMQ (`attempts: 1`): a receiver's failure
 * is a result, and the ledger's schedule decides the retry.
 */
export function attemptJobOptions(job: AttemptJob): JobsOptions {
  return {
    jobId: attemptJobId(job.notificationId, job.attempt),
    ...(job.first ? {} : { priority: RETRY_PRIORITY }),
    attempts: 1,
    removeOnComplete: true,
    removeOnFail: true,
  };
}

/**
 * An outcome job fails only when the ledger could not commit it (disk full,
 * database locked): retry it with backoff for ~8 minutes (1 s doubling, 10
 * tries). Should it still fail, it is dropped: the attempt's lease expires and
 * the ledger runs it again — at worst a repeated POST, never a lost one.
 */
export function outcomeJobOptions(result: AttemptResult): JobsOptions {
  return {
    jobId: attemptJobId(result.notificationId, result.attempt),
    attempts: 10,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: true,
    removeOnFail: true,
  };
}
