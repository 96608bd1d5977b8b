import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { AttemptResult } from '../../domain/outcome.js';
import { ResultBatcher } from '../result-batcher.js';
import { closeWithin } from './bounded-close.js';
import { reportBullmqError } from './bullmq-errors.js';
import { OUTCOMES_QUEUE, attemptJobId } from './queues.js';
import type { RedisClients } from './redis-clients.js';

export interface OutcomeConsumerOptions {
  redis: RedisClients;
  prefix: string;
  logger: Logger;
  /** Outcome jobs held at once, all waiting on the same few batched commits. */
  concurrency: number;
  onRecordError: (error: unknown) => void;
  /** Told each outcome committed, by job id. */
  onCommitted?: (jobId: string) => void;
}

/**
 * The ledger node's side of the outcomes queue. BullMQ has no batch consumer
 * (that is BullMQ Pro), so a Worker holds many outcome jobs at once and each
 * one waits in a ResultBatcher; the batcher hands them to the scheduler
 * together, and the ledger commits them in one transaction. A job completes
 * (and leaves Redis) only after that commit: if the ledger node dies first,
 * the job's lock lapses and BullMQ hands it to the next ledger node.
 */
export class OutcomeConsumer {
  private readonly worker: Worker<AttemptResult, void>;
  private readonly batcher: ResultBatcher;
  private running: Promise<void> | null = null;

  constructor(private readonly options: OutcomeConsumerOptions) {
    const { redis, prefix, logger } = options;
    this.batcher = new ResultBatcher(options.onRecordError);
    this.worker = new Worker<AttemptResult, void>(OUTCOMES_QUEUE, (job) => this.consume(job), {
      connection: redis.forWorker('outcome-consumer'),
      prefix,
      concurrency: options.concurrency,
      // Started once a handler is registered: an outcome taken with nowhere to go would only time out.
      autorun: false,
      // A ledger node restarting must not drop the outcomes it held: let them stall a few times.
      maxStalledCount: 5,
    });
    this.worker.on('error', (error) => reportBullmqError(logger, redis, 'outcome consumer', error));
  }

  /** Registers the one consumer of results and starts taking outcome jobs. */
  start(handler: (results: AttemptResult[]) => Promise<void>): void {
    this.batcher.onFlush(handler);
    this.running ??= this.worker.run().catch((error: unknown) => {
      this.options.logger.error({ err: error }, 'outcome consumer stopped unexpectedly');
    });
  }

  /** Waits (up to `ms`) for the outcomes it holds to be committed, then disconnects. */
  async close(ms: number): Promise<void> {
    await closeWithin(this.worker.close(), ms, this.options.redis);
    await this.batcher.drain();
    // Not awaiting `running`: with Redis down BullMQ's loop sits in a 15 s retry delay after close.
  }

  private async consume(job: Job<AttemptResult, void>): Promise<void> {
    await this.batcher.addAndWait(job.data);
    this.options.onCommitted?.(attemptJobId(job.data.notificationId, job.data.attempt));
  }
}
