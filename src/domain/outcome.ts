import { bodyMatches, statusMatches, type SuccessRule } from './success-rule.js';

/**
 * What the sender observed for one POST. A receiver's failure is data, not an
 * exception: the sender never throws for anything the receiver did.
 */
export type SendResult =
  | {
      kind: 'response';
      statusCode: number;
      /** The body as read, at most `delivery.maxResponseBytes` bytes. */
      body: string;
      /** Seconds or an HTTP date, as the receiver sent it in `Retry-After`. */
      retryAfter: string | null;
      durationMs: number;
    }
  | {
      kind: 'timeout' | 'network' | 'blocked';
      /** A stable error class: ETIMEDOUT, ECONNREFUSED, ENOTFOUND, ECONNRESET, EPROTO, BODY_TOO_LARGE, BLOCKED_ADDRESS … */
      errorCode: string;
      message: string;
      durationMs: number;
    };

/**
 * The classes of an attempt's outcome, recorded on each attempt:
 * - success: the success rule matched;
 * - rejected: the receiver answered with an accepted status but the wrong body;
 * - http_error: the status did not match the rule (410 is among these, and final);
 * - timeout / network: no usable answer;
 * - blocked: the SSRF guard refused the destination (final).
 */
export const AttemptOutcomes = ['success', 'rejected', 'http_error', 'timeout', 'network', 'blocked'] as const;
export type AttemptOutcome = (typeof AttemptOutcomes)[number];

/** What one attempt did, as the ledger records it. */
export interface AttemptResult {
  notificationId: string;
  /** 1-based attempt number over the notification's whole life (replays continue it). */
  attempt: number;
  startedAt: number;
  durationMs: number;
  outcome: AttemptOutcome;
  statusCode: number | null;
  error: string | null;
  /** The first bytes of the response body (1 KiB). */
  responseExcerpt: string | null;
  /** A receiver's Retry-After, already converted to ms from `startedAt + durationMs`. */
  retryAfterMs: number | null;
}

export const RESPONSE_EXCERPT_BYTES = 1024;

// The three HTTP-date forms of RFC 9110 §5.6.7. V8's Date.parse alone is far too
// lenient ("1.5", "-1" and "abc 12" are dates to it), so only these reach it.
const IMF_FIXDATE = /^[a-z]{3}, \d{2} [a-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/i;
const RFC850_DATE = /^[a-z]{6,9}, \d{2}-[a-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/i;
// asctime carries no zone but means GMT; Date.parse would read it as local time.
const ASCTIME_DATE = /^[a-z]{3} [a-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/i;

/** Parses Retry-After: delay-seconds or an HTTP-date. Null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  let at = Number.NaN;
  if (IMF_FIXDATE.test(trimmed) || RFC850_DATE.test(trimmed)) at = Date.parse(trimmed);
  else if (ASCTIME_DATE.test(trimmed)) at = Date.parse(`${trimmed} GMT`);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/** Cuts a string to at most `bytes` UTF-8 bytes without splitting a character. */
export function excerpt(text: string, bytes = RESPONSE_EXCERPT_BYTES): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= bytes) return text;
  // Back up to the start of the character that straddles the cut (continuation bytes are 10xxxxxx).
  let end = bytes;
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

/** Turns what the sender saw into the attempt the ledger records. */
export function classifySendResult(
  rule: SuccessRule,
  sent: SendResult,
  attempt: { notificationId: string; attempt: number; startedAt: number },
): AttemptResult {
  const base = { ...attempt, durationMs: sent.durationMs };
  if (sent.kind !== 'response') {
    return {
      ...base,
      outcome: sent.kind,
      statusCode: null,
      error: `${sent.errorCode}: ${sent.message}`,
      responseExcerpt: null,
      retryAfterMs: null,
    };
  }
  const finishedAt = attempt.startedAt + sent.durationMs;
  const common = {
    ...base,
    statusCode: sent.statusCode,
    responseExcerpt: excerpt(sent.body),
    retryAfterMs:
      sent.statusCode === 429 || sent.statusCode === 503 ? parseRetryAfter(sent.retryAfter, finishedAt) : null,
  };
  if (!statusMatches(rule, sent.statusCode)) {
    return { ...common, outcome: 'http_error', error: `HTTP ${sent.statusCode}` };
  }
  if (!bodyMatches(rule, sent.body)) {
    return {
      ...common,
      outcome: 'rejected',
      error: `body did not match: expected ${JSON.stringify(rule.body)}, got ${JSON.stringify(excerpt(sent.body.trim(), 64))}`,
    };
  }
  return { ...common, outcome: 'success', error: null };
}
