import { parseDuration } from './duration.js';
import { NotifydError } from './errors.js';

/**
 * Retry schedules: the waits between consecutive attempts, in milliseconds.
 * The first attempt is immediate, so a schedule of N delays allows N + 1
 * attempts. A notification stores its resolved delays when it is enqueued, so
 * a config change never alters a schedule already running.
 */

// Alipay's documented notify cadence: 4m 10m 10m 1h 2h 6h 15h (8 attempts, ≈ 24h 24m).
const ALIPAY = ['4m', '10m', '10m', '1h', '2h', '6h', '15h'];
// WeChat Pay's: 15s 15s 30s 3m 10m 20m 30m 30m 30m 1h 3h 3h 3h 6h 6h (16 attempts, ≈ 24h 4m).
const WECHATPAY = ['15s', '15s', '30s', '3m', '10m', '20m', '30m', '30m', '30m', '1h', '3h', '3h', '3h', '6h', '6h'];

/** 5s doubling, capped at 1h, until the waits add up to 3 days. */
function exponentialDelays(): number[] {
  const cap = 3_600_000;
  const window = 3 * 86_400_000;
  const delays: number[] = [];
  let next = 5_000;
  let total = 0;
  while (total + next <= window) {
    delays.push(next);
    total += next;
    next = Math.min(next * 2, cap);
  }
  return delays;
}

export const SchedulePresets = {
  alipay: ALIPAY.map((d) => parseDuration(d)),
  wechatpay: WECHATPAY.map((d) => parseDuration(d)),
  exponential: exponentialDelays(),
} as const satisfies Record<string, readonly number[]>;

export type SchedulePresetName = keyof typeof SchedulePresets;
export type ScheduleSpec = string | readonly string[];

export const MAX_SCHEDULE_DELAYS = 100;
/** No single wait longer than 30 days: a typo like "4000h" is a mistake, not a schedule. */
export const MAX_DELAY_MS = 30 * 86_400_000;

export function isSchedulePreset(name: string): name is SchedulePresetName {
  return Object.hasOwn(SchedulePresets, name);
}

/** A preset name or a list of duration strings → delays in ms. */
export function resolveSchedule(spec: ScheduleSpec, field = 'schedule'): number[] {
  if (typeof spec === 'string') {
    if (!isSchedulePreset(spec)) {
      throw new NotifydError(
        'unprocessable',
        `${field}: unknown schedule preset "${spec}" (known: ${Object.keys(SchedulePresets).join(', ')}, or a list of delays like ["15s","4m"])`,
        { field },
      );
    }
    return [...SchedulePresets[spec]];
  }
  if (spec.length > MAX_SCHEDULE_DELAYS) {
    throw new NotifydError('validation_failed', `${field}: at most ${MAX_SCHEDULE_DELAYS} delays`, { field });
  }
  return spec.map((text, i) => {
    const ms = parseDuration(text, `${field}.${i}`);
    if (ms > MAX_DELAY_MS) {
      throw new NotifydError('validation_failed', `${field}.${i}: "${text}" is longer than 30d`, { field: `${field}.${i}` });
    }
    return ms;
  });
}

/** How many attempts a schedule allows in one round (the first is immediate). */
export function attemptsAllowed(delaysMs: readonly number[]): number {
  return delaysMs.length + 1;
}
