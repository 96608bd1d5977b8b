import type { AttemptOutcome } from './outcome.js';
import type { DeadReason, NotificationStatus } from './notification-status.js';
import type { SuccessRule } from './success-rule.js';

/** What the API hands the ledger: already validated and resolved. */
export interface NewNotification {
  url: string;
  /** Lower-cased host[:port] of `url`: the unit of per-host concurrency and DLQ filters. */
  host: string;
  /** The exact bytes to POST (an object body is serialized to JSON before this point). */
  body: string;
  contentType: string;
  headers: Record<string, string>;
  idempotencyKey: string | null;
  /** SHA-256 of the request's canonical payload: same key + other payload → 409. Empty without an idempotency key (never compared). */
  payloadHash: string;
  delaysMs: number[];
  success: SuccessRule;
  timeoutMs: number;
  metadata: Record<string, unknown> | null;
}

/** A notification as stored. Times are ms since the epoch. */
export interface Notification extends NewNotification {
  id: string;
  status: NotificationStatus;
  /** Attempts made over the whole life (history rows). */
  attempts: number;
  /** `attempts` when the current round began: replay starts a new round, history kept. */
  roundStart: number;
  /** When the next attempt is due; while leased, the lease deadline. Null unless pending. */
  nextAttemptAt: number | null;
  /** Set while an attempt is in flight: the deadline after which it is re-leased. */
  leaseUntil: number | null;
  deliveredAt: number | null;
  deadAt: number | null;
  deadReason: DeadReason | null;
  cancelledAt: number | null;
  lastError: string | null;
  replays: number;
  createdAt: number;
  updatedAt: number;
}

/**
 * A notification's state after an attempt's result, without its payload: what
 * metrics, logs and the last-hour numbers need. Reading the body and parsing
 * the JSON columns for every result cost more than the rest of recording it.
 */
export type NotificationSummary = Pick<
  Notification,
  | 'id'
  | 'status'
  | 'url'
  | 'host'
  | 'attempts'
  | 'nextAttemptAt'
  | 'leaseUntil'
  | 'deliveredAt'
  | 'deadAt'
  | 'deadReason'
  | 'lastError'
  | 'createdAt'
  | 'updatedAt'
>;

/** One row of a notification's attempt history. */
export interface Attempt {
  n: number;
  at: number;
  durationMs: number;
  statusCode: number | null;
  outcome: AttemptOutcome;
  error: string | null;
  responseExcerpt: string | null;
}

export interface NotificationWithHistory extends Notification {
  history: Attempt[];
}

/**
 * Everything one attempt needs, handed by the scheduler to an executor. For
 * the bullmq executor this is the job's data, so it is plain JSON.
 */
export interface AttemptJob {
  notificationId: string;
  attempt: number;
  url: string;
  host: string;
  body: string;
  contentType: string;
  headers: Record<string, string>;
  timeoutMs: number;
  success: SuccessRule;
  leaseUntil: number;
  /** True for a notification's first attempt (of any round): first attempts are never queued behind retries. */
  first: boolean;
}
