import { connect } from 'node:net';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/domain/errors.js';
import type { SqliteNotificationStore } from '../../src/ledger/index.js';
import { verifyLedger } from '../../src/ledger/verify-ledger.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { bearer, startApi, TOKENS, validBody, type ApiHarness } from '../integration/api/harness.js';

/**
 * Property-based fuzzing of the HTTP API (fast-check) through buildApp +
 * app.inject on a real SQLite store, and a smaller run of raw bytes against
 * the real daemon's socket. Whatever arrives — arbitrary JSON, near-valid
 * enqueue bodies, hostile headers, junk ids, query strings and methods on
 * the ops routes — the answer is a documented status (never a 5xx), every
 * error is the JSON error shape with a registered code, the process does not
 * crash, each 202 names a stored notification, nothing is stored without a
 * 202, and `verifyLedger` stays clean.
 *
 * NOTIFYD_FUZZ_RUNS scales the run counts (default 1: a few seconds);
 * NOTIFYD_FUZZ_SEED replays a failure.
 */

const SCALE = Number(process.env.NOTIFYD_FUZZ_RUNS ?? 1);
const SEED = process.env.NOTIFYD_FUZZ_SEED !== undefined ? Number(process.env.NOTIFYD_FUZZ_SEED) : undefined;
const runs = (n: number) => ({ numRuns: Math.max(1, Math.round(n * SCALE)), ...(SEED !== undefined ? { seed: SEED } : {}) });

/** Statuses the README documents. */
const DOCUMENTED = new Set([200, 202, 400, 401, 403, 404, 409, 413, 415, 422, 429]);
const CODES = new Set(Object.keys(ErrorCodes));

interface Tally {
  requests: number;
  byStatus: Map<number, number>;
  /** Ids the API answered 202 for: each must be stored. */
  created: Set<string>;
}

function check(res: LightMyRequestResponse | { statusCode: number; body: string; headers: Record<string, unknown> }, tally: Tally, what: string): void {
  tally.requests += 1;
  tally.byStatus.set(res.statusCode, (tally.byStatus.get(res.statusCode) ?? 0) + 1);
  const context = `${what} → ${res.statusCode} ${res.body.slice(0, 300)}`;
  expect(res.statusCode, context).toBeLessThan(500);
  expect(DOCUMENTED.has(res.statusCode), context).toBe(true);
  // A HEAD answer has the GET's status and headers but no body.
  if (res.statusCode >= 400 && !what.startsWith('HEAD ')) {
    expect(String(res.headers['content-type']), context).toMatch(/^application\/json/);
    const body = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown } };
    expect(typeof body.error?.message, context).toBe('string');
    expect(CODES.has(String(body.error?.code)), context).toBe(true);
    expect(ErrorCodes[body.error!.code as keyof typeof ErrorCodes], context).toBe(res.statusCode);
  }
  if (res.statusCode === 202) {
    const body = JSON.parse(res.body) as { id: string; status: string };
    expect(body.status, context).toBe('pending');
    tally.created.add(body.id);
  }
}

// ---------------------------------------------------------------- arbitraries

/** Strings with the characters that break parsers: controls, CR/LF, quotes, surrogates, non-ASCII. */
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: fc.constantFrom('\r', '\n', '\u0000', '\u007f', '"', '\\', '/', '%', '\ud800', '\udfff', 'é', '😀', ' ', ':', ';', '=', ','), maxLength: 20 }),
  fc.constantFrom('', ' ', '__proto__', 'constructor', 'prototype', 'success', 'null', '0', '-1', '1e309', 'NaN', '../../etc/passwd', '%00', '\u2028'),
);

const urlish = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.constantFrom(
    'http://127.0.0.1:9/x',
    'http://localhost/',
    'http://[::1]/',
    'http://169.254.169.254/latest',
    'http://0x7f000001/',
    'https://example.com:99999/',
    'https://ex ample.com/',
    'HTTPS://EXAMPLE.COM/Path',
    'ftp://example.com/',
    'javascript:alert(1)',
    'https://user:pass@example.com/',
    `https://example.com/${'a'.repeat(9000)}`,
  ),
  nastyString,
);

const durationish = fc.oneof(
  fc.constantFrom('15s', '4m', '2h', '1d', '0s', '100ms', '31d', '1.5h', '-5s', '1e3s', '15', 's', ''),
  fc.tuple(fc.integer({ min: -5, max: 100_000 }), fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w', '')).map(([n, u]) => `${n}${u}`),
  nastyString,
);

const anyJson = fc.jsonValue({ maxDepth: 4 });

/** Either a valid value (or the field left out), usually, or `junk`. */
function mostly<T>(valid: fc.Arbitrary<T>, junk: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: valid, weight: 4 }, { arbitrary: junk, weight: 1 });
}

const printable = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_:.'.split('')), minLength: 1, maxLength: 12 });

/** Enqueue bodies that are mostly valid, each field sometimes arbitrary, sometimes missing, with stray keys now and then. */
const nearValidBody = fc
  .record({
    url: fc.oneof({ arbitrary: fc.constantFrom('http://127.0.0.1:9/fuzz', 'https://r.example.com/notify', 'https://shop.example.com/a?b=c#d'), weight: 5 }, { arbitrary: urlish, weight: 1 }),
    body: fc.oneof({ arbitrary: fc.oneof(fc.object({ maxDepth: 2 }), fc.string(), fc.array(anyJson, { maxLength: 3 })), weight: 5 }, { arbitrary: fc.oneof(anyJson, fc.constant(undefined)), weight: 1 }),
    contentType: mostly(fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain; charset=utf-8', 'a/b; x=1'), fc.oneof(nastyString, anyJson)),
    headers: mostly(
      fc.dictionary(fc.constantFrom('X-Merchant', 'X-Trace', 'X-Ok'), printable, { maxKeys: 3 }),
      fc.oneof(fc.dictionary(nastyString, nastyString, { maxKeys: 5 }), fc.dictionary(fc.constantFrom('X-A', 'x-a', 'Host', 'webhook-id', 'Content-Type'), fc.oneof(nastyString, anyJson), { maxKeys: 4 }), anyJson),
    ),
    idempotencyKey: mostly(fc.oneof(printable, fc.constant(null)), fc.oneof(nastyString, anyJson)),
    schedule: mostly(fc.oneof(fc.constantFrom('alipay', 'wechatpay', 'exponential'), fc.array(fc.constantFrom('15s', '4m', '2h', '100ms'), { maxLength: 5 })), fc.oneof(fc.constantFrom('weekly', 'ALIPAY', '__proto__', 'toString'), fc.array(durationish, { maxLength: 8 }), anyJson)),
    success: mostly(
      fc.record({ status: fc.oneof(fc.constant('2xx'), fc.array(fc.integer({ min: 100, max: 599 }), { minLength: 1, maxLength: 3 })), body: fc.oneof(fc.constant(null), fc.constant('success'), printable) }, { requiredKeys: [] }),
      fc.oneof(fc.record({ status: fc.oneof(fc.array(fc.integer({ min: -1, max: 1000 }), { maxLength: 4 }), anyJson), body: fc.oneof(nastyString, anyJson) }, { requiredKeys: [] }), anyJson),
    ),
    timeoutMs: mostly(fc.integer({ min: 100, max: 300_000 }), fc.oneof(fc.integer({ min: -10, max: 400_000 }), fc.double(), anyJson)),
    metadata: mostly(fc.oneof(fc.constant(null), fc.dictionary(printable, anyJson, { maxKeys: 3 })), anyJson),
    extra: fc.oneof({ arbitrary: fc.constant(null), weight: 7 }, { arbitrary: fc.dictionary(nastyString, anyJson, { minKeys: 1, maxKeys: 2 }), weight: 1 }),
  })
  .map(({ extra, ...fields }) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
    for (const [key, value] of Object.entries(extra ?? {})) if (!(key in out)) out[key] = value;
    return out;
  });

/** Header sets a careless or hostile client sends. */
const headerSet = fc.record(
  {
    'content-type': fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded', 'application/', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', ''),
    'idempotency-key': fc.oneof(fc.string({ maxLength: 20 }), fc.constant('k'.repeat(300))),
    authorization: fc.constantFrom(`Bearer ${TOKENS.admin}`, `bearer ${TOKENS.admin}`, `Bearer ${TOKENS.reader}`, `Bearer ${TOKENS.producer}`, 'Bearer', 'Basic dXNlcjpwYXNz', `Bearer ${TOKENS.admin}x`, ''),
    accept: fc.constantFrom('*/*', 'text/html', 'application/xml'),
    'content-encoding': fc.constantFrom('gzip', 'identity', 'br'),
    'x-forwarded-for': fc.ipV4(),
  },
  { requiredKeys: ['authorization'] },
);

const idish = (known: () => string[]) =>
  fc.oneof(
    fc.constant(null).map(() => known()[0] ?? 'ntf_none'),
    fc.nat().map((i) => known()[i % Math.max(1, known().length)] ?? 'ntf_none'),
    fc.constantFrom('ntf_0000', 'ntf_', '%2e%2e', '%00', 'a'.repeat(200), '..%2f..%2f', '%E0%A4%A', '%zz', '🙂', 'ntf_01H%0d%0aX'),
    fc.string({ maxLength: 30 }).map((s) => encodeURIComponent(s)),
  );

const queryValue = fc.oneof(
  fc.constantFrom('pending', 'delivered', 'dead', 'cancelled', 'DEAD', '1', '0', '-1', '1000', '1001', '99999999', '2h', '30m', '2026-11-24T08:00:00Z', 'not-a-date', 'eyJ4IjoxfQ', '', '%', '%zz'),
  fc.string({ maxLength: 20 }).map((s) => encodeURIComponent(s)),
);
const queryString = fc
  .array(fc.tuple(fc.constantFrom('status', 'limit', 'cursor', 'since', 'until', 'host', 'urlPrefix', 'lastError', 'x', '__proto__', 'limit[]'), queryValue), { maxLength: 4 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));

// ---------------------------------------------------------------- the properties

describe('fuzz: the HTTP API answers every request with a documented status and a JSON error', () => {
  let h: ApiHarness;
  const tally: Tally = { requests: 0, byStatus: new Map(), created: new Set() };
  const known: string[] = [];
  const inject = async (options: InjectOptions, what: string) => {
    const res = await h.app.inject(options);
    check(res, tally, what);
    if (res.statusCode === 202) known.push((JSON.parse(res.body) as { id: string }).id);
    return res;
  };

  beforeAll(async () => {
    // Loopback receivers are allowed, so some fuzzed URLs are accepted and stored.
    h = await startApi({ shared: true, config: { security: { allowHosts: ['127.0.0.1/32', 'example.com', '*.example.com'] } } });
    // Rows in every state, for the ops routes to act on.
    for (let i = 0; i < 8; i++) known.push(await h.enqueue(validBody({ url: `https://r${i}.example.com/notify` })));
    await h.attempt(known[0]!, 'success', 200);
    await h.attempt(known[1]!, 'http_error', 410);
    await h.attempt(known[2]!, 'blocked', null);
    await h.attempt(known[3]!, 'rejected', 200);
    await h.store.cancel(known[4]!, h.clock.now);
    for (const id of known) tally.created.add(id);
  });

  afterAll(async () => {
    // Every 202 names a stored row, and no row was stored without one.
    const counts = await h.store.counts();
    expect(counts.pending + counts.delivered + counts.dead + counts.cancelled).toBe(tally.created.size);
    for (const id of tally.created) expect(await h.store.get(id), `${id} answered 202 but is not stored`).not.toBeNull();
    const report = verifyLedger(h.store.db, { now: h.clock.now });
    expect(report.violations).toEqual([]);
    const statuses = [...tally.byStatus].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ');
    console.log(`API fuzz: ${tally.requests} requests (${statuses}); ${tally.created.size} stored; verify ${report.ok ? 'clean' : 'FAILED'} over ${report.notifications} notifications`);
    await h.close();
  });

  it('errors the router raises itself (malformed percent-encoding, an over-long id) leave in the JSON error shape', async () => {
    for (const [method, url] of [
      ['GET', '/v1/notifications/%zz'],
      ['POST', '/v1/notifications/%E0%A4%A/replay'],
      ['GET', `/v1/notifications/${'a'.repeat(101)}`],
      ['POST', `/v1/notifications/ntf_${'0'.repeat(200)}/cancel`],
    ] as const) {
      const res = await inject({ method, url, headers: bearer('admin') }, `${method} ${url}`);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.code, url).toBe('validation_failed');
    }
  });

  it('POST /v1/notifications with arbitrary JSON', async () => {
    await fc.assert(
      fc.asyncProperty(anyJson, async (payload) => {
        await inject({ method: 'POST', url: '/v1/notifications', payload: JSON.stringify(payload), headers: { ...bearer('admin'), 'content-type': 'application/json' } }, `enqueue ${JSON.stringify(payload).slice(0, 200)}`);
      }),
      runs(300),
    );
  });

  it('POST /v1/notifications with near-valid bodies (each field arbitrary in turn)', async () => {
    await fc.assert(
      fc.asyncProperty(nearValidBody, fc.boolean(), async (body, withKeyHeader) => {
        const headers: Record<string, string> = { ...bearer('admin'), 'content-type': 'application/json' };
        if (withKeyHeader && typeof body.idempotencyKey === 'string') headers['idempotency-key'] = body.idempotencyKey;
        let payload: string;
        try {
          payload = JSON.stringify(body);
        } catch {
          return; // not serialisable (a BigInt): nothing a client can send
        }
        await inject({ method: 'POST', url: '/v1/notifications', payload, headers }, `enqueue ${payload.slice(0, 300)}`);
      }),
      runs(600),
    );
  });

  it('POST /v1/notifications with arbitrary bytes and hostile headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 200 }), anyJson.map((v) => JSON.stringify(v)), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')), nearValidBody.map((b) => JSON.stringify(b).slice(0, 150))),
        headerSet,
        async (payload, headers) => {
          await inject({ method: 'POST', url: '/v1/notifications', payload, headers }, `enqueue ${JSON.stringify(headers)} ${payload.slice(0, 200)}`);
        },
      ),
      runs(400),
    );
  });

  it('the ops and read routes with junk ids, query strings, methods and bodies', async () => {
    const route = fc.oneof(
      idish(() => known).map((id) => ({ method: 'POST', url: `/v1/notifications/${id}/replay` })),
      idish(() => known).map((id) => ({ method: 'POST', url: `/v1/notifications/${id}/cancel` })),
      idish(() => known).map((id) => ({ method: 'GET', url: `/v1/notifications/${id}` })),
      queryString.map((q) => ({ method: 'GET', url: `/v1/notifications${q}` })),
      queryString.map((q) => ({ method: 'GET', url: `/v1/dead-letters${q}` })),
      fc.constant({ method: 'POST', url: '/v1/dead-letters/replay' }),
      fc.constantFrom('/healthz', '/readyz', '/metrics', '/v1/stats', '/openapi.json', '/ui', '/v1', '/v1/notifications/', '/v1/dead-letters/', '//v1/notifications', '/v1/notifications/x/y/z', '/%', '/v1/notifications/%zz/replay').map((url) => ({ method: 'GET', url })),
      fc.tuple(fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), fc.constantFrom('/v1/notifications', '/v1/dead-letters/replay', '/v1/notifications/ntf_x/replay')).map(([method, url]) => ({ method, url })),
    );
    const opsBody = fc.oneof(
      fc.constant(undefined),
      anyJson.map((v) => JSON.stringify(v)),
      fc.record({ force: fc.oneof(fc.boolean(), anyJson) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      fc
        .record({ since: queryValue, until: queryValue, host: nastyString, urlPrefix: urlish, limit: fc.oneof(fc.integer({ min: -5, max: 200_000 }), anyJson) }, { requiredKeys: [] })
        .map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 50 }),
    );
    await fc.assert(
      fc.asyncProperty(route, opsBody, fc.constantFrom<keyof typeof TOKENS | null>('admin', 'operator', 'reader', 'producer', null), async (r, body, token) => {
        const headers: Record<string, string> = token ? bearer(token) : {};
        if (body !== undefined) headers['content-type'] = 'application/json';
        await inject(
          { method: r.method as InjectOptions['method'], url: r.url, headers, ...(body !== undefined ? { payload: body } : {}) },
          `${r.method} ${r.url} as ${token} ${body ?? ''}`,
        );
      }),
      runs(600),
    );
  });
});

describe('fuzz: raw bytes at the real daemon', () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await startTestDaemon();
  });
  afterAll(async () => {
    expect(verifyLedger((daemon.daemon.store as SqliteNotificationStore).db, {}).violations).toEqual([]);
    await daemon.close();
  });

  /** Sends `raw` on a fresh connection; returns what came back (until close or 2 s). */
  function send(raw: Buffer): Promise<string> {
    const { port } = new URL(daemon.url);
    return new Promise((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => socket.destroy(), 2_000);
      socket.on('data', (c) => chunks.push(c));
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks).toString('latin1'));
      });
      socket.end(raw);
    });
  }

  it('request lines, headers and bodies that are half HTTP: answered 4xx or closed, never a 5xx or a crash', async () => {
    const requestLine = fc.tuple(
      fc.constantFrom('POST', 'GET', 'post', 'P0ST', '', 'CONNECT', 'TRACE'),
      fc.constantFrom('/v1/notifications', '/v1/notifications/ntf_x/replay', '/v1/dead-letters/replay', '*', 'http://evil/', '/%00', '/\u00e9', ''),
      fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 extra', 'HTTX', ''),
    );
    const header = fc.tuple(
      fc.constantFrom('Content-Type', 'Content-Length', 'Transfer-Encoding', 'Host', 'Idempotency-Key', 'Expect', 'X-A', 'Content Length', ''),
      fc.oneof(fc.constantFrom('application/json', 'chunked', '0', '-1', '99999999999', '10', 'gzip, chunked', '100-continue', '127.0.0.1'), fc.string({ maxLength: 20 })),
    );
    await fc.assert(
      fc.asyncProperty(requestLine, fc.array(header, { maxLength: 5 }), fc.oneof(fc.string({ maxLength: 80 }), fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v))), async ([method, path, version], headers, body) => {
        const head = `${method} ${path} ${version}\r\nHost: 127.0.0.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
        const answer = await send(Buffer.from(head + body, 'utf8'));
        for (const status of answer.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)) {
          expect(Number(status[1]), `${head}${body} → ${answer.slice(0, 300)}`).toBeLessThan(500);
        }
      }),
      runs(150),
    );
    // Still up and still storing.
    const { status } = await daemon.api('POST', '/v1/notifications', { url: 'http://127.0.0.1:9/after-fuzz', body: 'x', schedule: ['1h'] });
    expect(status).toBe(202);
    expect((await daemon.api('GET', '/healthz')).status).toBe(200);
  });
});
