import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startApi, TOKENS, validBody, type ApiHarness, type TokenName } from './harness.js';

type Method = 'GET' | 'POST';
interface Route {
  method: Method;
  url: string;
  scope: 'enqueue' | 'read' | 'ops';
  payload?: Record<string, unknown>;
}

const ROUTES: Route[] = [
  { method: 'POST', url: '/v1/notifications', scope: 'enqueue', payload: validBody() },
  { method: 'GET', url: '/v1/notifications/ntf_x', scope: 'read' },
  { method: 'GET', url: '/v1/notifications', scope: 'read' },
  { method: 'GET', url: '/v1/dead-letters', scope: 'read' },
  { method: 'POST', url: '/v1/notifications/ntf_x/replay', scope: 'ops', payload: {} },
  { method: 'POST', url: '/v1/notifications/ntf_x/cancel', scope: 'ops', payload: {} },
  { method: 'POST', url: '/v1/dead-letters/replay', scope: 'ops', payload: {} },
];

/** Which configured token holds which scope (admin holds all). */
const HOLDER: Record<Route['scope'], TokenName> = { enqueue: 'producer', read: 'reader', ops: 'operator' };
const OTHERS: Record<Route['scope'], TokenName[]> = {
  enqueue: ['reader', 'operator'],
  read: ['producer', 'operator'],
  ops: ['producer', 'reader'],
};

const BAD_AUTHORIZATION: Array<[string, Record<string, string>]> = [
  ['no Authorization header', {}],
  ['an empty Authorization header', { authorization: '' }],
  ['the Basic scheme', { authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` }],
  ['Bearer without a token', { authorization: 'Bearer' }],
  ['Bearer with a blank token', { authorization: 'Bearer    ' }],
  ['a token that is not configured', { authorization: 'Bearer tok-guess-0123456789' }],
  ['the token hash instead of the token', { authorization: `Bearer ${'a'.repeat(64)}` }],
  ['a valid token with a suffix', { authorization: `Bearer ${TOKENS.admin}x` }],
  ['a bare token without a scheme', { authorization: TOKENS.admin }],
];

/** One app for the big tables: each case checks the row count around itself. */
let shared: ApiHarness;
beforeAll(async () => {
  shared = await startApi({ shared: true });
});
afterAll(async () => {
  await shared.close();
});

describe('authentication', () => {
  const cases = ROUTES.flatMap((route) => BAD_AUTHORIZATION.map(([what, headers]) => ({ route, what, headers })));

  it.each(cases)('$route.method $route.url with $what → 401', async ({ route, headers }) => {
    const h = shared;
    const before = await h.rowCount();
    const res = await h.app.inject({ method: route.method, url: route.url, headers, ...(route.payload ? { payload: route.payload } : {}) });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    expect(await h.rowCount()).toBe(before);
  });

  it('accepts the scheme name in any case', async () => {
    const h = await startApi();
    const res = await h.app.inject({ method: 'GET', url: '/v1/notifications', headers: { authorization: `bearer ${TOKENS.reader}` } });
    expect(res.statusCode).toBe(200);
  });

  it('checks the token before reading the body: no 413/415/400 for strangers', async () => {
    const h = await startApi();
    for (const payload of ['x'.repeat(2_000_000), '{not json', '[]']) {
      const res = await h.app.inject({ method: 'POST', url: '/v1/notifications', payload, headers: { 'content-type': 'application/json' } });
      expect(res.statusCode).toBe(401);
    }
    const wrongType = await h.app.inject({ method: 'POST', url: '/v1/notifications', payload: 'a', headers: { 'content-type': 'text/plain' } });
    expect(wrongType.statusCode).toBe(401);
  });

  it('leaves /healthz and /readyz open, and answers unknown routes 404 without asking for a token', async () => {
    const h = shared;
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const unknown = await h.app.inject({ method: 'DELETE', url: '/v1/notifications/ntf_x' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('not_found');
  });

  it('guards HEAD like GET', async () => {
    const h = shared;
    expect((await h.app.inject({ method: 'HEAD', url: '/v1/notifications' })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'HEAD', url: '/v1/notifications', headers: bearer('reader') })).statusCode).toBe(200);
  });

  it('is off when no tokens are configured', async () => {
    const h = await startApi({ auth: false });
    const res = await h.app.inject({ method: 'POST', url: '/v1/notifications', payload: validBody() });
    expect(res.statusCode).toBe(202);
    expect((await h.app.inject({ method: 'GET', url: '/v1/notifications' })).statusCode).toBe(200);
  });
});

describe('scopes', () => {
  const denied = ROUTES.flatMap((route) => OTHERS[route.scope].map((token) => ({ route, token })));

  it.each(denied)('$token on $route.method $route.url → 403', async ({ route, token }) => {
    const h = shared;
    const before = await h.rowCount();
    const res = await h.app.inject({ method: route.method, url: route.url, headers: bearer(token), ...(route.payload ? { payload: route.payload } : {}) });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('forbidden');
    expect(res.json().error.message).toContain(route.scope);
    expect(await h.rowCount()).toBe(before);
  });

  it.each(ROUTES)('the $scope token passes $method $url', async (route) => {
    const h = shared;
    const res = await h.app.inject({
      method: route.method,
      url: route.url,
      headers: bearer(HOLDER[route.scope]),
      ...(route.payload ? { payload: route.payload } : {}),
    });
    expect([401, 403]).not.toContain(res.statusCode);
  });
});

describe('rate limit', () => {
  it('answers 429 rate_limited with Retry-After once a token spends its budget; other tokens are unaffected', async () => {
    const h = await startApi({ config: { security: { rateLimit: { max: 3, windowMs: 60_000 } } } });
    for (let i = 0; i < 3; i++) {
      const ok = await h.app.inject({ method: 'GET', url: '/v1/notifications', headers: bearer('reader') });
      expect(ok.statusCode).toBe(200);
    }
    const limited = await h.app.inject({ method: 'GET', url: '/v1/notifications', headers: bearer('reader') });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });

    // The budget is the token's, across routes.
    const otherRoute = await h.app.inject({ method: 'GET', url: '/v1/dead-letters', headers: bearer('reader') });
    expect(otherRoute.statusCode).toBe(429);
    const otherToken = await h.app.inject({ method: 'POST', url: '/v1/notifications', headers: bearer('producer'), payload: validBody() });
    expect(otherToken.statusCode).toBe(202);
    // Probes are never throttled.
    for (let i = 0; i < 5; i++) expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('keys on the client address when auth is off', async () => {
    const h = await startApi({ auth: false, config: { security: { rateLimit: { max: 2, windowMs: 60_000 } } } });
    const before = await h.rowCount();
    expect((await h.app.inject({ method: 'GET', url: '/v1/notifications' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/v1/notifications' })).statusCode).toBe(200);
    const limited = await h.app.inject({ method: 'POST', url: '/v1/notifications', payload: validBody() });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.json().error.code).toBe('rate_limited');
    expect(await h.rowCount()).toBe(before);
    const other = await h.app.inject({ method: 'GET', url: '/v1/notifications', remoteAddress: '192.0.2.7' });
    expect(other.statusCode).toBe(200);
  });
});
