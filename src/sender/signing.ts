import { createHmac } from 'node:crypto';
import { NotifydError } from '../domain/errors.js';

export interface SigningSecrets {
  /** `whsec_<base64>`, or null to send unsigned notifications. */
  secret: string | null;
  /** Also signed with during a rotation, so receivers still holding an old secret keep verifying. */
  previousSecrets: readonly string[];
}

/** The Standard Webhooks headers; `webhook-signature` only when a secret is configured. */
export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature'?: string;
}

const SECRET_PREFIX = 'whsec_';

/** Decodes a `whsec_<base64>` secret (the prefix is optional, as in the standardwebhooks libraries). */
export function decodeSecret(secret: string, field = 'signing.secret'): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
  if (key.length === 0) {
    throw new NotifydError('config_invalid', `${field}: must be whsec_<base64> with a non-empty key`, { field });
  }
  return key;
}

/**
 * Builds a signer once (secrets decoded once, not per POST). Node's HMAC is
 * used rather than `Webhook.sign` from standardwebhooks: same bytes (the
 * tests verify with that library), but native instead of a pure-JS SHA-256.
 */
export function createSigner(secrets: SigningSecrets): (id: string, timestampSeconds: number, body: string) => WebhookHeaders {
  const keys = [
    ...(secrets.secret === null ? [] : [decodeSecret(secrets.secret)]),
    ...secrets.previousSecrets.map((s, i) => decodeSecret(s, `signing.previousSecrets.${i}`)),
  ];
  return (id, timestampSeconds, body) => {
    const timestamp = String(timestampSeconds);
    const headers: WebhookHeaders = { 'webhook-id': id, 'webhook-timestamp': timestamp };
    if (keys.length > 0) {
      const content = `${id}.${timestamp}.${body}`;
      // Current secret first; Standard Webhooks verifiers accept any matching entry of the space-separated list.
      headers['webhook-signature'] = keys.map((key) => `v1,${createHmac('sha256', key).update(content).digest('base64')}`).join(' ');
    }
    return headers;
  };
}

/** One-off form of `createSigner`: the headers for one message. */
export function signatureHeaders(
  secrets: SigningSecrets,
  message: { id: string; timestampSeconds: number; body: string },
): WebhookHeaders {
  return createSigner(secrets)(message.id, message.timestampSeconds, message.body);
}
