import { buildConfig, type Config } from '../../src/config.js';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { tempDir } from './temp.js';

export interface TestDaemon {
  daemon: Daemon;
  url: string;
  config: Config;
  /** Calls the API; returns status and parsed JSON. */
  api<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
  /** Polls GET /v1/notifications/:id until `predicate` holds. */
  waitForNotification<T = any>(id: string, predicate: (view: T) => boolean, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

type Sections = Record<string, Record<string, unknown>>;

/** Merges section by section (one level deep), the way config layers merge. */
export function mergeConfig(...layers: Sections[]): Sections {
  const out: Sections = {};
  for (const layer of layers) for (const [k, v] of Object.entries(layer)) out[k] = { ...out[k], ...v };
  return out;
}

/**
 * The real daemon in-process: real HTTP server on port 0, real SQLite file in
 * a temp dir, the SSRF guard opened for 127.0.0.1 only (test receivers live there).
 */
export async function startTestDaemon(overrides: Sections = {}, role: 'all' | 'api' = 'all'): Promise<TestDaemon> {
  const dir = tempDir();
  const config = buildConfig(
    mergeConfig(
      {
        listen: { host: '127.0.0.1', port: 0 },
        ledger: { path: dir.file('notifyd.db'), synchronous: 'normal' },
        security: { allowHosts: ['127.0.0.1/32'] },
        delivery: { timeoutMs: 2_000, leaseMarginMs: 2_000, shutdownGraceMs: 2_000 },
        log: { level: process.env.NOTIFYD_TEST_LOG ?? 'silent' },
      },
      overrides,
    ),
  );
  const daemon = await startDaemon({ config, role });
  const url = daemon.url!;
  const api: TestDaemon['api'] = async (method, path, body, headers = {}) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
  return {
    daemon,
    url,
    config,
    api,
    async waitForNotification(id, predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let last: any = null;
      while (Date.now() < deadline) {
        const { status, body } = await api('GET', `/v1/notifications/${id}`);
        if (status === 200) {
          last = body;
          if (predicate(body)) return body;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`notification ${id} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    },
    async close() {
      await daemon.close();
      dir.cleanup();
    },
  };
}
