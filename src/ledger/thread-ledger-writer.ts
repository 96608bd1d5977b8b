import { Worker } from 'node:worker_threads';
import { NotifydError } from '../domain/errors.js';
import type { SynchronousMode } from './database.js';
import { noCommitsYet, type GroupCommitStats } from './group-commit.js';
import type { LedgerWriter } from './ledger-writer.js';
import type { WriteArgs, WriteOpName, WriteValue } from './write-ops.js';
import { storeClosed } from './storage-error.js';
import { addWrite, forEachReply, fromWireError, type FromWriter, type ToWriter, type WireWrites } from './writer-wire.js';

export interface WriterThreadOptions {
  path: string;
  synchronous: SynchronousMode;
  busyTimeoutMs: number;
  groupCommitMaxWaitMs: number;
  jitter: number;
}

interface Waiter {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs the ledger's writes on a worker thread with its own connection, so
 * the inserts, updates, COMMITs and fsyncs use the second core instead of
 * the event loop that parses requests and drives deliveries. The thread
 * group-commits what reaches it in one turn and answers with one message per
 * commit. Reads stay on the store's connection: WAL shows them every
 * committed write.
 *
 * If the thread dies (a bug, out of memory), the writes it held fail with
 * storage_unavailable (none was reported stored) and the next write starts
 * a new thread.
 */
export class ThreadLedgerWriter implements LedgerWriter {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Waiter>();
  private nextSeq = 0;
  private lastStats = noCommitsYet();
  /** Stats of the threads that came before this one (a restart does not reset the counters). */
  private earlierStats = noCommitsYet();
  private closing: Promise<void> | null = null;
  private outbox: WireWrites = [];

  constructor(
    private readonly options: WriterThreadOptions,
    /** The thread's entry file; tests substitute one that fails. */
    private readonly entry: URL = writerThreadUrl(),
  ) {
    this.worker = this.start();
  }

  get stats(): Readonly<GroupCommitStats> {
    const a = this.earlierStats;
    const b = this.lastStats;
    return {
      commits: a.commits + b.commits,
      ops: a.ops + b.ops,
      failedCommits: a.failedCommits + b.failedCommits,
      largestBatch: Math.max(a.largestBatch, b.largestBatch),
    };
  }

  run<K extends WriteOpName>(op: K, args: WriteArgs<K>): Promise<WriteValue<K>> {
    if (this.closing !== null) return Promise.reject(storeClosed());
    this.worker ??= this.start();
    const seq = this.nextSeq++;
    return new Promise<WriteValue<K>>((resolve, reject) => {
      this.waiting.set(seq, { resolve: resolve as (value: unknown) => void, reject });
      if (this.waiting.size === 1) this.worker?.ref(); // keep the process alive while a write is out
      // Sent when the current task ends (a microtask), not at the end of the
      // event-loop turn: writes made together (one request's, a Promise.all)
      // travel in one message, and the thread commits the first requests'
      // writes while this loop still parses the next ones (gathering what
      // arrives meanwhile into its next commit). Gathering for the whole turn
      // measured slower: the two threads took turns instead of overlapping.
      if (this.outbox.length === 0) queueMicrotask(() => this.flushOutbox());
      addWrite(this.outbox, seq, op, args);
    });
  }

  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  private async stop(): Promise<void> {
    this.flushOutbox();
    const worker = this.worker;
    if (worker === null) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref();
    this.send({ kind: 'close' });
    await exited;
  }

  private start(): Worker {
    const worker = new Worker(this.entry, { workerData: this.options });
    worker.unref();
    worker.on('message', (message: FromWriter) => this.onMessage(message));
    worker.on('error', (error) => this.onExit(worker, error));
    worker.on('exit', (code) => this.onExit(worker, new Error(`the writer thread exited with code ${code}`)));
    return worker;
  }

  private flushOutbox(): void {
    if (this.outbox.length === 0) return;
    const writes = this.outbox;
    this.outbox = [];
    this.send({ kind: 'writes', writes });
  }

  private send(message: ToWriter): void {
    this.worker?.postMessage(message);
  }

  private onMessage(message: FromWriter): void {
    if (message.kind === 'failed') {
      this.failAll(fromWireError(message.error));
      return;
    }
    this.lastStats = message.stats;
    if (message.kind === 'closed') return;
    forEachReply(
      message,
      (seq, value) => this.takeWaiter(seq)?.resolve(value),
      (seq, error) => this.takeWaiter(seq)?.reject(fromWireError(error)),
    );
    if (this.waiting.size === 0 && this.closing === null) this.worker?.unref();
  }

  private takeWaiter(seq: number): Waiter | undefined {
    const waiter = this.waiting.get(seq);
    this.waiting.delete(seq);
    return waiter;
  }

  private onExit(worker: Worker, cause: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.earlierStats = this.stats;
    this.lastStats = noCommitsYet();
    if (this.waiting.size > 0) {
      this.failAll(new NotifydError('storage_unavailable', `ledger: the writer thread stopped: ${cause.message}`, { cause }));
    }
  }

  private failAll(error: Error): void {
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    for (const waiter of waiters) waiter.reject(error);
  }
}

/**
 * The worker's entry file. Under vitest this module is src/ledger/*.ts, which
 * a worker thread cannot load: it runs the build of the same source then
 * (`npm test` builds first).
 */
function writerThreadUrl(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('../../dist/ledger/writer-thread.js', import.meta.url)
    : new URL('./writer-thread.js', import.meta.url);
}
