import { parseDuration } from '../domain/duration.js';
import { NotifydError } from '../domain/errors.js';

const DURATION = /^\d+(?:\.\d+)?(?:ms|s|m|h|d)$/;
// A date, or a date-time WITH an offset: a bare local time would mean the server's zone, which no client knows.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2}))?$/;

const PLUS_AS_SPACE = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?) (\d{2}:?\d{2})$/;

/**
 * A `since`/`until` bound in ms since the epoch: an ISO-8601 time
 * (`2026-11-24T08:00:00Z`, or a date meaning its UTC midnight), or a duration
 * meaning "that long before now" (`2h` → two hours ago).
 */
export function parseTimeBound(text: string, now: number, field: string): number {
  // An unencoded "+01:00" in a query string arrives as " 01:00" ('+' decodes to a space): take it back.
  const trimmed = text.trim().replace(PLUS_AS_SPACE, '$1+$2');
  if (DURATION.test(trimmed)) return now - parseDuration(trimmed, field);
  if (ISO_8601.test(trimmed)) {
    const at = Date.parse(trimmed);
    if (Number.isFinite(at)) return at;
  }
  throw new NotifydError(
    'validation_failed',
    `${field}: "${text}" is neither an ISO-8601 time with an offset (2026-11-24T08:00:00Z) nor a duration like 2h`,
    { field },
  );
}
