import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RETRY_AFTER_CAP_FACTOR,
  applyJitter,
  classifySendResult,
  decideNextStep,
  resolveSchedule,
  type AttemptOutcome,
  type NextStepInput,
} from '../../../src/domain/index.js';

const S = 1_000;
const M = 60 * S;
const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const ALIPAY = resolveSchedule('alipay');

type Result = NextStepInput['result'];
const failure = (outcome: AttemptOutcome, statusCode: number | null = null, retryAfterMs: number | null = null): Result => ({
  outcome,
  statusCode,
  retryAfterMs,
});

function decide(result: Result, roundAttempt: number, overrides: Partial<NextStepInput> = {}) {
  return decideNextStep({ result, roundAttempt, delaysMs: ALIPAY, now: NOW, jitter: 0, ...overrides });
}

// One representative of each failure class that is not final.
const RETRYABLE: [string, Result][] = [
  ['rejected (2xx, wrong body)', failure('rejected', 200)],
  ['http_error 500', failure('http_error', 500)],
  ['http_error 404', failure('http_error', 404)],
  ['http_error 429', failure('http_error', 429)],
  ['http_error 503', failure('http_error', 503)],
  ['timeout', failure('timeout')],
  ['network', failure('network')],
];

describe('final outcomes', () => {
  it('success → delivered, on any attempt', () => {
    for (let n = 1; n <= ALIPAY.length + 1; n++) expect(decide(failure('success', 200), n)).toEqual({ kind: 'delivered' });
  });

  it('blocked → dead "blocked" at once', () => {
    expect(decide(failure('blocked'), 1)).toEqual({ kind: 'dead', reason: 'blocked' });
  });

  it('410 Gone → dead "gone" at once, even with delays left', () => {
    expect(decide(failure('http_error', 410), 1)).toEqual({ kind: 'dead', reason: 'gone' });
    expect(decide(failure('http_error', 410, 60_000), 3)).toEqual({ kind: 'dead', reason: 'gone' });
  });

  it('410 is final even when the success rule lists 410 and only the body was wrong', () => {
    const rule = { status: [200, 410], body: 'success' } as const;
    const result = classifySendResult(rule, { kind: 'response', statusCode: 410, body: 'gone', retryAfter: null, durationMs: 1 }, {
      notificationId: 'ntf_1',
      attempt: 1,
      startedAt: NOW,
    });
    expect(result.outcome).toBe('rejected');
    expect(decide(result, 1)).toEqual({ kind: 'dead', reason: 'gone' });
  });
});

describe('retries follow the schedule', () => {
  it.each(RETRYABLE)('%s → retry at now + delays[roundAttempt - 1], every attempt of the round', (_, result) => {
    for (let n = 1; n <= ALIPAY.length; n++) {
      expect(decide(result, n)).toEqual({ kind: 'retry', nextAttemptAt: NOW + ALIPAY[n - 1]! });
    }
  });

  it('alipay: the 1st failure waits 4m, the 4th 1h, the 7th 15h', () => {
    expect(decide(failure('timeout'), 1)).toEqual({ kind: 'retry', nextAttemptAt: NOW + 4 * M });
    expect(decide(failure('timeout'), 4)).toEqual({ kind: 'retry', nextAttemptAt: NOW + 60 * M });
    expect(decide(failure('timeout'), 7)).toEqual({ kind: 'retry', nextAttemptAt: NOW + 15 * 60 * M });
  });

  it.each(RETRYABLE)('%s on the last attempt of the round → dead "exhausted"', (_, result) => {
    // alipay: 7 delays, so attempt 8 is the last.
    expect(decide(result, ALIPAY.length + 1)).toEqual({ kind: 'dead', reason: 'exhausted' });
    expect(decide(result, ALIPAY.length + 5)).toEqual({ kind: 'dead', reason: 'exhausted' });
  });

  it('an empty schedule allows one attempt only', () => {
    expect(decide(failure('network'), 1, { delaysMs: [] })).toEqual({ kind: 'dead', reason: 'exhausted' });
  });

  it('a custom schedule is followed delay by delay', () => {
    const delaysMs = resolveSchedule(['1s', '2s', '3s']);
    expect(decide(failure('network'), 1, { delaysMs })).toEqual({ kind: 'retry', nextAttemptAt: NOW + 1 * S });
    expect(decide(failure('network'), 2, { delaysMs })).toEqual({ kind: 'retry', nextAttemptAt: NOW + 2 * S });
    expect(decide(failure('network'), 3, { delaysMs })).toEqual({ kind: 'retry', nextAttemptAt: NOW + 3 * S });
    expect(decide(failure('network'), 4, { delaysMs })).toEqual({ kind: 'dead', reason: 'exhausted' });
  });
});

describe('Retry-After', () => {
  const delaysMs = [60 * S, 60 * S];

  it('longer than the delay defers the next attempt to it', () => {
    expect(decide(failure('http_error', 429, 150 * S), 1, { delaysMs })).toEqual({ kind: 'retry', nextAttemptAt: NOW + 150 * S });
    expect(decide(failure('http_error', 503, 61 * S), 1, { delaysMs })).toEqual({ kind: 'retry', nextAttemptAt: NOW + 61 * S });
  });

  it(`is capped at ${RETRY_AFTER_CAP_FACTOR}× the scheduled delay`, () => {
    expect(RETRY_AFTER_CAP_FACTOR).toBe(4);
    expect(decide(failure('http_error', 429, 10 * 60 * S), 1, { delaysMs })).toEqual({
      kind: 'retry',
      nextAttemptAt: NOW + 4 * 60 * S,
    });
    expect(decide(failure('http_error', 503, 4 * 60 * S), 1, { delaysMs })).toEqual({ kind: 'retry', nextAttemptAt: NOW + 4 * 60 * S });
  });

  it('shorter than (or equal to) the delay is ignored', () => {
    for (const retryAfterMs of [0, 1 * S, 59 * S, 60 * S]) {
      expect(decide(failure('http_error', 429, retryAfterMs), 1, { delaysMs })).toEqual({ kind: 'retry', nextAttemptAt: NOW + 60 * S });
    }
  });

  it('does not keep a notification alive past its schedule', () => {
    expect(decide(failure('http_error', 503, 30 * S), 3, { delaysMs })).toEqual({ kind: 'dead', reason: 'exhausted' });
  });
});

describe('jitter', () => {
  it('0 gives the exact delay and never calls random', () => {
    const random = () => {
      throw new Error('random must not be called without jitter');
    };
    expect(decide(failure('timeout'), 2, { jitter: 0, random })).toEqual({ kind: 'retry', nextAttemptAt: NOW + 10 * M });
  });

  it('0.2 spreads each wait over ±20 %, reaching both ends', () => {
    const delay = ALIPAY[1]!; // 10m
    expect(decide(failure('timeout'), 2, { jitter: 0.2, random: () => 0 })).toEqual({ kind: 'retry', nextAttemptAt: NOW + delay * 0.8 });
    expect(decide(failure('timeout'), 2, { jitter: 0.2, random: () => 0.5 })).toEqual({ kind: 'retry', nextAttemptAt: NOW + delay });
    const top = decide(failure('timeout'), 2, { jitter: 0.2, random: () => 0.999_999_999 });
    expect(top.kind === 'retry' && top.nextAttemptAt - NOW).toBeCloseTo(delay * 1.2, -1);
  });

  it('0.2 stays within ±20 % over many random draws, and actually varies', () => {
    const delay = ALIPAY[0]!; // 4m
    const waits = new Set<number>();
    let sum = 0;
    const draws = 5_000;
    for (let i = 0; i < draws; i++) {
      const step = decide(failure('network'), 1, { jitter: 0.2, random: Math.random });
      expect(step.kind).toBe('retry');
      const wait = (step as { nextAttemptAt: number }).nextAttemptAt - NOW;
      expect(wait).toBeGreaterThanOrEqual(delay * 0.8);
      expect(wait).toBeLessThanOrEqual(delay * 1.2);
      waits.add(wait);
      sum += wait;
    }
    expect(waits.size).toBeGreaterThan(100);
    // Uniform over ±20 %: the mean stays near the delay (well inside 2 % after 5000 draws).
    expect(Math.abs(sum / draws - delay)).toBeLessThan(delay * 0.02);
  });

  it('is never negative, whatever the jitter and draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 * 86_400_000 }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (delay, jitter, r) => {
          const wait = applyJitter(delay, jitter, () => r);
          expect(wait).toBeGreaterThanOrEqual(0);
          // A jitter above 1 acts as 1: never more than double the delay.
          expect(wait).toBeLessThanOrEqual(2 * delay);
          const spread = delay * Math.min(jitter, 1);
          expect(wait).toBeGreaterThanOrEqual(Math.floor(delay - spread));
          expect(wait).toBeLessThanOrEqual(Math.ceil(delay + spread));
        },
      ),
    );
  });

  it('whole milliseconds', () => {
    expect(Number.isInteger(applyJitter(1_001, 0.2, () => 0.123456))).toBe(true);
  });

  it('Retry-After still wins over a jittered wait, and is still capped', () => {
    const delaysMs = [60 * S];
    const low = decide(failure('http_error', 429, 70 * S), 1, { delaysMs, jitter: 0.2, random: () => 0 });
    expect(low).toEqual({ kind: 'retry', nextAttemptAt: NOW + 70 * S });
    const capped = decide(failure('http_error', 429, 3_600 * S), 1, { delaysMs, jitter: 0.2, random: () => 0.99 });
    expect(capped).toEqual({ kind: 'retry', nextAttemptAt: NOW + 240 * S });
  });
});
