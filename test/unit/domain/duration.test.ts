import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NotifydError, formatDuration, parseDuration } from '../../../src/domain/index.js';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('parseDuration', () => {
  it.each([
    ['0ms', 0],
    ['250ms', 250],
    ['1ms', 1],
    ['0s', 0],
    ['1s', S],
    ['15s', 15 * S],
    ['4m', 4 * M],
    ['10m', 10 * M],
    ['1h', H],
    ['2h', 2 * H],
    ['15h', 15 * H],
    ['1d', D],
    ['30d', 30 * D],
    // decimals
    ['1.5s', 1_500],
    ['0.5m', 30 * S],
    ['1.25h', 75 * M],
    ['0.5d', 12 * H],
    ['2.5ms', 3], // sub-millisecond rounds to the nearest ms
    // leading zeros are still a number
    ['05s', 5 * S],
    // surrounding whitespace is ignored
    ['  4m', 4 * M],
    ['4m  ', 4 * M],
    ['\t15s\n', 15 * S],
  ])('%j → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    '',
    '   ',
    '5', // no unit
    '5x', // unknown unit
    's',
    '-1s', // negative
    '+1s',
    '1.5.2m',
    '.5s',
    '5.s',
    '1e3s',
    '4 m', // the unit belongs to the number
    '5S', // units are lower-case
    '5M',
    '1h30m', // one unit only
    'Infinityd',
    'NaNs',
    '0x10s',
  ])('%j is not a duration → validation_failed', (text) => {
    let error: unknown;
    try {
      parseDuration(text, 'schedule.3');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NotifydError);
    expect(error).toMatchObject({ code: 'validation_failed', statusCode: 400, field: 'schedule.3' });
    expect((error as Error).message).toContain('schedule.3');
  });

  it('names the default field "duration" when none is given', () => {
    expect(() => parseDuration('soon')).toThrow(expect.objectContaining({ field: 'duration' }));
  });

  it('rejects a number so large it overflows', () => {
    expect(() => parseDuration(`${'9'.repeat(400)}d`)).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [1, '1ms'],
    [250, '250ms'],
    [1_500, '1500ms'], // not a whole number of seconds: stays in ms
    [S, '1s'],
    [15 * S, '15s'],
    [90 * S, '90s'],
    [4 * M, '4m'],
    [90 * M, '90m'],
    [H, '1h'],
    [15 * H, '15h'],
    [36 * H, '36h'],
    [D, '1d'],
    [3 * D, '3d'],
  ])('%d ms → %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration for any whole number of ms', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * D }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });

  it('uses the largest unit that divides exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.constantFrom(['d', D], ['h', H], ['m', M], ['s', S]), (n, [unit, size]) => {
        const text = formatDuration(n * (size as number));
        const value = Number.parseInt(text, 10);
        // The unit chosen is never smaller than the one the value was built from.
        const order = ['ms', 's', 'm', 'h', 'd'];
        expect(order.indexOf(text.replace(/^\d+/, ''))).toBeGreaterThanOrEqual(order.indexOf(unit as string));
        expect(parseDuration(text)).toBe(n * (size as number));
        expect(value).toBeGreaterThan(0);
      }),
    );
  });
});
