import { decideNextStep } from '../domain/next-step.js';
import type { AttemptResult } from '../domain/outcome.js';
import type { AppliedResult } from '../domain/ports.js';
import { rowToNotification, rowToSummary } from './rows.js';
import type { AfterAttempt, ApplyTarget, LedgerStatements } from './statements.js';

export interface ApplyOptions {
  /** 0 disables; 0.2 spreads each wait over ±20 %. */
  jitter: number;
  random?: () => number;
}

/**
 * Records attempt results and moves each notification on; runs inside a
 * write transaction. A result applies only when it is for the attempt the
 * row expects next (attempts + 1): a duplicate (a redelivered BullMQ
 * outcome) or a stale one (a lease that expired and was re-run) changes
 * nothing. The attempts primary key is the second guard.
 */
export function applyResults(
  statements: LedgerStatements,
  results: readonly AttemptResult[],
  now: number,
  options: ApplyOptions,
): AppliedResult[] {
  return results.map((result) => applyOne(statements, result, now, options));
}

function applyOne(statements: LedgerStatements, result: AttemptResult, now: number, options: ApplyOptions): AppliedResult {
  const target = statements.selectForApply.get(result.notificationId);
  const unchanged = (): AppliedResult => ({
    notificationId: result.notificationId,
    attempt: result.attempt,
    applied: false,
    status: target?.status ?? null,
    notification: null,
    deadLetter: null,
  });
  if (target === undefined || result.attempt !== target.attempts + 1) return unchanged();

  const inserted = statements.insertAttempt.run({
    notification_id: result.notificationId,
    n: result.attempt,
    at: result.startedAt,
    duration_ms: result.durationMs,
    status_code: result.statusCode,
    outcome: result.outcome,
    error: result.error,
    response_excerpt: result.responseExcerpt,
  });
  if (inserted.changes === 0) return unchanged();

  const next = nextState(target, result, now, options);
  // A new dead letter comes back whole, for the alerts; any other result only as a summary.
  const deadRow = next.status === 'dead' && target.status !== 'dead' ? statements.updateAfterAttemptToDead.get(next) : null;
  const row = deadRow ?? statements.updateAfterAttempt.get(next);
  if (row === undefined) return unchanged();
  const deadLetter = deadRow ? rowToNotification(deadRow) : null;
  return { notificationId: row.id, attempt: result.attempt, applied: true, status: row.status, notification: rowToSummary(row), deadLetter };
}

function nextState(target: ApplyTarget, result: AttemptResult, now: number, options: ApplyOptions): AfterAttempt {
  // Cancelled (or otherwise settled) while the attempt was in flight: the
  // attempt goes into the history, the status stays.
  const unchanged: AfterAttempt = {
    rid: target.rid,
    now,
    status: target.status,
    attempts: result.attempt,
    next_attempt_at: target.next_attempt_at,
    delivered_at: target.delivered_at,
    dead_at: target.dead_at,
    dead_reason: target.dead_reason,
    last_error: result.error,
  };
  if (target.status !== 'pending') return unchanged;

  const step = decideNextStep({
    result,
    roundAttempt: result.attempt - target.round_start,
    delaysMs: JSON.parse(target.delays_ms) as number[],
    now,
    jitter: options.jitter,
    ...(options.random ? { random: options.random } : {}),
  });
  switch (step.kind) {
    case 'delivered':
      return { ...unchanged, status: 'delivered', next_attempt_at: null, delivered_at: now };
    case 'retry':
      return { ...unchanged, next_attempt_at: step.nextAttemptAt };
    case 'dead':
      return { ...unchanged, status: 'dead', next_attempt_at: null, dead_at: now, dead_reason: step.reason };
  }
}
