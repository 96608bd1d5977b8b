/**
 * The ports: interfaces the I/O layers implement, so the scheduler and the API
 * never touch SQLite, got or Redis directly (BullMQ's queue-backend.ts is the
 * model). Every implementation of a port passes the same conformance suite.
 */
import type { AttemptJob, NewNotification, Notification, NotificationSummary, NotificationWithHistory } from './notification.js';
import type { AttemptResult, SendResult } from './outcome.js';
import type { NotificationStatus } from './notification-status.js';

export interface Page<T> {
  items: T[];
  /** Opaque; pass back as `cursor` for the next (older) page. Null on the last page. */
  nextCursor: string | null;
}

export interface ListQuery {
  status?: NotificationStatus;
  limit: number;
  cursor?: string | null;
}

/** Selects dead letters for listing and bulk replay. Times are ms since the epoch (of `deadAt`). */
export interface DeadLetterFilter {
  since?: number;
  until?: number;
  /** Matches the start of the notification's URL. */
  urlPrefix?: string;
  /** Exact host[:port]. */
  host?: string;
  /** A substring of the last error, case-insensitive (ASCII): "ECONNREFUSED", "HTTP 500". */
  lastError?: string;
  limit?: number;
}

export interface LeaseRequest {
  now: number;
  /** How many attempts at most (the executor's free slots). */
  limit: number;
  /** The lease deadline is `now + leaseMs + the job's timeout`. */
  leaseMs: number;
  /** Hosts and how many more attempts each may start now; hosts absent are unlimited up to `perHostLimit`. */
  hostSlotsLeft: ReadonlyMap<string, number>;
  perHostLimit: number;
  /**
   * How many of `limit` may go to retries (default: all). The scheduler keeps
   * a reserve of slots that only first attempts may take, so retries to
   * receivers that are down can never occupy every slot.
   */
  maxRetries?: number;
  /**
   * How many of `limit` go to due retries even when first attempts could
   * fill them all (default 0): under a sustained flood of new notifications,
   * retries still move.
   */
  retryReserve?: number;
}

export interface EnqueueResult {
  notification: Notification;
  /** False when the idempotency key matched an existing notification with the same payload. */
  created: boolean;
}

/** What applying one attempt's result did. */
export interface AppliedResult {
  notificationId: string;
  attempt: number;
  /** False when this result was a duplicate (already recorded) and changed nothing. */
  applied: boolean;
  status: NotificationStatus | null;
  /** The notification after this result; null when nothing was applied. */
  notification: NotificationSummary | null;
  /** The whole notification when this result made it a dead letter (the alerts carry it); null otherwise. */
  deadLetter: Notification | null;
}

export interface NotificationStore {
  /** Durable when the promise resolves (the commit is done). Throws idempotency_conflict. */
  enqueue(input: NewNotification, now: number): Promise<EnqueueResult>;
  get(id: string): Promise<NotificationWithHistory | null>;
  list(query: ListQuery): Promise<Page<Notification>>;
  listDeadLetters(filter: DeadLetterFilter & { cursor?: string | null; limit: number }): Promise<Page<Notification>>;
  /** Throws not_found / invalid_state. */
  replay(id: string, options: { force: boolean }, now: number): Promise<Notification>;
  cancel(id: string, now: number): Promise<Notification>;
  /** A pending notification's next attempt moved to now (unchanged while an attempt is in flight). */
  retryNow(id: string, now: number): Promise<Notification>;
  /** `retryNow` for every pending notification to `host` that is not due yet; returns how many moved. */
  retryHostNow(host: string, now: number): Promise<number>;
  replayDeadLetters(filter: DeadLetterFilter, now: number): Promise<{ replayed: number; ids: string[] }>;
  /** How many dead letters match (`limit` ignored): what a bulk replay of the same filter would take. */
  countDeadLetters(filter: DeadLetterFilter): Promise<number>;

  /**
   * Atomically leases due attempts: first attempts before retries, oldest due
   * first, within the per-host slots. A leased row becomes due again by
   * itself when its lease deadline passes (a crash, a lost job).
   */
  leaseDue(request: LeaseRequest): Promise<AttemptJob[]>;
  /**
   * Records attempts and applies the domain's next step, idempotently: a
   * result for an attempt already recorded changes nothing.
   */
  applyResults(results: readonly AttemptResult[], now: number): Promise<AppliedResult[]>;
  /** Earliest `nextAttemptAt` over pending rows, or null. */
  nextDueAt(): Promise<number | null>;
  /** Gives up leases (graceful shutdown of a role that will not finish them): they are due at once. */
  releaseLeases(ids: readonly string[], now: number): Promise<void>;

  counts(): Promise<Record<NotificationStatus, number> & { leased: number; oldestPendingCreatedAt: number | null }>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Performs one POST. Never throws for anything the receiver or the network did. */
export interface Sender {
  send(job: AttemptJob, signal?: AbortSignal): Promise<SendResult>;
  close(): Promise<void>;
}

/**
 * Runs attempts somewhere (in-process, or on BullMQ workers) and reports each
 * result exactly once per dispatch through `onResults`.
 */
export interface Executor {
  readonly name: 'inline' | 'bullmq';
  /** Starts the attempts; returns once they are handed off (not when they finish). */
  dispatch(jobs: readonly AttemptJob[]): Promise<void>;
  /** Registers the one consumer of results (the scheduler). */
  onResults(handler: (results: AttemptResult[]) => Promise<void>): void;
  /** Stops taking work; waits up to `graceMs` for what is in flight. */
  close(graceMs: number): Promise<void>;
  ready(): Promise<void>;
}
