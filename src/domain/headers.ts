import { NotifydError } from './errors.js';

/**
 * Headers a producer may not set: hop-by-hop headers (RFC 9110 §7.6.1), the
 * ones the HTTP client owns, and the ones notifyd itself sends (a receiver
 * must be able to trust webhook-id and the signature).
 */
export const FORBIDDEN_HEADERS = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade',
  'host', 'content-length', 'content-type', 'expect',
  'webhook-id', 'webhook-timestamp', 'webhook-signature', 'notifyd-attempt',
]);

// RFC 9110 token characters for a field name.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Visible ASCII, space and tab, and obs-text; never CR, LF or NUL.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export const MAX_HEADERS = 50;
export const MAX_HEADER_VALUE_BYTES = 8192;

/** Validates producer headers; returns them with lower-cased names. */
export function validateHeaders(headers: Record<string, string>, field = 'headers'): Record<string, string> {
  const entries = Object.entries(headers);
  if (entries.length > MAX_HEADERS) {
    throw new NotifydError('validation_failed', `${field}: at most ${MAX_HEADERS} headers`, { field });
  }
  // A Map, not a plain object: a header named "__proto__" must be kept (or rejected), never silently dropped.
  const out = new Map<string, string>();
  for (const [name, value] of entries) {
    const at = `${field}.${name}`;
    if (!HEADER_NAME.test(name)) {
      throw new NotifydError('validation_failed', `${at}: not a valid header name`, { field: at });
    }
    const lower = name.toLowerCase();
    if (FORBIDDEN_HEADERS.has(lower)) {
      throw new NotifydError('validation_failed', `${at}: this header is set by notifyd or the HTTP client and cannot be overridden`, { field: at });
    }
    if (!HEADER_VALUE.test(value) || Buffer.byteLength(value) > MAX_HEADER_VALUE_BYTES) {
      throw new NotifydError('validation_failed', `${at}: header values may not contain CR, LF or control characters, nor exceed 8 KiB`, { field: at });
    }
    if (out.has(lower)) {
      throw new NotifydError('validation_failed', `${at}: duplicate header (names are case-insensitive)`, { field: at });
    }
    out.set(lower, value);
  }
  return Object.fromEntries(out);
}
