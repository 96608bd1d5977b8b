import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, validBody, type ApiHarness } from './harness.js';

interface Case {
  name: string;
  /** An enqueue body (sent as JSON), or a full request. */
  body?: unknown;
  request?: InjectOptions;
  status: number;
  code: string;
  field?: string;
}

const JSON_TYPE = { 'content-type': 'application/json' };

function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

function manyHeaders(n: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`X-H${i}`, 'v']));
}

const { url: _url, ...withoutUrl } = validBody();
const { body: _body, ...withoutBody } = validBody();

/** Requests a hostile or careless client sends; each must fail cleanly and store nothing. */
const CASES: Case[] = [
  // url
  { name: 'missing url', body: withoutUrl, status: 400, code: 'validation_failed', field: 'url' },
  { name: 'url not a string', body: validBody({ url: 42 }), status: 400, code: 'validation_failed', field: 'url' },
  { name: 'empty url', body: validBody({ url: '' }), status: 400, code: 'validation_failed', field: 'url' },
  { name: 'relative url', body: validBody({ url: '/notify' }), status: 400, code: 'validation_failed', field: 'url' },
  { name: 'ftp url', body: validBody({ url: 'ftp://example.com/x' }), status: 400, code: 'validation_failed', field: 'url' },
  { name: 'javascript: url', body: validBody({ url: 'javascript:alert(1)' }), status: 400, code: 'validation_failed', field: 'url' },
  { name: 'file: url', body: validBody({ url: 'file:///etc/passwd' }), status: 400, code: 'validation_failed', field: 'url' },
  { name: 'data: url', body: validBody({ url: 'data:text/plain,hi' }), status: 400, code: 'validation_failed', field: 'url' },
  {
    name: 'url over 8 KiB',
    body: validBody({ url: `https://example.com/${'a'.repeat(8200)}` }),
    status: 400,
    code: 'validation_failed',
    field: 'url',
  },
  { name: 'cloud metadata IP', body: validBody({ url: 'http://169.254.169.254/latest/meta-data/' }), status: 422, code: 'destination_blocked', field: 'url' },
  { name: 'IPv4-mapped IPv6 loopback', body: validBody({ url: 'http://[::ffff:127.0.0.1]/' }), status: 422, code: 'destination_blocked', field: 'url' },
  { name: 'decimal loopback', body: validBody({ url: 'http://2130706433/' }), status: 422, code: 'destination_blocked', field: 'url' },
  { name: 'hex loopback', body: validBody({ url: 'http://0x7f.1:8080/' }), status: 422, code: 'destination_blocked', field: 'url' },
  { name: 'private network', body: validBody({ url: 'https://10.1.2.3/hook' }), status: 422, code: 'destination_blocked', field: 'url' },
  { name: 'IPv6 loopback', body: validBody({ url: 'http://[::1]:9000/' }), status: 422, code: 'destination_blocked', field: 'url' },
  // body
  { name: 'missing body', body: withoutBody, status: 400, code: 'validation_failed', field: 'body' },
  { name: 'body a number', body: validBody({ body: 42 }), status: 400, code: 'validation_failed', field: 'body' },
  { name: 'body null', body: validBody({ body: null }), status: 400, code: 'validation_failed', field: 'body' },
  { name: 'body a boolean', body: validBody({ body: true }), status: 400, code: 'validation_failed', field: 'body' },
  // schedule
  { name: 'unknown schedule preset', body: validBody({ schedule: 'weekly' }), status: 422, code: 'unprocessable', field: 'schedule' },
  { name: 'bad duration', body: validBody({ schedule: ['15s', 'soon'] }), status: 400, code: 'validation_failed', field: 'schedule.1' },
  { name: 'negative duration', body: validBody({ schedule: ['-5s'] }), status: 400, code: 'validation_failed', field: 'schedule.0' },
  { name: 'delay over 30 days', body: validBody({ schedule: ['4000h'] }), status: 400, code: 'validation_failed', field: 'schedule.0' },
  { name: 'schedule a number', body: validBody({ schedule: 60 }), status: 400, code: 'validation_failed', field: 'schedule' },
  { name: 'too many delays', body: validBody({ schedule: Array(101).fill('1s') }), status: 400, code: 'validation_failed', field: 'schedule' },
  // timeoutMs
  { name: 'negative timeoutMs', body: validBody({ timeoutMs: -1 }), status: 400, code: 'validation_failed', field: 'timeoutMs' },
  { name: 'huge timeoutMs', body: validBody({ timeoutMs: 1e12 }), status: 400, code: 'validation_failed', field: 'timeoutMs' },
  { name: 'fractional timeoutMs', body: validBody({ timeoutMs: 150.5 }), status: 400, code: 'validation_failed', field: 'timeoutMs' },
  { name: 'timeoutMs a string', body: validBody({ timeoutMs: '1000' }), status: 400, code: 'validation_failed', field: 'timeoutMs' },
  // headers
  { name: 'CRLF in a header value', body: validBody({ headers: { 'X-Evil': 'a\r\nX-Injected: 1' } }), status: 400, code: 'validation_failed', field: 'headers.X-Evil' },
  { name: 'NUL in a header value', body: validBody({ headers: { 'X-Evil': 'a\u0000b' } }), status: 400, code: 'validation_failed', field: 'headers.X-Evil' },
  { name: 'bad header name', body: validBody({ headers: { 'Bad Header': 'v' } }), status: 400, code: 'validation_failed', field: 'headers.Bad Header' },
  { name: 'forbidden header host', body: validBody({ headers: { Host: 'internal' } }), status: 400, code: 'validation_failed', field: 'headers.Host' },
  { name: 'forbidden header content-length', body: validBody({ headers: { 'Content-Length': '0' } }), status: 400, code: 'validation_failed', field: 'headers.Content-Length' },
  { name: 'forbidden header transfer-encoding', body: validBody({ headers: { 'transfer-encoding': 'chunked' } }), status: 400, code: 'validation_failed', field: 'headers.transfer-encoding' },
  { name: 'forbidden header webhook-id', body: validBody({ headers: { 'webhook-id': 'spoofed' } }), status: 400, code: 'validation_failed', field: 'headers.webhook-id' },
  { name: 'duplicate header names', body: validBody({ headers: { 'X-A': '1', 'x-a': '2' } }), status: 400, code: 'validation_failed', field: 'headers.x-a' },
  { name: 'too many headers', body: validBody({ headers: manyHeaders(51) }), status: 400, code: 'validation_failed', field: 'headers' },
  { name: 'header value not a string', body: validBody({ headers: { 'X-Num': 1 } }), status: 400, code: 'validation_failed', field: 'headers.X-Num' },
  { name: 'headers an array', body: validBody({ headers: ['X-A: 1'] }), status: 400, code: 'validation_failed', field: 'headers' },
  { name: 'CRLF in contentType', body: validBody({ contentType: 'text/plain\r\nX-Injected: 1' }), status: 400, code: 'validation_failed', field: 'contentType' },
  // success, metadata, unknown fields
  { name: 'success status 3xx', body: validBody({ success: { status: '3xx' } }), status: 400, code: 'validation_failed', field: 'success.status' },
  { name: 'success status code out of range', body: validBody({ success: { status: [200, 999] } }), status: 400, code: 'validation_failed', field: 'success.status.1' },
  { name: 'unknown field in success', body: validBody({ success: { status: '2xx', code: 0 } }), status: 400, code: 'validation_failed', field: 'success.code' },
  { name: 'metadata over 16 KiB', body: validBody({ metadata: { blob: 'x'.repeat(17 * 1024) } }), status: 400, code: 'validation_failed', field: 'metadata' },
  { name: 'metadata an array', body: validBody({ metadata: ['a'] }), status: 400, code: 'validation_failed', field: 'metadata' },
  { name: 'unknown top-level field', body: validBody({ callbackUrl: 'x', retries: 3 }), status: 400, code: 'validation_failed', field: 'callbackUrl' },
  // idempotency keys
  { name: 'idempotency key too long', body: validBody({ idempotencyKey: 'k'.repeat(256) }), status: 400, code: 'validation_failed', field: 'idempotencyKey' },
  { name: 'idempotency key empty', body: validBody({ idempotencyKey: '' }), status: 400, code: 'validation_failed', field: 'idempotencyKey' },
  { name: 'idempotency key with a control char', body: validBody({ idempotencyKey: 'order\u0007' }), status: 400, code: 'validation_failed', field: 'idempotencyKey' },
  { name: 'idempotency key with a newline', body: validBody({ idempotencyKey: 'order\n1' }), status: 400, code: 'validation_failed', field: 'idempotencyKey' },
  { name: 'idempotency key a lone surrogate', body: validBody({ idempotencyKey: 'order\ud800' }), status: 400, code: 'validation_failed', field: 'idempotencyKey' },
  { name: 'idempotency key a number', body: validBody({ idempotencyKey: 1234 }), status: 400, code: 'validation_failed', field: 'idempotencyKey' },
  {
    name: 'Idempotency-Key header differs from the field',
    request: { method: 'POST', url: '/v1/notifications', payload: validBody({ idempotencyKey: 'a' }), headers: { 'idempotency-key': 'b' } },
    status: 400,
    code: 'validation_failed',
    field: 'idempotencyKey',
  },
  {
    name: 'Idempotency-Key header too long',
    request: { method: 'POST', url: '/v1/notifications', payload: validBody(), headers: { 'idempotency-key': 'k'.repeat(300) } },
    status: 400,
    code: 'validation_failed',
    field: 'idempotencyKey',
  },
  {
    name: 'Idempotency-Key header not UTF-8',
    request: { method: 'POST', url: '/v1/notifications', payload: validBody(), headers: { 'idempotency-key': 'caf\u00e9' } },
    status: 400,
    code: 'validation_failed',
    field: 'idempotencyKey',
  },
  // the document itself
  { name: 'JSON array', request: { method: 'POST', url: '/v1/notifications', payload: '[]', headers: JSON_TYPE }, status: 400, code: 'validation_failed' },
  { name: 'JSON string', request: { method: 'POST', url: '/v1/notifications', payload: '"hi"', headers: JSON_TYPE }, status: 400, code: 'validation_failed' },
  { name: 'JSON number', request: { method: 'POST', url: '/v1/notifications', payload: '42', headers: JSON_TYPE }, status: 400, code: 'validation_failed' },
  { name: 'JSON null', request: { method: 'POST', url: '/v1/notifications', payload: 'null', headers: JSON_TYPE }, status: 400, code: 'validation_failed' },
  { name: 'empty JSON body', request: { method: 'POST', url: '/v1/notifications', payload: '', headers: JSON_TYPE }, status: 400, code: 'validation_failed' },
  { name: 'malformed JSON', request: { method: 'POST', url: '/v1/notifications', payload: '{"url": "https://x.example/",', headers: JSON_TYPE }, status: 400, code: 'invalid_json' },
  { name: 'trailing garbage', request: { method: 'POST', url: '/v1/notifications', payload: '{} {}', headers: JSON_TYPE }, status: 400, code: 'invalid_json' },
  {
    name: 'prototype poisoning',
    request: { method: 'POST', url: '/v1/notifications', payload: '{"url":"https://x.example/","body":"b","__proto__":{"admin":true}}', headers: JSON_TYPE },
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'nesting 33 levels deep',
    request: { method: 'POST', url: '/v1/notifications', payload: `{"url":"https://x.example/","body":${nested(32)}}`, headers: JSON_TYPE },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'nesting 200 000 levels deep',
    request: { method: 'POST', url: '/v1/notifications', payload: `{"url":"https://x.example/","body":${nested(200_000)}}`, headers: JSON_TYPE },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'body over the size limit',
    request: { method: 'POST', url: '/v1/notifications', payload: validBody({ body: 'x'.repeat(1_100_000) }) },
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'text/plain content type',
    request: { method: 'POST', url: '/v1/notifications', payload: JSON.stringify(validBody()), headers: { 'content-type': 'text/plain' } },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'form content type',
    request: { method: 'POST', url: '/v1/notifications', payload: 'url=x&body=y', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'a body without a content type',
    request: { method: 'POST', url: '/v1/notifications', payload: Buffer.from(JSON.stringify(validBody())) },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'a malformed content type',
    request: { method: 'POST', url: '/v1/notifications', payload: JSON.stringify(validBody()), headers: { 'content-type': 'application/' } },
    status: 415,
    code: 'unsupported_media_type',
  },
];

describe('hostile and malformed requests', () => {
  let h: ApiHarness;
  let rows: number;

  beforeAll(async () => {
    h = await startApi({ shared: true });
    // One good row, so "unchanged" is not the same as "still empty".
    await h.enqueue(validBody({ idempotencyKey: 'seed' }));
    rows = await h.rowCount();
  });
  afterAll(async () => {
    await h.close();
  });

  it('covers at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('$name → $status $code', async (c) => {
    const request: InjectOptions = c.request ?? { method: 'POST', url: '/v1/notifications', payload: c.body as Record<string, unknown> };
    const res = await h.request(request);
    expect(res.statusCode, res.body).toBe(c.status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const error = res.json().error;
    expect(error.code).toBe(c.code);
    expect(error.message).toEqual(expect.any(String));
    if (c.field !== undefined) expect(error.field).toBe(c.field);
    expect(Object.keys(res.json())).toEqual(['error']);
    expect(await h.rowCount()).toBe(rows);
  });

  it('still accepts a good request afterwards (nothing crashed)', async () => {
    const res = await h.request({ method: 'POST', url: '/v1/notifications', payload: validBody() });
    expect(res.statusCode).toBe(202);
  });
});
