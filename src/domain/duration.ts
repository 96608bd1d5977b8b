import { NotifydError } from './errors.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Parses `"15s"`, `"4m"`, `"2h"`, `"1d"`, `"250ms"` into milliseconds. */
export function parseDuration(text: string, field = 'duration'): number {
  const match = DURATION.exec(text.trim());
  if (!match) {
    throw new NotifydError(
      'validation_failed',
      `${field}: "${text}" is not a duration (use a number and a unit: 250ms, 15s, 4m, 2h, 1d)`,
      { field },
    );
  }
  const ms = Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
  if (!Number.isFinite(ms) || ms < 0) {
    throw new NotifydError('validation_failed', `${field}: "${text}" is out of range`, { field });
  }
  return ms;
}

/** The inverse, for logs and the README: 240000 → "4m". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
