import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterEach } from 'vitest';
import { buildApp, type ApiDeps } from '../../../src/api/build-app.js';
import { hashToken } from '../../../src/api/auth.js';
import { buildConfig } from '../../../src/config.js';
import type { AttemptOutcome } from '../../../src/domain/outcome.js';
import { openSqliteNotificationStore, type SqliteNotificationStore } from '../../../src/ledger/index.js';
import { DestinationPolicy } from '../../../src/sender/destination-policy.js';
import { tempDir } from '../../helpers/temp.js';

/** Plain-text tokens the harness configures, by role. */
export const TOKENS = {
  producer: 'tok-producer-0123456789',
  reader: 'tok-reader-0123456789',
  operator: 'tok-operator-0123456789',
  admin: 'tok-admin-0123456789',
} as const;
export type TokenName = keyof typeof TOKENS;

const TOKEN_CONFIG = [
  { name: 'producer', sha256: hashToken(TOKENS.producer), scopes: ['enqueue'] },
  { name: 'reader', sha256: hashToken(TOKENS.reader), scopes: ['read'] },
  { name: 'operator', sha256: hashToken(TOKENS.operator), scopes: ['ops'] },
  { name: 'admin', sha256: hashToken(TOKENS.admin), scopes: ['enqueue', 'read', 'ops'] },
];

export function bearer(name: TokenName): Record<string, string> {
  return { authorization: `Bearer ${TOKENS[name]}` };
}

export interface ApiHarness {
  app: FastifyInstance;
  store: SqliteNotificationStore;
  /** The clock the app and the store calls share; tests move it. */
  clock: { now: number };
  wakes: { count: number };
  /** inject() with the admin token unless `headers.authorization` is given (or auth is off). */
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  rowCount(): Promise<number>;
  /** Enqueues through the API (admin token) and returns the id. */
  enqueue(body: Record<string, unknown>, headers?: Record<string, string>): Promise<string>;
  /** Runs the notification's attempt through the store, as the scheduler would, with the given outcome. */
  attempt(id: string, outcome: AttemptOutcome, statusCode: number | null): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Config sections merged over the test defaults. */
  config?: Record<string, Record<string, unknown>>;
  /** Configure tokens (default true). */
  auth?: boolean;
  readiness?: ApiDeps['readiness'];
  /** Shared by many tests (a table): the caller closes it in afterAll instead of after each test. */
  shared?: boolean;
}

const open: ApiHarness[] = [];
let failed = false;

// Temp files are removed only when the test passed, so a failure keeps its ledger as evidence.
afterEach(async (context) => {
  if (context.task.result?.state === 'fail') failed = true;
  const harnesses = open.splice(0);
  for (const h of harnesses) await h.close();
});

export async function startApi(options: HarnessOptions = {}): Promise<ApiHarness> {
  const dir = tempDir('notifyd-api-');
  const sections = options.config ?? {};
  const config = buildConfig({
    ...sections,
    ledger: { path: dir.file('ledger.db'), synchronous: 'normal', ...sections.ledger },
    security: { ...(options.auth === false ? {} : { tokens: TOKEN_CONFIG }), ...sections.security },
  });
  const store = openSqliteNotificationStore({
    path: config.ledger.path,
    synchronous: config.ledger.synchronous,
    busyTimeoutMs: config.ledger.busyTimeoutMs,
    groupCommitMaxWaitMs: 0,
  });
  const clock = { now: Date.parse('2026-11-24T08:00:00.000Z') };
  const wakes = { count: 0 };
  const app = await buildApp({
    store,
    config,
    destinations: new DestinationPolicy({ allowPrivateNetworks: false, allowHosts: [] }),
    onEnqueued: () => {
      wakes.count++;
    },
    now: () => clock.now,
    ...(options.readiness ? { readiness: options.readiness } : {}),
  });
  await app.ready();

  const harness: ApiHarness = {
    app,
    store,
    clock,
    wakes,
    request(opts) {
      const headers = { ...(options.auth === false ? {} : bearer('admin')), ...(opts.headers as Record<string, string>) };
      return app.inject({ ...opts, headers });
    },
    async rowCount() {
      const c = await store.counts();
      return c.pending + c.delivered + c.dead + c.cancelled;
    },
    async enqueue(body, headers = {}) {
      const res = await harness.request({ method: 'POST', url: '/v1/notifications', payload: body, headers });
      if (res.statusCode !== 202) throw new Error(`enqueue failed: ${res.statusCode} ${res.body}`);
      return res.json().id as string;
    },
    async attempt(id, outcome, statusCode) {
      const jobs = await store.leaseDue({
        now: clock.now,
        limit: 1000,
        leaseMs: 60_000,
        hostSlotsLeft: new Map(),
        perHostLimit: 1000,
      });
      const job = jobs.find((j) => j.notificationId === id);
      if (!job) throw new Error(`notification ${id} was not due at ${new Date(clock.now).toISOString()}`);
      // Give back the leases of the others so each test stays in control of its own rows.
      await store.releaseLeases(jobs.filter((j) => j !== job).map((j) => j.notificationId), clock.now);
      await store.applyResults(
        [
          {
            notificationId: id,
            attempt: job.attempt,
            startedAt: clock.now,
            durationMs: 12,
            outcome,
            statusCode,
            error: outcome === 'success' ? null : `HTTP ${statusCode}`,
            responseExcerpt: outcome === 'success' ? 'success' : 'nope',
            retryAfterMs: null,
          },
        ],
        clock.now,
      );
    },
    async close() {
      await app.close();
      await store.close();
      if (!failed) dir.cleanup();
    },
  };
  if (!options.shared) open.push(harness);
  return harness;
}

/** A minimal valid enqueue body. */
export function validBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    url: 'https://merchant.example.com/alipay/notify',
    body: { out_trade_no: '20261124-0001', trade_status: 'TRADE_SUCCESS' },
    ...overrides,
  };
}
