import { hostname } from 'node:os';
import { Queue, WaitingError, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { AttemptJob } from '../../domain/notification.js';
import { classifySendResult, type AttemptResult } from '../../domain/outcome.js';
import type { Sender } from '../../domain/ports.js';
import { ATTEMPTS_QUEUE, EVENTS_MAX_LEN, OUTCOMES_QUEUE, attemptJobId, outcomeJobOptions } from './queues.js';
import type { RedisClients } from './redis-clients.js';
import { lockTimingFor } from './lock-timing.js';
import { reportBullmqError } from './bullmq-errors.js';
import { closeWithin, settlesWithin } from './bounded-close.js';

/** After the grace: time for abandoned attempts to be put back on the queue before connections are cut. */
const HAND_BACK_MS = 2_000;

export interface AttemptWorkerOptions {
  redis: RedisClients;
  prefix: string;
  /** Attempts POSTed at once by this process: `delivery.concurrency`. */
  concurrency: number;
  /** `delivery.leaseMarginMs`: how soon a dead worker's attempts should run elsewhere. */
  leaseMarginMs: number;
  /** Owned: closed with the worker. */
  sender: Sender;
  logger: Logger;
  /**
   * Outcomes queued and not yet committed, by job id: the ledger node's local
   * worker shares this set with the outcome consumer so shutdown can wait for them.
   */
  pendingOutcomes?: Set<string>;
}

/**
 * A BullMQ Worker on the attempts queue: takes an attempt, POSTs it with the
 * real sender, classifies the answer with the domain's rule, and queues the
 * result on the outcomes queue. Runs in `--role worker` processes and, with
 * `--role all`, inside the ledger node.
 *
 * The attempt job completes only after its outcome job is in Redis, so at
 * every moment an attempt is either waiting/active, or has an outcome
 * waiting, or is recorded in the ledger.
 */
export class AttemptWorker {
  private readonly worker: Worker<AttemptJob, void>;
  private readonly outcomes: Queue<AttemptResult>;
  /** Fired when the shutdown grace is over: attempts still running are abandoned and handed back. */
  private readonly shutdown = new AbortController();
  private closing: Promise<void> | null = null;
  private attemptsReported = 0;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: AttemptWorkerOptions) {
    const { redis, prefix, logger } = options;
    this.outcomes = new Queue<AttemptResult>(OUTCOMES_QUEUE, {
      connection: redis.patient('outcome-producer'),
      prefix,
      streams: { events: { maxLen: EVENTS_MAX_LEN } },
    });
    this.outcomes.on('error', (error) => reportBullmqError(logger, redis, 'outcome producer', error));
    const timing = lockTimingFor(options.leaseMarginMs);
    this.worker = new Worker<AttemptJob, void>(ATTEMPTS_QUEUE, (job, token) => this.process(job, token), {
      connection: redis.forWorker('attempt-worker'),
      prefix,
      concurrency: options.concurrency,
      name: `${hostname()}:${process.pid}`,
      lockDuration: timing.lockDurationMs,
      stalledInterval: timing.stalledIntervalMs,
      // A job that stalls twice (two workers died on it) is dropped; the ledger's lease re-dispatches it.
      maxStalledCount: 1,
    });
    this.worker.on('error', (error) => reportBullmqError(logger, redis, 'attempt worker', error));
    this.worker.on('stalled', (jobId) => logger.warn({ jobId }, 'attempt stalled (its worker died or froze); running it again'));
  }

  /** Attempts this worker POSTed and reported (for its shutdown log line: which worker did what). */
  get reported(): number {
    return this.attemptsReported;
  }

  /** Resolves when connected, or after `timeoutMs` (Redis may be down: the worker keeps retrying). */
  async waitUntilReady(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const ready = await Promise.race([
      this.worker.waitUntilReady().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return ready;
  }

  /**
   * Graceful: take no new attempts, let running ones finish for up to
   * `graceMs`, then abandon the rest and put them back on the queue, where
   * another worker takes them at once (instead of after a stalled-job check).
   */
  close(graceMs: number): Promise<void> {
    return (this.closing ??= (async () => {
      const closed = this.worker.close();
      // Our own count of running attempts, not BullMQ's close(): with Redis down that never settles.
      if (!(await settlesWithin(Promise.allSettled([...this.running]), graceMs))) {
        this.shutdown.abort(new Error('shutdown grace period over'));
      }
      await closeWithin(closed, HAND_BACK_MS, this.options.redis);
      await closeWithin(this.outcomes.close(), HAND_BACK_MS, this.options.redis);
      await this.options.sender.close();
    })());
  }

  private process(job: Job<AttemptJob, void>, token: string | undefined): Promise<void> {
    const run = this.attempt(job, token).finally(() => this.running.delete(run));
    this.running.add(run);
    return run;
  }

  private async attempt(job: Job<AttemptJob, void>, token: string | undefined): Promise<void> {
    const attempt = job.data;
    const startedAt = Date.now();
    const sent = await this.options.sender.send(attempt, this.shutdown.signal);
    if (this.shutdown.signal.aborted && sent.kind !== 'response') {
      // Cut short by shutdown: not the receiver's doing, so not a result. Back to the queue for another worker.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    const result = classifySendResult(attempt.success, sent, {
      notificationId: attempt.notificationId,
      attempt: attempt.attempt,
      startedAt,
    });
    const jobId = attemptJobId(result.notificationId, result.attempt);
    // Marked before the add: the consumer may commit it before the add's reply reaches us.
    this.options.pendingOutcomes?.add(jobId);
    try {
      await this.outcomes.add('outcome', result, outcomeJobOptions(result));
    } catch (error) {
      this.options.pendingOutcomes?.delete(jobId);
      throw error;
    }
    this.attemptsReported += 1;
  }
}
