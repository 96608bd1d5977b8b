import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AttemptOutcomes,
  DEFAULT_SUCCESS_RULE,
  RESPONSE_EXCERPT_BYTES,
  bodyMatches,
  classifySendResult,
  excerpt,
  parseRetryAfter,
  statusMatches,
  type SendResult,
  type SuccessRule,
} from '../../../src/domain/index.js';

const ATTEMPT = { notificationId: 'ntf_test', attempt: 3, startedAt: Date.UTC(2026, 10, 24, 12, 0, 0) };
const ANY_2XX: SuccessRule = { status: '2xx', body: null };

function response(statusCode: number, body: string, extra: { retryAfter?: string | null; durationMs?: number } = {}): SendResult {
  return { kind: 'response', statusCode, body, retryAfter: extra.retryAfter ?? null, durationMs: extra.durationMs ?? 42 };
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('the default success rule (DESIGN.md guarantee 3: 2xx and the trimmed body is exactly "success")', () => {
  it('is 2xx + "success"', () => {
    expect(DEFAULT_SUCCESS_RULE).toEqual({ status: '2xx', body: 'success' });
    expect(Object.isFrozen(DEFAULT_SUCCESS_RULE)).toBe(true);
  });

  // The table from the issue.
  it.each([
    ['200 "success"', response(200, 'success'), 'success'],
    ['200 "  success\\n"', response(200, '  success\n'), 'success'],
    ['200 "\\r\\nsuccess\\r\\n"', response(200, '\r\nsuccess\r\n'), 'success'],
    ['201 "success"', response(201, 'success'), 'success'],
    ['299 "success"', response(299, 'success'), 'success'],
    ['200 "SUCCESS"', response(200, 'SUCCESS'), 'rejected'],
    ['200 "Success"', response(200, 'Success'), 'rejected'],
    ['200 "success!"', response(200, 'success!'), 'rejected'],
    ['200 "succ ess"', response(200, 'succ ess'), 'rejected'],
    ['200 "fail"', response(200, 'fail'), 'rejected'],
    ['200 JSON', response(200, '{"code":"SUCCESS"}'), 'rejected'],
    ['204 empty', response(204, ''), 'rejected'],
    ['500 "success"', response(500, 'success'), 'http_error'],
    ['199 "success"', response(199, 'success'), 'http_error'],
    ['300 "success"', response(300, 'success'), 'http_error'],
    ['302 "success"', response(302, 'success'), 'http_error'],
    ['404 "success"', response(404, 'success'), 'http_error'],
    ['410 ""', response(410, ''), 'http_error'],
    ['429 ""', response(429, ''), 'http_error'],
  ])('%s → %s', (_, sent, outcome) => {
    const result = classifySendResult(DEFAULT_SUCCESS_RULE, sent, ATTEMPT);
    expect(result.outcome).toBe(outcome);
    expect(result.statusCode).toBe((sent as { statusCode: number }).statusCode);
    if (outcome === 'success') expect(result.error).toBeNull();
    else expect(result.error).toEqual(expect.any(String));
  });

  it('a 500 names the status in the error', () => {
    expect(classifySendResult(DEFAULT_SUCCESS_RULE, response(500, 'success'), ATTEMPT).error).toContain('500');
  });

  it('a rejected body names what was expected and what came back', () => {
    const result = classifySendResult(DEFAULT_SUCCESS_RULE, response(200, '  FAIL  '), ATTEMPT);
    expect(result.error).toContain('"success"');
    expect(result.error).toContain('FAIL');
  });

  it('a rejected body is quoted in the error only by its first bytes', () => {
    const result = classifySendResult(DEFAULT_SUCCESS_RULE, response(200, 'x'.repeat(10_000)), ATTEMPT);
    expect(result.outcome).toBe('rejected');
    expect(bytes(result.error!)).toBeLessThan(200);
  });
});

describe('other success rules', () => {
  it('{status: "2xx", body: null} accepts any 2xx with any body (WeChat Pay v3)', () => {
    for (const [status, body] of [[204, ''], [200, 'SUCCESS'], [200, '{"code":"FAIL"}'], [299, 'whatever']] as const) {
      expect(classifySendResult(ANY_2XX, response(status, body), ATTEMPT).outcome).toBe('success');
    }
    expect(classifySendResult(ANY_2XX, response(500, ''), ATTEMPT).outcome).toBe('http_error');
    expect(classifySendResult(ANY_2XX, response(301, ''), ATTEMPT).outcome).toBe('http_error');
  });

  it('an explicit status list accepts exactly those codes', () => {
    const rule: SuccessRule = { status: [200, 202], body: null };
    expect(statusMatches(rule, 200)).toBe(true);
    expect(statusMatches(rule, 202)).toBe(true);
    expect(statusMatches(rule, 201)).toBe(false);
    expect(statusMatches(rule, 204)).toBe(false);
    expect(classifySendResult(rule, response(201, ''), ATTEMPT).outcome).toBe('http_error');
    expect(classifySendResult(rule, response(202, ''), ATTEMPT).outcome).toBe('success');
  });

  it('an explicit status list may accept a non-2xx code', () => {
    const rule: SuccessRule = { status: [200, 302], body: 'ok' };
    expect(classifySendResult(rule, response(302, 'ok'), ATTEMPT).outcome).toBe('success');
    expect(classifySendResult(rule, response(302, 'no'), ATTEMPT).outcome).toBe('rejected');
  });

  it('a custom body is matched trimmed and case-sensitively', () => {
    const rule: SuccessRule = { status: '2xx', body: 'OK' };
    expect(bodyMatches(rule, ' OK\n')).toBe(true);
    expect(bodyMatches(rule, 'ok')).toBe(false);
    expect(bodyMatches(rule, 'OK OK')).toBe(false);
  });

  it('"2xx" is 200…299 inclusive', () => {
    for (let code = 100; code < 600; code++) {
      expect(statusMatches({ status: '2xx', body: null }, code)).toBe(code >= 200 && code <= 299);
    }
  });
});

describe('failures without a response', () => {
  it.each(['timeout', 'network', 'blocked'] as const)('%s passes through with its error text', (kind) => {
    const sent: SendResult = { kind, errorCode: `E_${kind.toUpperCase()}`, message: `the ${kind} happened`, durationMs: 1234 };
    const result = classifySendResult(DEFAULT_SUCCESS_RULE, sent, ATTEMPT);
    expect(result).toEqual({
      ...ATTEMPT,
      durationMs: 1234,
      outcome: kind,
      statusCode: null,
      error: expect.stringContaining(`E_${kind.toUpperCase()}`),
      responseExcerpt: null,
      retryAfterMs: null,
    });
    expect(result.error).toContain(`the ${kind} happened`);
  });

  it('the same result under any success rule', () => {
    const sent: SendResult = { kind: 'network', errorCode: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9', durationMs: 3 };
    expect(classifySendResult(ANY_2XX, sent, ATTEMPT)).toEqual(classifySendResult(DEFAULT_SUCCESS_RULE, sent, ATTEMPT));
  });
});

describe('the attempt record', () => {
  it('carries the attempt identity, duration and status code', () => {
    const result = classifySendResult(DEFAULT_SUCCESS_RULE, response(200, 'success', { durationMs: 987 }), ATTEMPT);
    expect(result).toEqual({
      notificationId: 'ntf_test',
      attempt: 3,
      startedAt: ATTEMPT.startedAt,
      durationMs: 987,
      outcome: 'success',
      statusCode: 200,
      error: null,
      responseExcerpt: 'success',
      retryAfterMs: null,
    });
  });

  it('every outcome is one of the six documented classes', () => {
    expect([...AttemptOutcomes].sort()).toEqual(['blocked', 'http_error', 'network', 'rejected', 'success', 'timeout']);
  });
});

describe('responseExcerpt', () => {
  it('keeps a short body whole', () => {
    expect(classifySendResult(DEFAULT_SUCCESS_RULE, response(500, 'oops\n'), ATTEMPT).responseExcerpt).toBe('oops\n');
  });

  it(`is at most ${RESPONSE_EXCERPT_BYTES} bytes and a prefix of the body`, () => {
    expect(RESPONSE_EXCERPT_BYTES).toBe(1024);
    const body = 'a'.repeat(5000);
    const cut = classifySendResult(DEFAULT_SUCCESS_RULE, response(500, body), ATTEMPT).responseExcerpt!;
    expect(cut).toBe('a'.repeat(1024));
  });

  it('never splits a multi-byte character', () => {
    // 1023 ASCII bytes then a 3-byte "€": the € does not fit and must be left out whole.
    const euro = `${'a'.repeat(1023)}€tail`;
    expect(excerpt(euro)).toBe('a'.repeat(1023));
    // A 4-byte emoji straddling the limit at every offset.
    for (let pad = 1020; pad <= 1024; pad++) {
      const text = `${'b'.repeat(pad)}😀😀`;
      const cut = excerpt(text);
      expect(bytes(cut)).toBeLessThanOrEqual(1024);
      expect(text.startsWith(cut)).toBe(true);
      expect(cut).not.toContain('\uFFFD');
    }
  });

  it('keeps a real U+FFFD that fits whole before the cut', () => {
    const text = `${'c'.repeat(1021)}\uFFFDmore`; // 1021 + 3 bytes = exactly 1024
    expect(excerpt(text)).toBe(`${'c'.repeat(1021)}\uFFFD`);
  });

  it('is the longest whole-character prefix within the limit, for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 600 }), fc.integer({ min: 0, max: 200 }), (text, limit) => {
        const cut = excerpt(text, limit);
        if (bytes(text) <= limit) expect(cut).toBe(text);
        else expect(bytes(cut)).toBeLessThanOrEqual(limit);
        expect(text.startsWith(cut)).toBe(true);
        // One more code point would not have fitted.
        if (cut.length < text.length) {
          const nextChar = String.fromCodePoint(text.codePointAt(cut.length)!);
          expect(bytes(cut) + bytes(nextChar)).toBeGreaterThan(limit);
        }
      }),
    );
  });
});

describe('Retry-After', () => {
  it.each([429, 503])('is captured for %d in seconds form', (status) => {
    const result = classifySendResult(DEFAULT_SUCCESS_RULE, response(status, '', { retryAfter: '120' }), ATTEMPT);
    expect(result.outcome).toBe('http_error');
    expect(result.retryAfterMs).toBe(120_000);
  });

  it('is captured in HTTP-date form, relative to when the answer came', () => {
    // The answer took 2s: the wait counts from its end, not from when the POST started.
    const at = new Date(ATTEMPT.startedAt + 2_000 + 90_000).toUTCString(); // IMF-fixdate: "Tue, 24 Nov 2026 12:01:32 GMT"
    const result = classifySendResult(DEFAULT_SUCCESS_RULE, response(503, '', { retryAfter: at, durationMs: 2_000 }), ATTEMPT);
    expect(result.retryAfterMs).toBe(90_000);
  });

  it.each([200, 500, 502, 504, 408, 410])('is ignored for %d', (status) => {
    const result = classifySendResult(DEFAULT_SUCCESS_RULE, response(status, '', { retryAfter: '120' }), ATTEMPT);
    expect(result.retryAfterMs).toBeNull();
  });

  it('absent or garbage → null', () => {
    for (const value of [null, '', 'soon', 'later please', '1.5', '-1', '5 minutes', 'abc 12', '1 2', '0x10', '12abc']) {
      const result = classifySendResult(DEFAULT_SUCCESS_RULE, response(429, '', { retryAfter: value }), ATTEMPT);
      expect(result.retryAfterMs, JSON.stringify(value)).toBeNull();
    }
  });

  describe('parseRetryAfter', () => {
    const now = Date.UTC(2015, 9, 21, 7, 0, 0);

    it('reads delay-seconds, trimmed', () => {
      expect(parseRetryAfter('0', now)).toBe(0);
      expect(parseRetryAfter('1', now)).toBe(1_000);
      expect(parseRetryAfter(' 3600 ', now)).toBe(3_600_000);
    });

    it('reads all three HTTP-date forms as GMT (RFC 9110 §5.6.7)', () => {
      const expected = Date.UTC(2015, 9, 21, 7, 28, 0) - now;
      expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now)).toBe(expected);
      expect(parseRetryAfter('Wednesday, 21-Oct-15 07:28:00 GMT', now)).toBe(expected);
      expect(parseRetryAfter('Wed Oct 21 07:28:00 2015', now)).toBe(expected);
      expect(parseRetryAfter('Wed Oct  1 07:28:00 2015', Date.UTC(2015, 9, 1, 7, 0, 0))).toBe(expected);
    });

    it('reads an asctime date as GMT whatever the local time zone', () => {
      const saved = process.env.TZ;
      process.env.TZ = 'Asia/Shanghai'; // UTC+8: a local-time reading would be 8 hours early
      try {
        expect(parseRetryAfter('Wed Oct 21 07:28:00 2015', now)).toBe(28 * 60_000);
      } finally {
        if (saved === undefined) delete process.env.TZ;
        else process.env.TZ = saved;
      }
    });

    it('a date in the past means no wait', () => {
      expect(parseRetryAfter('Wed, 21 Oct 2015 06:00:00 GMT', now)).toBe(0);
    });

    it('null when absent or unreadable', () => {
      for (const value of [null, '', '   ', 'tomorrow', '1.5', '-1', '+5', '1e3', 'abc 12', 'Foo, 12', '2025-01-01', 'Wed, 32 Oct 2015 07:28:00 GMT']) {
        expect(parseRetryAfter(value, now), JSON.stringify(value)).toBeNull();
      }
    });
  });
});
