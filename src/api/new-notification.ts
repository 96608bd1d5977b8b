import type { Config } from '../config.js';
import { NotifydError } from '../domain/errors.js';
import { validateHeaders } from '../domain/headers.js';
import { payloadFingerprint } from '../domain/idempotency.js';
import type { NewNotification } from '../domain/notification.js';
import { resolveSchedule } from '../domain/schedule.js';
import type { SuccessRule } from '../domain/success-rule.js';
import { MAX_METADATA_BYTES, idempotencyKeyProblem, type EnqueueBody } from './schemas.js';

export interface EnqueueContext {
  config: Config;
  destinations: { checkUrl(url: string | URL): void };
}

const JSON_CONTENT_TYPE = 'application/json';
const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';

/**
 * Turns a shape-checked enqueue request into what the ledger stores: every
 * default resolved, the URL normalised and checked by the SSRF guard, and the
 * payload fingerprint that decides whether a repeated idempotency key is a
 * retry (same payload) or a conflict. Throws NotifydError naming the field.
 */
export function toNewNotification(input: EnqueueBody, headerKey: string | undefined, context: EnqueueContext): NewNotification {
  const { delivery } = context.config;
  const idempotencyKey = resolveIdempotencyKey(input.idempotencyKey ?? undefined, headerKey);
  const { url, host } = checkUrl(input.url, context.destinations);

  const body = typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
  const contentType = input.contentType ?? (typeof input.body === 'string' ? TEXT_CONTENT_TYPE : JSON_CONTENT_TYPE);
  const headers = validateHeaders(input.headers ?? {});
  const delaysMs = resolveSchedule(input.schedule ?? delivery.schedule);
  const success: SuccessRule = {
    status: copyStatus(input.success?.status ?? delivery.success.status),
    body: input.success?.body !== undefined ? input.success.body : delivery.success.body,
  };
  const timeoutMs = input.timeoutMs ?? delivery.timeoutMs;
  const metadata = input.metadata ?? null;
  if (metadata !== null && Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) {
    throw new NotifydError('validation_failed', 'metadata: must be at most 16 KiB as JSON', { field: 'metadata' });
  }

  // Only a repeated idempotency key ever compares fingerprints, so without a key
  // none is computed (it was a fifth of an enqueue's CPU). Of the original body
  // value, not its serialisation: key order in an object body does not make a new payload.
  const payloadHash =
    idempotencyKey === null ? '' : payloadFingerprint({ url, body: input.body, contentType, headers, delaysMs, success, timeoutMs, metadata });
  return { url, host, body, contentType, headers, idempotencyKey, payloadHash, delaysMs, success, timeoutMs, metadata };
}

/** The config is frozen; the stored rule gets its own array. */
function copyStatus(status: SuccessRule['status']): SuccessRule['status'] {
  return status === '2xx' ? status : [...status];
}

function resolveIdempotencyKey(field: string | undefined, header: string | undefined): string | null {
  if (header !== undefined) {
    const problem = idempotencyKeyProblem(header);
    if (problem !== null) {
      throw new NotifydError('validation_failed', `idempotencyKey: the Idempotency-Key header ${problem}`, { field: 'idempotencyKey' });
    }
    if (field !== undefined && field !== header) {
      throw new NotifydError('validation_failed', 'idempotencyKey: the field and the Idempotency-Key header differ; send one, or both equal', {
        field: 'idempotencyKey',
      });
    }
    return header;
  }
  return field ?? null;
}

/**
 * http(s) only, then the SSRF guard's static check. The WHATWG-normalised
 * href is stored: it is what the sender will POST, and it makes `urlPrefix`
 * filters and the fingerprint see one spelling (`HTTP://Example.com` → `http://example.com/`).
 */
function checkUrl(raw: string, destinations: EnqueueContext['destinations']): { url: string; host: string } {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch (cause) {
    throw new NotifydError('validation_failed', 'url: not a valid absolute URL', { field: 'url', cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new NotifydError('validation_failed', `url: scheme ${parsed.protocol} is not allowed (use http or https)`, { field: 'url' });
  }
  if (parsed.hostname === '') {
    throw new NotifydError('validation_failed', 'url: has no host', { field: 'url' });
  }
  destinations.checkUrl(parsed);
  // URL.host already omits the scheme's default port; names are lower-cased, but be explicit.
  return { url: parsed.href, host: parsed.host.toLowerCase() };
}

/**
 * Node's HTTP parser hands header values over as latin1 (one char per byte),
 * so a UTF-8 key arrives mangled; decode it back so the header and the field
 * compare equal. Strings with characters above U+00FF were never latin1-decoded
 * (e.g. app.inject passes them through) and are taken as they are.
 */
export function readIdempotencyHeader(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    throw new NotifydError('validation_failed', 'idempotencyKey: more than one Idempotency-Key header', { field: 'idempotencyKey' });
  }
  if (!/[\u0080-\u00ff]/.test(value) || /[^\u0000-\u00ff]/.test(value)) return value;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value, 'latin1'));
  } catch {
    throw new NotifydError('validation_failed', 'idempotencyKey: the Idempotency-Key header is not valid UTF-8', {
      field: 'idempotencyKey',
    });
  }
}
