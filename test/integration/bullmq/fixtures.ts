import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { buildConfig, type Config } from '../../../src/config.js';
import type { AttemptJob } from '../../../src/domain/notification.js';
import type { AttemptResult } from '../../../src/domain/outcome.js';
import type { Executor } from '../../../src/domain/ports.js';
import { DEFAULT_SUCCESS_RULE } from '../../../src/domain/success-rule.js';
import type { TestReceiver } from '../../helpers/receiver.js';

/** The machine's shared Redis; every test uses its own random prefix in it. */
export const SHARED_REDIS_URL = process.env.NOTIFYD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function randomPrefix(): string {
  return `notifyd-test-${randomBytes(6).toString('hex')}`;
}

/** A config for the bullmq parts alone (no ledger, no API): the SSRF guard opened for 127.0.0.1 only. */
export function bullmqConfig(overrides: { redis?: Record<string, unknown>; delivery?: Record<string, unknown> } = {}): Config {
  return buildConfig({
    redis: { url: SHARED_REDIS_URL, prefix: randomPrefix(), dispatchWindow: 100, ...overrides.redis },
    security: { allowHosts: ['127.0.0.1/32'] },
    delivery: { concurrency: 16, timeoutMs: 2_000, leaseMarginMs: 2_000, shutdownGraceMs: 1_000, ...overrides.delivery },
  });
}

/** A pino logger whose lines the test can read (and print with NOTIFYD_TEST_LOG=1). */
export function capturedLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        lines.push(JSON.parse(line) as Record<string, unknown>);
        if (process.env.NOTIFYD_TEST_LOG) process.stderr.write(`${line}\n`);
      }
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines: () => lines };
}

let sequence = 0;

/** An attempt as the scheduler would hand it over. */
export function attemptFor(receiver: TestReceiver, overrides: Partial<AttemptJob> = {}): AttemptJob {
  sequence += 1;
  const notificationId = `ntf_${Date.now().toString(16)}${randomBytes(10).toString('hex')}`;
  return {
    notificationId,
    attempt: 1,
    url: receiver.url(),
    host: `127.0.0.1:${receiver.port}`,
    body: JSON.stringify({ seq: sequence }),
    contentType: 'application/json',
    headers: {},
    timeoutMs: 2_000,
    success: DEFAULT_SUCCESS_RULE,
    leaseUntil: Date.now() + 10_000,
    first: true,
    ...overrides,
  };
}

/** Records every result the executor reports, the way the scheduler's handler receives them. */
export function collectResults(executor: Executor, commit: (results: AttemptResult[]) => Promise<void> = async () => {}) {
  const results: AttemptResult[] = [];
  const batches: number[] = [];
  executor.onResults(async (batch) => {
    await commit(batch);
    batches.push(batch.length);
    results.push(...batch);
  });
  return {
    results,
    batches,
    async waitFor(count: number, timeoutMs = 10_000): Promise<AttemptResult[]> {
      const deadline = Date.now() + timeoutMs;
      while (results.length < count) {
        if (Date.now() > deadline) throw new Error(`only ${results.length} of ${count} results within ${timeoutMs} ms`);
        await sleep(20);
      }
      return results;
    },
  };
}

/** Every key under a prefix (small test prefixes only). */
export async function keysUnder(url: string, prefix: string): Promise<string[]> {
  const client = new Redis(url);
  try {
    return await client.keys(`${prefix}:*`);
  } finally {
    client.disconnect();
  }
}

/** Deletes what a test left under its prefix in a shared Redis (BullMQ's bookkeeping keys: meta, id, events). */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url);
  try {
    const keys = await client.keys(`${prefix}:*`);
    if (keys.length > 0) await client.del(...keys);
  } finally {
    client.disconnect();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
