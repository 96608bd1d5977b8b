import { BLOCKED_ADDRESS } from './destination-policy.js';

/** A redirect hop the guard refused (scheme, or a literal private address). */
export const BLOCKED_REDIRECT = 'BLOCKED_REDIRECT';
/** The attempt was abandoned through the caller's signal (shutdown), not by the receiver. */
export const ABORTED = 'ABORTED';

export type FailureKind = 'timeout' | 'network' | 'blocked';

export interface FailureClass {
  kind: FailureKind;
  errorCode: string;
  message: string;
}

const STABLE_CODE = /^[A-Z][A-Z0-9_]*$/;
// Error messages end up in the ledger's `lastError` and in operator alerts.
const MAX_MESSAGE_CHARS = 300;

/**
 * Turns whatever got, Node or OpenSSL threw into a stable class. The codes are
 * those of the platform (ECONNREFUSED, HPE_INVALID_CONSTANT, EPROTO,
 * CERT_HAS_EXPIRED, …) so operators can search for them; only got's wrappers
 * and stream plumbing codes are replaced by the cause they stand for.
 */
export function classifyFailure(error: unknown): FailureClass {
  const code = stableCode(error);
  const kind: FailureKind =
    code === BLOCKED_ADDRESS || code === BLOCKED_REDIRECT ? 'blocked' : code === 'ETIMEDOUT' ? 'timeout' : 'network';
  return { kind, errorCode: code, message: messageOf(error) };
}

function stableCode(error: unknown): string {
  let current: unknown = error;
  // got wraps the socket's error (RequestError, ReadError…); the innermost specific code is the useful one.
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && STABLE_CODE.test(code) && !GENERIC_CODES.has(code)) {
      return RENAMED_CODES[code] ?? code;
    }
    current = current.cause;
  }
  return 'ERR_NETWORK';
}

/** got's catch-all codes: they say "something failed", never what. */
const GENERIC_CODES = new Set(['ERR_GOT_REQUEST_ERROR', 'ERR_READING_RESPONSE_STREAM', 'ERR_UPLOAD']);

const RENAMED_CODES: Record<string, string> = {
  // A stream closed before its end is a connection cut short, which is what ECONNRESET already means to operators.
  ERR_STREAM_PREMATURE_CLOSE: 'ECONNRESET',
  // The sender checks the first URL's scheme itself, so got only meets another scheme on a redirect hop, before our hook runs.
  ERR_UNSUPPORTED_PROTOCOL: BLOCKED_REDIRECT,
};

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}
