import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './database.js';
import { isStorageFailure, storageUnavailable, storeClosed } from './storage-error.js';

export interface GroupCommitOptions {
  /** How long the first write of a batch waits for others to join it; 0 = until the event loop turns (setImmediate). */
  maxWaitMs: number;
  /** A batch this large is committed at once instead of waiting. */
  maxBatchOps?: number;
}

export interface WriteOptions {
  /**
   * False for a write whose loss in a power failure is harmless: a lease, which
   * if lost leaves its row due again, so the attempt is re-run (one duplicate
   * POST, which guarantee 2 allows). Such writes do not wait for durable ones:
   * they commit by themselves at the end of the event-loop turn, at
   * synchronous=NORMAL (no fsync; still safe against a process crash, WAL). The
   * next durable commit's fsync of the WAL makes them durable too. Default true.
   */
  durable?: boolean;
  /**
   * True for a write that changes the ledger with one statement at most, after
   * every check that may throw: SQLite undoes a failed statement by itself,
   * so it needs no savepoint of its own (a SAVEPOINT and RELEASE cost ≈ 1.5 µs
   * a write, a tenth of an enqueue's time on the writer thread). Default false.
   */
  atomic?: boolean;
}

export interface GroupCommitStats {
  /** Transactions committed. */
  commits: number;
  /** Operations committed (including those that failed on their own and were rolled back to their savepoint). */
  ops: number;
  /** Transactions that failed as a whole: every op in them was rejected. */
  failedCommits: number;
  largestBatch: number;
}

/** Counters of a committer that has committed nothing yet. */
export function noCommitsYet(): GroupCommitStats {
  return { commits: 0, ops: 0, failedCommits: 0, largestBatch: 0 };
}

// Bounds how long one commit holds the event loop (and the write lock).
const DEFAULT_MAX_BATCH_OPS = 1_000;

interface QueuedOp {
  run: () => unknown;
  atomic: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit: writes queue up and run together in one transaction, so one
 * fsync (synchronous=FULL) covers hundreds of them. Each write runs in its
 * own savepoint (or is one statement, see WriteOptions.atomic), so one that
 * fails (an idempotency conflict) fails only its own promise. Promises
 * settle only after COMMIT returns: if the commit fails, every op in the
 * batch is rejected with storage_unavailable and none is reported as stored.
 *
 * Non-durable writes (leases, see WriteOptions) form batches of their own
 * that commit without an fsync, so dispatching attempts never waits for
 * the fsync of the results before them.
 *
 * better-sqlite3 is synchronous, so a batch runs start to finish in one call:
 * nothing else on this connection can interleave with it.
 */
export class GroupCommitter {
  readonly stats: GroupCommitStats = noCommitsYet();
  private queue: QueuedOp[] = [];
  /** Non-durable writes (leases): committed on their own, at the end of the turn, without an fsync. */
  private relaxedQueue: QueuedOp[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private relaxedImmediate: NodeJS.Immediate | null = null;
  private flushing = false;
  private closed = false;
  private readonly maxBatchOps: number;
  private readonly savepoint: (run: () => unknown) => unknown;
  private readonly batch: (ops: readonly QueuedOp[], outcomes: Outcome[]) => void;
  /** Switch a FULL/EXTRA connection to NORMAL and back, around a batch of non-durable writes; null when it already does not fsync each commit. */
  private readonly relax: { on: Statement; off: Statement } | null;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly options: GroupCommitOptions,
  ) {
    this.maxBatchOps = options.maxBatchOps ?? DEFAULT_MAX_BATCH_OPS;
    // Called inside the batch's transaction, better-sqlite3 runs this as a SAVEPOINT.
    this.savepoint = db.transaction((run: () => unknown) => run());
    // IMMEDIATE takes the write lock up front (waiting up to busy_timeout), so
    // the commit cannot fail on a lock upgrade halfway through the batch.
    this.batch = db.transaction((ops: readonly QueuedOp[], outcomes: Outcome[]) => {
      for (const op of ops) {
        try {
          outcomes.push({ ok: true, value: op.atomic ? op.run() : this.savepoint(op.run) });
        } catch (error) {
          // SQLite may already have rolled the whole transaction back: give up on the batch.
          if (isStorageFailure(error) || !this.db.inTransaction) throw error;
          outcomes.push({ ok: false, error });
        }
      }
    }).immediate;
    const mode = db.pragma('synchronous', { simple: true }) as number;
    // 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA: only FULL and EXTRA fsync on every commit.
    this.relax = mode >= 2 ? { on: db.prepare('PRAGMA synchronous = 1'), off: db.prepare(`PRAGMA synchronous = ${mode}`) } : null;
  }

  /** Runs `op` in the next batch; settles after that batch commits. `op` must be synchronous. */
  run<T>(op: () => T, options: WriteOptions = {}): Promise<T> {
    if (this.closed) {
      return Promise.reject(storeClosed());
    }
    return new Promise<T>((resolve, reject) => {
      const queued = { run: op, atomic: options.atomic === true, resolve: resolve as (value: unknown) => void, reject };
      if (options.durable === false) {
        this.relaxedQueue.push(queued);
        this.relaxedImmediate ??= setImmediate(() => {
          this.relaxedImmediate = null;
          this.flushRelaxed();
        });
        return;
      }
      this.queue.push(queued);
      if (this.queue.length >= this.maxBatchOps && !this.flushing) {
        this.flush();
      } else {
        this.schedule();
      }
    });
  }

  /** Commits everything queued now, synchronously. */
  flush(): void {
    this.cancelSchedule();
    this.flushRelaxed();
    while (this.queue.length > 0 && !this.flushing) {
      const ops = this.queue.splice(0, this.maxBatchOps);
      this.commit(ops, false);
    }
  }

  private flushRelaxed(): void {
    if (this.relaxedImmediate !== null) clearImmediate(this.relaxedImmediate);
    this.relaxedImmediate = null;
    while (this.relaxedQueue.length > 0 && !this.flushing) {
      this.commit(this.relaxedQueue.splice(0, this.maxBatchOps), true);
    }
  }

  /** Commits what is queued and refuses further writes. */
  close(): void {
    this.flush();
    this.closed = true;
  }

  private schedule(): void {
    if (this.timer !== null || this.immediate !== null) return;
    if (this.options.maxWaitMs > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.options.maxWaitMs);
    } else {
      this.immediate = setImmediate(() => {
        this.immediate = null;
        this.flush();
      });
    }
  }

  private cancelSchedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  private commit(ops: QueuedOp[], relaxed: boolean): void {
    const outcomes: Outcome[] = [];
    const relax = relaxed ? this.relax : null;
    this.flushing = true;
    try {
      relax?.on.run();
      try {
        this.batch(ops, outcomes);
      } finally {
        relax?.off.run();
      }
    } catch (error) {
      this.stats.failedCommits += 1;
      const failure = storageUnavailable(`commit ${ops.length} write(s)`, error);
      for (const op of ops) op.reject(failure);
      return;
    } finally {
      this.flushing = false;
    }
    this.stats.commits += 1;
    this.stats.ops += ops.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, ops.length);
    ops.forEach((op, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) op.resolve(outcome.value);
      else op.reject(outcome ? outcome.error : new Error('group commit: op has no outcome'));
    });
  }
}
