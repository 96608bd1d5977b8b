import { ErrorCodes, NotifydError, type ErrorCode } from '../domain/errors.js';
import type { GroupCommitStats } from './group-commit.js';
import type { WriteOpName } from './write-ops.js';

/**
 * The messages between the store and its writer thread (structured-cloned).
 * Writes and replies travel flat, several to one array (seq, op, args, seq,
 * op, args … and seq, value, seq, value …), not as an object each: structured
 * clone writes out every object's keys and rebuilds it property by property
 * on the other side, and an enqueue's hand-off is on the event loop's hot path.
 */
export type WireWrites = unknown[];

export type ToWriter = { kind: 'writes'; writes: WireWrites } | { kind: 'close' };

/** A commit's replies: `done` holds seq, value, seq, value …; `failed` seq, error, seq, error … */
export interface WireReplies {
  done: unknown[];
  failed: Array<number | WireError>;
}

export type FromWriter =
  | ({ kind: 'replies'; stats: GroupCommitStats } & WireReplies)
  | { kind: 'closed'; stats: GroupCommitStats }
  /** The thread could not open the ledger: every write it was sent fails with this. */
  | { kind: 'failed'; error: WireError };

export function addWrite(writes: WireWrites, seq: number, op: WriteOpName, args: readonly unknown[]): void {
  writes.push(seq, op, args);
}

export function forEachWrite(writes: WireWrites, fn: (seq: number, op: WriteOpName, args: unknown[]) => void): void {
  for (let i = 0; i < writes.length; i += 3) fn(writes[i] as number, writes[i + 1] as WriteOpName, writes[i + 2] as unknown[]);
}

export function noReplies(): WireReplies {
  return { done: [], failed: [] };
}

export function hasReplies(replies: WireReplies): boolean {
  return replies.done.length > 0 || replies.failed.length > 0;
}

export function addDone(replies: WireReplies, seq: number, value: unknown): void {
  replies.done.push(seq, value);
}

export function addFailed(replies: WireReplies, seq: number, error: WireError): void {
  replies.failed.push(seq, error);
}

/** Hands each reply of a `replies` message to `resolve` (its value) or `reject` (its error). */
export function forEachReply(
  message: WireReplies,
  resolve: (seq: number, value: unknown) => void,
  reject: (seq: number, error: WireError) => void,
): void {
  const { done, failed } = message;
  for (let i = 0; i < done.length; i += 2) resolve(done[i] as number, done[i + 1]);
  for (let i = 0; i < failed.length; i += 2) reject(failed[i] as number, failed[i + 1] as WireError);
}

/**
 * An error as it crosses the thread boundary: a NotifydError keeps its code,
 * field and details; anything else its name, message and code (SQLITE_FULL …);
 * either keeps its cause (one level: the SQLite error under storage_unavailable).
 */
export interface WireError {
  name: string;
  message: string;
  /** A NotifydError's code, or a SQLite error's. */
  code: string | undefined;
  notifyd: boolean;
  field: string | undefined;
  details: Record<string, unknown> | undefined;
  cause: WireError | undefined;
}

export function toWireError(error: unknown, depth = 0): WireError {
  const cause = error instanceof Error && error.cause !== undefined && depth === 0 ? toWireError(error.cause, 1) : undefined;
  if (error instanceof NotifydError) {
    return { name: error.name, message: error.message, code: error.code, notifyd: true, field: error.field, details: error.details, cause };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  return {
    name: e.name,
    message: e.message,
    code: typeof code === 'string' ? code : undefined,
    notifyd: false,
    field: undefined,
    details: undefined,
    cause,
  };
}

export function fromWireError(wire: WireError): Error {
  const cause = wire.cause === undefined ? undefined : fromWireError(wire.cause);
  if (wire.notifyd && wire.code !== undefined && wire.code in ErrorCodes) {
    return new NotifydError(wire.code as ErrorCode, wire.message, {
      ...(wire.field !== undefined ? { field: wire.field } : {}),
      ...(wire.details !== undefined ? { details: wire.details } : {}),
      ...(cause !== undefined ? { cause } : {}),
    });
  }
  const error = new Error(wire.message, cause === undefined ? undefined : { cause });
  error.name = wire.name;
  if (wire.code !== undefined) Object.assign(error, { code: wire.code });
  return error;
}
