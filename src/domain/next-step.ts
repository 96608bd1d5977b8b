import type { AttemptResult } from './outcome.js';
import type { DeadReason } from './notification-status.js';

/** What happens to a notification after one of its attempts. */
export type NextStep =
  | { kind: 'delivered' }
  | { kind: 'retry'; nextAttemptAt: number }
  | { kind: 'dead'; reason: DeadReason };

export interface NextStepInput {
  result: Pick<AttemptResult, 'outcome' | 'statusCode' | 'retryAfterMs'>;
  /** 1-based attempt number within the current round (replay starts a new round). */
  roundAttempt: number;
  delaysMs: readonly number[];
  now: number;
  /** 0 disables jitter; 0.2 spreads each wait uniformly over ±20 %. */
  jitter: number;
  random?: () => number;
}

/** Retry-After may push the next attempt later, but never past 4× the scheduled wait. */
export const RETRY_AFTER_CAP_FACTOR = 4;

/**
 * The single decision after every attempt, used by every executor:
 * success → delivered; 410 or blocked → dead at once; otherwise the next
 * delay of the schedule (stretched by Retry-After, spread by jitter), or dead
 * when the schedule is exhausted.
 */
export function decideNextStep(input: NextStepInput): NextStep {
  const { result } = input;
  if (result.outcome === 'success') return { kind: 'delivered' };
  if (result.outcome === 'blocked') return { kind: 'dead', reason: 'blocked' };
  // 410 is final whatever the success rule says (a rule listing 410 would otherwise make it 'rejected' and retried).
  if (result.statusCode === 410) return { kind: 'dead', reason: 'gone' };

  const delay = input.delaysMs[input.roundAttempt - 1];
  if (delay === undefined) return { kind: 'dead', reason: 'exhausted' };

  let wait = applyJitter(delay, input.jitter, input.random ?? Math.random);
  if (result.retryAfterMs !== null && result.retryAfterMs > wait) {
    wait = Math.min(result.retryAfterMs, delay * RETRY_AFTER_CAP_FACTOR);
  }
  return { kind: 'retry', nextAttemptAt: input.now + wait };
}

export function applyJitter(delayMs: number, jitter: number, random: () => number): number {
  if (jitter <= 0) return delayMs;
  const spread = delayMs * Math.min(jitter, 1);
  return Math.max(0, Math.round(delayMs - spread + random() * 2 * spread));
}
