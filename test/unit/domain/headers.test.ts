import { describe, expect, it } from 'vitest';
import { MAX_HEADERS, NotifydError, validateHeaders } from '../../../src/domain/index.js';

function rejection(headers: Record<string, string>): NotifydError {
  try {
    validateHeaders(headers);
  } catch (error) {
    expect(error).toBeInstanceOf(NotifydError);
    expect(error).toMatchObject({ code: 'validation_failed', statusCode: 400 });
    return error as NotifydError;
  }
  throw new Error(`expected ${JSON.stringify(headers)} to be rejected`);
}

describe('validateHeaders', () => {
  it('lower-cases names and keeps values as given', () => {
    expect(validateHeaders({ 'X-Merchant': 'm-42', 'X-TRACE-ID': 'AbC', accept: 'text/plain' })).toEqual({
      'x-merchant': 'm-42',
      'x-trace-id': 'AbC',
      accept: 'text/plain',
    });
  });

  it('accepts no headers', () => {
    expect(validateHeaders({})).toEqual({});
  });

  it('accepts every RFC 9110 token character in a name', () => {
    const name = "x-!#$%&'*+.^_`|~09az";
    expect(validateHeaders({ [name]: 'v' })).toEqual({ [name.toLowerCase()]: 'v' });
  });

  it('accepts tabs, spaces, empty values and obs-text in values', () => {
    expect(validateHeaders({ a: 'x\ty z', b: '', c: 'caf\u00e9' })).toEqual({ a: 'x\ty z', b: '', c: 'caf\u00e9' });
  });

  it('keeps a header named __proto__ rather than dropping it silently', () => {
    const input = JSON.parse('{"__proto__": "x", "X-A": "1"}') as Record<string, string>;
    const out = validateHeaders(input);
    expect(Object.keys(out).sort()).toEqual(['__proto__', 'x-a']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toBe('x');
  });

  describe('forbidden names, in any case', () => {
    const FORBIDDEN = [
      // hop-by-hop
      'Connection', 'Keep-Alive', 'Proxy-Connection', 'Proxy-Authenticate', 'Proxy-Authorization', 'TE', 'Trailer',
      'Transfer-Encoding', 'Upgrade',
      // owned by the HTTP client
      'Host', 'Content-Length', 'Content-Type', 'Expect',
      // owned by notifyd: a receiver must be able to trust them
      'Webhook-Id', 'Webhook-Timestamp', 'Webhook-Signature', 'Notifyd-Attempt',
    ];

    it.each(FORBIDDEN.flatMap((name) => [name, name.toLowerCase(), name.toUpperCase()]))('%s → validation_failed, field headers.%s', (name) => {
      const error = rejection({ 'X-Ok': '1', [name]: 'v' });
      expect(error.field).toBe(`headers.${name}`);
      expect(error.message).toContain(`headers.${name}`);
    });
  });

  it.each([
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['CRLF injection', 'x\r\nX-Injected: 1'],
    ['NUL', 'a\u0000b'],
    ['another control character', 'a\u0007b'],
    ['DEL', 'a\u007fb'],
    ['a character outside Latin-1', 'a\u4e2db'],
  ])('a value with %s → validation_failed naming the header', (_, value) => {
    expect(rejection({ 'X-Bad': value }).field).toBe('headers.X-Bad');
  });

  it('a value over 8 KiB → validation_failed', () => {
    expect(validateHeaders({ 'X-Big': 'a'.repeat(8192) })['x-big']).toHaveLength(8192);
    expect(rejection({ 'X-Big': 'a'.repeat(8193) }).field).toBe('headers.X-Big');
  });

  it.each([
    ['a space', 'X Merchant'],
    ['a colon', 'X-Merchant:'],
    ['a leading colon (pseudo-header)', ':authority'],
    ['nothing', ''],
    ['a slash', 'x/y'],
    ['brackets', 'x(y)'],
    ['a quote', 'x"y'],
    ['a non-ASCII letter', 'x-caf\u00e9'],
    ['a newline', 'x\ny'],
  ])('a name with %s → validation_failed', (_, name) => {
    expect(rejection({ [name]: 'v' }).field).toBe(`headers.${name}`);
  });

  it(`accepts ${MAX_HEADERS} headers, refuses ${MAX_HEADERS + 1}`, () => {
    expect(MAX_HEADERS).toBe(50);
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`X-H${i}`, String(i)]));
    expect(Object.keys(validateHeaders(many(MAX_HEADERS)))).toHaveLength(MAX_HEADERS);
    expect(rejection(many(MAX_HEADERS + 1)).field).toBe('headers');
  });

  it('refuses names that differ only in case', () => {
    const error = rejection({ 'X-Merchant': 'a', 'x-merchant': 'b' });
    expect(error.message).toMatch(/duplicate/);
    expect(error.field).toBe('headers.x-merchant');
    expect(rejection({ 'x-a': '1', 'X-b': '2', 'X-A': '3' }).field).toBe('headers.X-A');
  });

  it('names the field under the prefix the caller gives', () => {
    try {
      validateHeaders({ Host: 'evil' }, 'body.headers');
      expect.unreachable();
    } catch (error) {
      expect((error as NotifydError).field).toBe('body.headers.Host');
    }
  });
});
