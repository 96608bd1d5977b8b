import { z } from 'zod';
import { NotifydError } from '../domain/errors.js';

/**
 * The request shapes, checked with zod. Only shapes live here: meaning
 * (schedules, headers, the SSRF check, time bounds) is decided by the domain
 * and the helpers beside the routes. Every failure becomes a NotifydError
 * naming the field, so clients can point at what to fix.
 */

/** A URL longer than this is a mistake or an attack; receivers' servers reject far less. */
export const MAX_URL_BYTES = 8192;
export const MAX_METADATA_BYTES = 16 * 1024;
export const MAX_IDEMPOTENCY_KEY_CHARS = 255;
export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 1000;
export const MAX_BULK_REPLAY = 100_000;

/** "required" when the key is absent, else what was expected. */
function expecting(what: string): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => (issue.input === undefined ? 'required' : `must be ${what}`) };
}

// RFC 9110 media type: token "/" token, then parameters of visible ASCII.
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*;[\t\x20-\x7e]*)?$/;
// C0, DEL and C1 controls: never part of a key a producer means to send.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// A lone surrogate is not Unicode text: SQLite would store U+FFFD and the key would never match again.
const LONE_SURROGATE = /\p{Cs}/u;

/** Checks an idempotency key; returns a message, or null when it is fine. */
export function idempotencyKeyProblem(key: string): string | null {
  const chars = [...key].length;
  if (chars < 1 || chars > MAX_IDEMPOTENCY_KEY_CHARS) return `must be 1 to ${MAX_IDEMPOTENCY_KEY_CHARS} characters`;
  if (CONTROL.test(key)) return 'must not contain control characters';
  if (LONE_SURROGATE.test(key)) return 'must be well-formed Unicode';
  return null;
}

const idempotencyKey = z
  .string(expecting('a string'))
  .superRefine((key, ctx) => {
    const problem = idempotencyKeyProblem(key);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });

const successRule = z.strictObject(
  {
    status: z
      .union([z.literal('2xx'), z.array(z.number().int().min(100).max(599)).min(1).max(100)], {
        error: 'must be "2xx" or a list of status codes',
      })
      .optional(),
    body: z.string(expecting('a string or null')).max(1024).nullable().optional(),
  },
  expecting('an object like {"status":"2xx","body":"success"}'),
);

export const EnqueueBodySchema = z.strictObject({
  url: z
    .string(expecting('a string'))
    .min(1, 'must not be empty')
    .refine((url) => Buffer.byteLength(url) <= MAX_URL_BYTES, 'must be at most 8 KiB'),
  body: z.union([z.string(), z.array(z.unknown()), z.record(z.string(), z.unknown())], expecting('a string, a JSON object or an array')),
  contentType: z.string(expecting('a string')).max(255).regex(MEDIA_TYPE, 'must be a media type like application/json').optional(),
  headers: z.record(z.string(), z.string(expecting('a string')), expecting('an object of header names to string values')).optional(),
  idempotencyKey: idempotencyKey.nullable().optional(),
  schedule: z
    .union([z.string(), z.array(z.string())], expecting('a preset name or a list of delays like ["15s","4m"]'))
    .optional(),
  success: successRule.optional(),
  // The schema-level message covers the range checks too: one sentence that says what is accepted.
  timeoutMs: z.number(expecting('a whole number of milliseconds from 100 to 300000')).int().min(100).max(300_000).optional(),
  metadata: z.record(z.string(), z.unknown(), expecting('an object')).nullable().optional(),
});
export type EnqueueBody = z.output<typeof EnqueueBodySchema>;

/** Query values arrive as strings; only plain digits count as a number. */
const limitParam = z
  .string(expecting('a whole number'))
  .regex(/^\d{1,7}$/, 'must be a whole number')
  .transform(Number)
  .pipe(z.number().min(1).max(MAX_PAGE_LIMIT));

const cursor = z.string(expecting('a string')).min(1).max(1024);

export const ListQuerySchema = z.strictObject({
  status: z.enum(['pending', 'delivered', 'dead', 'cancelled'], expecting('one of pending, delivered, dead, cancelled')).optional(),
  limit: limitParam.optional(),
  cursor: cursor.optional(),
});

/** Fields shared by the dead-letter list (query) and bulk replay (body). */
const deadLetterFilterShape = {
  since: z.string(expecting('an ISO-8601 time or a duration like 2h')).min(1).max(64).optional(),
  until: z.string(expecting('an ISO-8601 time or a duration like 2h')).min(1).max(64).optional(),
  host: z.string(expecting('a string')).min(1).max(300).optional(),
  urlPrefix: z.string(expecting('a string')).min(1).max(MAX_URL_BYTES).optional(),
  lastError: z.string(expecting('a string')).min(1).max(200).optional(),
};

export const DeadLetterCountQuerySchema = z.strictObject(deadLetterFilterShape);

export const DeadLetterQuerySchema = z.strictObject({
  ...deadLetterFilterShape,
  limit: limitParam.optional(),
  cursor: cursor.optional(),
});

export const BulkReplayBodySchema = z.strictObject({
  ...deadLetterFilterShape,
  limit: z.number(expecting('a number')).int().min(1).max(MAX_BULK_REPLAY).optional(),
});

export const ReplayBodySchema = z.strictObject({
  force: z.boolean(expecting('true or false')).optional(),
});

export const CancelBodySchema = z.strictObject({});

export const RetryNowBodySchema = z.strictObject({});

export const RetryHostNowBodySchema = z.strictObject({
  /** As stored: the URL's host, with the port when it is not the default (`merchant.example.com`, `10.0.0.5:8443`). */
  host: z.string(expecting('a string')).min(1).max(300),
});

export const IdParamsSchema = z.strictObject({
  id: z.string().min(1).max(128),
});

/** Parses or throws `validation_failed` naming the first bad field (unknown fields first: usually a typo). */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw zodToNotifydError(result.error);
}

export function zodToNotifydError(error: z.ZodError): NotifydError {
  const issues = error.issues;
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
  if (issue === undefined) return new NotifydError('validation_failed', 'invalid request');
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const field = [...path, issue.keys[0] ?? ''].join('.');
    const where = path.length > 0 ? ` in ${path.join('.')}` : '';
    return new NotifydError(
      'validation_failed',
      `unknown field(s)${where}: ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`,
      { field, details: { unknown: issue.keys } },
    );
  }
  const field = path.join('.');
  return new NotifydError('validation_failed', field ? `${field}: ${issue.message}` : issue.message, field ? { field } : {});
}

/** Where the API requires a JSON object, anything else (array, string, number, null) is a 400. */
export function requireObject(body: unknown, what = 'the request body'): Record<string, unknown> {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Record<string, unknown>;
  const got = body === undefined ? 'nothing' : body === null ? 'null' : Array.isArray(body) ? 'an array' : `a ${typeof body}`;
  throw new NotifydError('validation_failed', `${what} must be a JSON object, got ${got}`);
}

/** Bodies that are optional (replay, cancel, bulk replay): absent means {}. */
export function optionalObject(body: unknown, what = 'the request body'): Record<string, unknown> {
  return body === undefined ? {} : requireObject(body, what);
}
