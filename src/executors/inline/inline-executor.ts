import { classifySendResult, type AttemptResult } from '../../domain/outcome.js';
import type { AttemptJob } from '../../domain/notification.js';
import type { Executor, Sender } from '../../domain/ports.js';
import { ResultBatcher } from '../result-batcher.js';

/**
 * Runs attempts in the daemon's own process (the default: no Redis). The
 * scheduler decides how many run at once; this only POSTs and reports.
 */
export class InlineExecutor implements Executor {
  readonly name = 'inline' as const;
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly results: ResultBatcher;
  private closed = false;

  constructor(
    private readonly sender: Sender,
    onRecordError: (error: unknown) => void = () => {},
  ) {
    this.results = new ResultBatcher(onRecordError);
  }

  onResults(handler: (results: AttemptResult[]) => Promise<void>): void {
    this.results.onFlush(handler);
  }

  async dispatch(jobs: readonly AttemptJob[]): Promise<void> {
    if (this.closed) throw new Error('inline executor is closed');
    for (const job of jobs) {
      const run = this.attempt(job).finally(() => this.running.delete(run));
      this.running.add(run);
    }
  }

  async ready(): Promise<void> {}

  async close(graceMs: number): Promise<void> {
    this.closed = true;
    const all = Promise.allSettled([...this.running]);
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs).unref()),
    ]);
    if (timedOut) this.abort.abort(new Error('shutdown grace period over'));
    await this.results.drain();
    await this.sender.close();
  }

  private async attempt(job: AttemptJob): Promise<void> {
    const startedAt = Date.now();
    const sent = await this.sender.send(job, this.abort.signal);
    // Past the grace period the attempt was cut short: its lease is released, not recorded as a failure.
    if (this.abort.signal.aborted) return;
    this.results.add(classifySendResult(job.success, sent, { notificationId: job.notificationId, attempt: job.attempt, startedAt }));
  }
}
