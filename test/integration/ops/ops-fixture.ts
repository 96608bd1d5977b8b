import { Writable } from 'node:stream';
import { pino } from 'pino';
import { hashToken } from '../../../src/api/auth.js';
import { buildConfig, type Config } from '../../../src/config.js';
import { startDaemon, type Daemon, type DaemonOptions } from '../../../src/daemon.js';
import { mergeConfig } from '../../helpers/daemon.js';
import { tempDir } from '../../helpers/temp.js';

/** Plain-text tokens the ops daemons are configured with. */
export const TOKENS = {
  admin: 'tok-ops-admin-0123456789',
  reader: 'tok-ops-reader-0123456789',
  producer: 'tok-ops-producer-0123456789',
} as const;

export const TOKEN_CONFIG = [
  { name: 'admin', sha256: hashToken(TOKENS.admin), scopes: ['enqueue', 'read', 'ops'] },
  { name: 'reader', sha256: hashToken(TOKENS.reader), scopes: ['read'] },
  { name: 'producer', sha256: hashToken(TOKENS.producer), scopes: ['enqueue'] },
];

export function bearer(token: keyof typeof TOKENS | null): Record<string, string> {
  return token === null ? {} : { authorization: `Bearer ${TOKENS[token]}` };
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface OpsDaemon {
  daemon: Daemon;
  url: string;
  config: Config;
  /** Every log line the daemon wrote, parsed (the logger runs at debug). */
  logs: LogLine[];
  /** Calls the API with the admin token unless `token` says otherwise. */
  api<T = any>(method: string, path: string, body?: unknown, token?: keyof typeof TOKENS | null): Promise<{ status: number; body: T; text: string; headers: Headers }>;
  enqueue(body: Record<string, unknown>): Promise<string>;
  waitFor<T = any>(id: string, predicate: (view: T) => boolean, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

type Sections = Record<string, Record<string, unknown>>;

/**
 * The real daemon in-process, with tokens, on port 0, its ledger in a temp
 * dir, receivers on 127.0.0.1 allowed, and its JSON log lines captured at
 * debug level so tests can read them as an operator would grep them.
 */
export async function startOpsDaemon(overrides: Sections = {}, options: Pick<DaemonOptions, 'alerts'> = {}): Promise<OpsDaemon> {
  const dir = tempDir('notifyd-ops-');
  const config = buildConfig(
    mergeConfig(
      {
        listen: { host: '127.0.0.1', port: 0 },
        ledger: { path: dir.file('notifyd.db'), synchronous: 'normal' },
        security: { allowHosts: ['127.0.0.1/32'], tokens: TOKEN_CONFIG },
        delivery: { timeoutMs: 2_000, leaseMarginMs: 2_000, shutdownGraceMs: 2_000 },
        log: { level: 'debug' },
      },
      overrides,
    ),
  );
  const logs: LogLine[] = [];
  let partial = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      partial += chunk.toString('utf8');
      let newline: number;
      while ((newline = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, newline);
        partial = partial.slice(newline + 1);
        if (line.trim()) logs.push(JSON.parse(line) as LogLine);
      }
      done();
    },
  });
  const logger = pino({ level: 'debug', base: { service: 'notifyd' } }, sink);
  const daemon = await startDaemon({ config, logger, ...options });
  const url = daemon.url!;
  const api: OpsDaemon['api'] = async (method, path, body, token = 'admin') => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...bearer(token) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let parsed: any = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: response.status, body: parsed, text, headers: response.headers };
  };
  let passed = true;
  return {
    daemon,
    url,
    config,
    logs,
    api,
    async enqueue(body) {
      const res = await api('POST', '/v1/notifications', body);
      if (res.status !== 202) throw new Error(`enqueue failed: ${res.status} ${res.text}`);
      return res.body.id as string;
    },
    async waitFor(id, predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let last: any = null;
      while (Date.now() < deadline) {
        const res = await api('GET', `/v1/notifications/${id}`);
        if (res.status === 200) {
          last = res.body;
          if (predicate(res.body)) return res.body;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      passed = false;
      throw new Error(`notification ${id} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    },
    async close() {
      await daemon.close();
      // The ledger stays as evidence when something went wrong.
      if (passed) dir.cleanup();
    },
  };
}

/** One sample of the Prometheus text format: `name{a="x",b="y"}` → value. */
export type Samples = Map<string, number>;

/**
 * Parses the Prometheus text exposition format (0.0.4) into samples keyed by
 * name and sorted labels, and checks each line is well-formed as it goes.
 */
export function parsePrometheus(text: string): Samples {
  const samples: Samples = new Map();
  const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const match = sampleLine.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    const [, name, labelText, valueText] = match;
    const labels = [...(labelText ?? '').matchAll(label)].map((m) => `${m[1]}="${m[2]}"`).sort();
    // Prometheus reads values with Go's ParseFloat: NaN and Inf in any case (prom-client writes "Nan").
    const special: Record<string, number> = { '+inf': Infinity, inf: Infinity, '-inf': -Infinity, nan: Number.NaN };
    const lower = valueText!.toLowerCase();
    const value = lower in special ? special[lower]! : Number(valueText);
    if (Number.isNaN(value) && lower !== 'nan') throw new Error(`bad sample value in ${JSON.stringify(line)}`);
    samples.set(labels.length > 0 ? `${name}{${labels.join(',')}}` : name!, value);
  }
  return samples;
}

export function sample(samples: Samples, key: string): number {
  const value = samples.get(key);
  if (value === undefined) throw new Error(`no sample ${key}; have: ${[...samples.keys()].filter((k) => k.startsWith(key.split('{')[0]!)).join(', ')}`);
  return value;
}

export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
