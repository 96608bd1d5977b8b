import { describe, expect, it } from 'vitest';
import { thrownNotifydError } from '../../helpers/errors.js';
import {
  MAX_DELAY_MS,
  MAX_SCHEDULE_DELAYS,
  NotifydError,
  SchedulePresets,
  attemptsAllowed,
  isSchedulePreset,
  resolveSchedule,
} from '../../../src/domain/index.js';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe('preset alipay (DESIGN.md: 4m 10m 10m 1h 2h 6h 15h, 8 attempts, ≈ 24h 24m)', () => {
  const delays = resolveSchedule('alipay');

  it('has exactly the documented delays, in order', () => {
    expect(delays).toEqual([4 * M, 10 * M, 10 * M, 1 * H, 2 * H, 6 * H, 15 * H]);
  });

  it('allows 8 attempts', () => {
    expect(attemptsAllowed(delays)).toBe(8);
  });

  it('spans about 24h 24m (within a minute, the table rounds to minutes)', () => {
    expect(Math.abs(sum(delays) - (24 * H + 24 * M))).toBeLessThan(M);
  });
});

describe('preset wechatpay (DESIGN.md: 15 delays, 16 attempts, ≈ 24h 4m)', () => {
  const delays = resolveSchedule('wechatpay');

  it('has exactly the documented delays, in order', () => {
    expect(delays).toEqual([
      15 * S, 15 * S, 30 * S, 3 * M, 10 * M, 20 * M, 30 * M, 30 * M, 30 * M, 1 * H, 3 * H, 3 * H, 3 * H, 6 * H, 6 * H,
    ]);
  });

  it('has 15 delays and allows 16 attempts', () => {
    expect(delays).toHaveLength(15);
    expect(attemptsAllowed(delays)).toBe(16);
  });

  it('spans about 24h 4m', () => {
    expect(Math.abs(sum(delays) - (24 * H + 4 * M))).toBeLessThan(M);
  });
});

describe('preset exponential (DESIGN.md: 5s doubling, capped at 1h, for 3 days)', () => {
  const delays = resolveSchedule('exponential');

  it('starts at 5s and doubles until the 1h cap', () => {
    expect(delays[0]).toBe(5 * S);
    for (let i = 1; i < delays.length; i++) {
      expect(delays[i]).toBe(Math.min(delays[i - 1]! * 2, H));
    }
  });

  it('reaches the cap and never exceeds it', () => {
    expect(Math.max(...delays)).toBe(H);
    expect(delays.every((d) => d <= H)).toBe(true);
    // 5s · 2^9 = 2560s < 1h, 5s · 2^10 = 5120s > 1h: the 11th delay is the first capped one.
    expect(delays.slice(0, 10)).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560].map((s) => s * S));
    expect(delays[10]).toBe(H);
  });

  it('adds up to at most 3 days, and one more delay would pass 3 days', () => {
    const total = sum(delays);
    expect(total).toBeLessThanOrEqual(3 * D);
    const next = Math.min(delays.at(-1)! * 2, H);
    expect(total + next).toBeGreaterThan(3 * D);
  });
});

describe('presets in general', () => {
  it('are alipay, wechatpay and exponential', () => {
    expect(Object.keys(SchedulePresets).sort()).toEqual(['alipay', 'exponential', 'wechatpay']);
    for (const name of ['alipay', 'wechatpay', 'exponential']) expect(isSchedulePreset(name)).toBe(true);
    for (const name of ['Alipay', 'ALIPAY', 'wechat', '', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect(isSchedulePreset(name)).toBe(false);
    }
  });

  it('hands out a copy: changing a resolved schedule does not change the preset', () => {
    const first = resolveSchedule('alipay');
    first[0] = 1;
    first.push(99);
    expect(resolveSchedule('alipay')[0]).toBe(4 * M);
    expect(resolveSchedule('alipay')).toHaveLength(7);
  });

  it('an unknown preset is unprocessable and names the field', () => {
    const error = thrownNotifydError(() => resolveSchedule('fedex'));
    expect(error.code).toBe('unprocessable');
    expect(error.statusCode).toBe(422);
    expect(error.field).toBe('schedule');
    expect(error.message).toContain('schedule');
    expect(error.message).toContain('fedex');

    const inConfig = thrownNotifydError(() => resolveSchedule('toString', 'delivery.schedule'));
    expect(inConfig.code).toBe('unprocessable');
    expect(inConfig.field).toBe('delivery.schedule');
  });
});

describe('custom schedules', () => {
  it('turns a list of durations into ms, in order', () => {
    expect(resolveSchedule(['15s', '4m', '2h', '1d', '250ms', '1.5s'])).toEqual([15 * S, 4 * M, 2 * H, D, 250, 1_500]);
  });

  it('allows N + 1 attempts for N delays', () => {
    expect(attemptsAllowed(resolveSchedule(['1s']))).toBe(2);
    expect(attemptsAllowed(resolveSchedule(['1s', '1s', '1s']))).toBe(4);
    expect(attemptsAllowed([])).toBe(1);
  });

  it('accepts exactly 30 days, the longest single wait', () => {
    expect(resolveSchedule(['30d'])).toEqual([30 * D]);
    expect(MAX_DELAY_MS).toBe(30 * D);
  });

  it.each([
    ['', 0],
    ['5', 1],
    ['5x', 2],
    ['-1s', 1],
    ['1.5.2m', 3],
    ['4000h', 2], // longer than 30 days: a typo, not a schedule
    ['30.5d', 0],
    ['31d', 1],
  ])('%j at index %d → validation_failed naming schedule.<index>', (bad, index) => {
    const spec = ['1m', '1m', '1m', '1m'];
    spec[index] = bad;
    const error = thrownNotifydError(() => resolveSchedule(spec));
    expect(error.code).toBe('validation_failed');
    expect(error.statusCode).toBe(400);
    expect(error.field).toBe(`schedule.${index}`);
    expect(error.message).toContain(`schedule.${index}`);
  });

  it('reports the field under the given prefix', () => {
    expect(thrownNotifydError(() => resolveSchedule(['1m', '1m', 'soon'], 'delivery.schedule')).field).toBe('delivery.schedule.2');
  });

  it(`accepts ${MAX_SCHEDULE_DELAYS} delays and refuses one more`, () => {
    expect(resolveSchedule(Array(MAX_SCHEDULE_DELAYS).fill('1s'))).toHaveLength(MAX_SCHEDULE_DELAYS);
    const error = thrownNotifydError(() => resolveSchedule(Array(MAX_SCHEDULE_DELAYS + 1).fill('1s')));
    expect(error.code).toBe('validation_failed');
    expect(error.field).toBe('schedule');
  });
});
