import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { NotifydError } from './domain/errors.js';
import { DEFAULT_HOST_BACKOFF } from './domain/host-backoff.js';
import { isSchedulePreset, resolveSchedule } from './domain/schedule.js';

/**
 * Configuration: defaults → file (`-c`) → `NOTIFYD_*` environment → flags,
 * validated once at start and frozen. A bad key or value stops the daemon
 * with a message naming the key.
 */

const successRule = z
  .object({
    status: z.union([z.literal('2xx'), z.array(z.number().int().min(100).max(599)).min(1)]).default('2xx'),
    body: z.string().nullable().default('success'),
  })
  .strict();

const scheduleSpec = z.union([
  z.string().refine(isSchedulePreset, { message: 'unknown schedule preset (alipay, wechatpay, exponential)' }),
  z.array(z.string()).max(100),
]);

const tokenEntry = z
  .object({
    name: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex characters (sha256 of the token)'),
    scopes: z.array(z.enum(['enqueue', 'read', 'ops'])).min(1),
  })
  .strict();

export const ConfigSchema = z
  .object({
    listen: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
      })
      .strict()
      .prefault({}),
    ledger: z
      .object({
        path: z.string().min(1).default('./notifyd.db'),
        synchronous: z.enum(['off', 'normal', 'full', 'extra']).default('full'),
        busyTimeoutMs: z.number().int().min(0).default(5000),
        /**
         * Longest a write may wait to share a transaction with others (group commit).
         * 0: commit at the end of the event-loop turn. Writes still share commits:
         * those that arrive while one commit's fsync holds the loop go in the next.
         */
        groupCommitMaxWaitMs: z.number().int().min(0).max(100).default(0),
        /**
         * Run the ledger's writes (inserts, updates, commits, fsyncs) on a worker
         * thread with its own connection, off the event loop that serves the API
         * and drives deliveries. false: on the event loop.
         */
        writerThread: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        url: z.string().url().nullable().default(null),
        /** BullMQ key prefix: several notifyd deployments can share one Redis. */
        prefix: z.string().min(1).default('notifyd'),
        /** Attempts in Redis at once, at most: the backlog stays in SQLite. */
        dispatchWindow: z.number().int().min(1).default(1000),
      })
      .strict()
      .prefault({}),
    delivery: z
      .object({
        concurrency: z.number().int().min(1).max(10_000).default(64),
        perHostConcurrency: z.number().int().min(1).max(10_000).default(16),
        timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
        maxResponseBytes: z.number().int().min(64).max(64 * 1024 * 1024).default(65_536),
        followRedirects: z.boolean().default(false),
        schedule: scheduleSpec.default('alipay'),
        success: successRule.prefault({}),
        /** 0 = off; 0.2 spreads each wait over ±20 %. */
        jitter: z.number().min(0).max(1).default(0),
        /**
         * The per-host circuit breaker: after `afterFailures` connection failures in a
         * row (refused, DNS, reset) a host gets no attempts for `initialMs`, then one
         * probe; each failed probe doubles the pause up to `maxMs`. 0 failures = off.
         */
        hostBackoff: z
          .object({
            afterFailures: z.number().int().min(0).default(DEFAULT_HOST_BACKOFF.afterFailures),
            initialMs: z.number().int().min(10).max(3_600_000).default(DEFAULT_HOST_BACKOFF.initialMs),
            maxMs: z.number().int().min(10).max(3_600_000).default(DEFAULT_HOST_BACKOFF.maxMs),
          })
          .strict()
          .refine((b) => b.maxMs >= b.initialMs, { message: 'maxMs must be at least initialMs', path: ['maxMs'] })
          .prefault({}),
        /** Added to an attempt's timeout to form its lease: past it, the attempt is re-run. */
        leaseMarginMs: z.number().int().min(100).default(30_000),
        /** SIGTERM: how long in-flight attempts may take to finish. */
        shutdownGraceMs: z.number().int().min(0).default(10_000),
        userAgent: z.string().default('notifyd/0.1 (+https://github.com/notifyd/notifyd)'),
      })
      .strict()
      .prefault({}),
    security: z
      .object({
        tokens: z.array(tokenEntry).default([]),
        allowPrivateNetworks: z.boolean().default(false),
        /** Hosts (exact or `*.suffix`) and CIDRs the SSRF guard lets through. */
        allowHosts: z.array(z.string().min(1)).default([]),
        /** Listen on a non-loopback address with no tokens configured. */
        insecure: z.boolean().default(false),
        rateLimit: z
          .object({
            /** Requests per token (or client address) per window; 0 disables. */
            max: z.number().int().min(0).default(0),
            windowMs: z.number().int().min(1).default(1000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    signing: z
      .object({
        secret: z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/, 'must be whsec_<base64>').nullable().default(null),
        /** Still signed with during a rotation, so receivers holding the old secret keep verifying. */
        previousSecrets: z.array(z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/, 'must be whsec_<base64>')).default([]),
      })
      .strict()
      .prefault({}),
    alerts: z
      .object({
        deadLetterWebhook: z.string().url().nullable().default(null),
        secret: z.string().nullable().default(null),
        minIntervalSeconds: z.number().int().min(0).default(60),
        /** Ids listed in one alert, at most. */
        maxIds: z.number().int().min(1).default(20),
        /** Base URL of the dashboard, for links in alerts. */
        dashboardUrl: z.string().url().nullable().default(null),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({
        maxBodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1_048_576),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export type Role = 'all' | 'api' | 'worker';

/** Flags of `notifyd start` that override the config. */
export interface ConfigFlags {
  host?: string;
  port?: number;
  db?: string;
  redis?: string;
  insecure?: boolean;
}

export function defaultConfig(): Config {
  return parseConfig({});
}

/**
 * NOTIFYD_<SECTION>_<KEY> sets `section.key` (camelCase from SNAKE_CASE):
 * NOTIFYD_LISTEN_PORT=9000, NOTIFYD_REDIS_URL=redis://…,
 * NOTIFYD_DELIVERY_PER_HOST_CONCURRENCY=4. Values are parsed as JSON when
 * they are JSON (numbers, booleans, arrays, null) and the key takes that,
 * else taken as strings.
 */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, Record<string, unknown>> {
  const sections = Object.keys(ConfigSchema.shape);
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('NOTIFYD_') || raw === undefined) continue;
    const rest = name.slice('NOTIFYD_'.length).toLowerCase();
    const section = sections.find((s) => rest.startsWith(`${s.toLowerCase()}_`));
    if (!section) continue; // NOTIFYD_SERVER, NOTIFYD_TOKEN belong to the CLI client.
    const key = rest.slice(section.length + 1).replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    const sectionSchema = ConfigSchema.shape[section as keyof typeof ConfigSchema.shape];
    (out[section] ??= {})[key] = parseEnvValue(raw, (value) => sectionSchema.safeParse({ [key]: value }).success);
  }
  return out;
}

/**
 * JSON when the text is JSON, else the text. But a value that is JSON of the
 * wrong kind for its key, where the text itself is right, is the text: a
 * host `0`, a secret or a path made of digits, `null` as a file name.
 */
function parseEnvValue(raw: string, accepts: (value: unknown) => boolean): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return raw;
  }
  return !accepts(parsed) && accepts(raw) ? raw : parsed;
}

function flagsToConfig(flags: ConfigFlags): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  if (flags.host !== undefined) (out.listen ??= {}).host = flags.host;
  if (flags.port !== undefined) (out.listen ??= {}).port = flags.port;
  if (flags.db !== undefined) (out.ledger ??= {}).path = flags.db;
  if (flags.redis !== undefined) (out.redis ??= {}).url = flags.redis;
  if (flags.insecure !== undefined) (out.security ??= {}).insecure = flags.insecure;
  return out;
}

function mergeSections(...layers: Record<string, unknown>[]): Record<string, unknown> {
  const out = new Map<string, unknown>();
  for (const layer of layers) {
    for (const [section, value] of Object.entries(layer)) {
      const previous = out.get(section);
      out.set(section, isPlainObject(value) && isPlainObject(previous) ? { ...previous, ...value } : value);
    }
  }
  return Object.fromEntries(out);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new NotifydError('config_invalid', `config: cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new NotifydError('config_invalid', `config: ${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  if (!isPlainObject(parsed)) throw new NotifydError('config_invalid', `config: ${path} must hold a JSON object`);
  // Keys starting with "$" or "//" are comments in config.example.json.
  return stripComments(parsed);
}

function stripComments(value: Record<string, unknown>): Record<string, unknown> {
  // fromEntries, not assignment: a "__proto__" key stays an own (so unknown, so rejected) key.
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !k.startsWith('$') && !k.startsWith('//'))
      .map(([k, v]) => [k, stripCommentsIn(v)]),
  );
}

// Comments may annotate objects inside arrays too (a token entry, say).
function stripCommentsIn(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripCommentsIn);
  return isPlainObject(value) ? stripComments(value) : value;
}

/** Validates a merged config object; the error names every bad key. */
export function parseConfig(input: unknown): Config {
  const result = ConfigSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(root)';
      const message =
        issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : issue.message;
      return `${key}: ${message}`;
    });
    const first = result.error.issues[0];
    throw new NotifydError('config_invalid', `invalid config: ${problems.join('; ')}`, {
      field: first ? first.path.join('.') : undefined,
      details: { problems },
    });
  }
  const config = result.data;
  // Custom schedules are checked with the same parser the API uses, so a bad delay names its index.
  try {
    resolveSchedule(config.delivery.schedule, 'delivery.schedule');
  } catch (cause) {
    throw new NotifydError('config_invalid', `invalid config: ${(cause as Error).message}`, { cause, field: 'delivery.schedule' });
  }
  return deepFreeze(config);
}

export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv; flags?: ConfigFlags } = {}): Config {
  const fromFile = options.file ? readConfigFile(options.file) : {};
  return parseConfig(mergeSections(fromFile, configFromEnv(options.env ?? {}), flagsToConfig(options.flags ?? {})));
}

/** Builds a config from partial sections (tests, embedding). */
export function buildConfig(partial: Record<string, unknown> = {}): Config {
  return parseConfig(mergeSections(partial));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
}
