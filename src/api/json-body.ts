import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotifydError } from '../domain/errors.js';

/** Deeper than this is not a notification, it is an attempt to exhaust the stack. */
export const MAX_JSON_DEPTH = 32;

/**
 * True when `text` nests objects/arrays deeper than `max`. A linear scan
 * before parsing: the recursive code after the parser (zod, the fingerprint,
 * JSON.stringify) never sees a document that could overflow its stack.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  // Depth never exceeds the number of openers: most bodies have a few, and
  // counting them (indexOf, native) is far cheaper than the scan below.
  if (!hasMoreOpeners(text, max)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** True when `text` holds more than `max` '{' and '[' in all (inside strings too: an upper bound on depth). */
function hasMoreOpeners(text: string, max: number): boolean {
  let count = 0;
  for (const opener of ['{', '[']) {
    for (let i = text.indexOf(opener); i !== -1; i = text.indexOf(opener, i + 1)) {
      if (++count > max) return true;
    }
  }
  return false;
}

/**
 * JSON is the only request media type (anything else is 415). An empty body
 * parses to undefined, so routes whose body is optional (replay, cancel) accept
 * `Content-Type: application/json` with nothing after it. Parsing itself is
 * fastify's default parser, which refuses `__proto__` and `constructor.prototype`
 * keys (prototype poisoning) and limits the size to `bodyLimit`.
 */
export function installJsonBody(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request: FastifyRequest, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      done(new NotifydError('validation_failed', `the request body nests deeper than ${MAX_JSON_DEPTH} levels`), undefined);
      return;
    }
    parseJson(request, text, done);
  });
}
