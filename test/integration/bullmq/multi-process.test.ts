import { afterEach, describe, expect, it } from 'vitest';
import { startChildDaemon, type ChildDaemon } from '../../helpers/child-daemon.js';
import { waitForDelivered, withLedger } from '../../helpers/ledger-file.js';
import { TestReceiver } from '../../helpers/receiver.js';
import { tempDir } from '../../helpers/temp.js';
import { SHARED_REDIS_URL, dropPrefix, randomPrefix } from './fixtures.js';

/**
 * A real BullMQ deployment on one machine: `notifyd start --role api` (the
 * ledger node, no local POSTs) and two `notifyd start --role worker`
 * processes, all built from dist/ (`npm run build` first), sharing the
 * machine's Redis under a random prefix.
 */
describe('bullmq deployment: one --role api and two --role worker processes', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function configFor(dbPath: string, prefix: string) {
    return {
      listen: { host: '127.0.0.1', port: 0 },
      ledger: { path: dbPath, synchronous: 'normal' },
      redis: { url: SHARED_REDIS_URL, prefix, dispatchWindow: 256 },
      security: { allowHosts: ['127.0.0.1/32'] },
      delivery: {
        concurrency: 64,
        perHostConcurrency: 256,
        timeoutMs: 2_000,
        leaseMarginMs: 1_000,
        shutdownGraceMs: 2_000,
        schedule: ['200ms', '200ms', '200ms'],
      },
      log: { level: 'info' },
    };
  }

  async function startDeployment() {
    const dir = tempDir('notifyd-bullmq-mp-');
    const dbPath = dir.file('ledger.db');
    const prefix = randomPrefix();
    const config = configFor(dbPath, prefix);
    const children: ChildDaemon[] = [];
    cleanups.push(() => dir.cleanup(), () => dropPrefix(SHARED_REDIS_URL, prefix));
    const start = async (role: 'api' | 'worker', name: string) => {
      const child = await startChildDaemon({ configPath: dir.file(`${name}.json`), config, args: ['--role', role] });
      children.push(child);
      cleanups.push(async () => {
        child.kill('SIGKILL');
        await child.exited;
      });
      return child;
    };
    const api = await start('api', 'api');
    const workers = [await start('worker', 'worker-a'), await start('worker', 'worker-b')];
    return { api, workers, dbPath };
  }

  async function enqueueAll(apiUrl: string, urls: (i: number) => string, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let start = 0; start < count; start += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, count - start) }, async (_, k) => {
          const i = start + k;
          const response = await fetch(`${apiUrl}/v1/notifications`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ url: urls(i), body: { seq: i } }),
          });
          if (response.status !== 202) throw new Error(`enqueue ${i}: ${response.status} ${await response.text()}`);
          return ((await response.json()) as { id: string }).id;
        }),
      );
      ids.push(...batch);
    }
    return ids;
  }

  /** Per notification: attempts the ledger counts, attempt rows recorded, and their outcomes in order. */
  function ledgerView(dbPath: string): Map<string, { attempts: number; rows: number; outcomes: string[] }> {
    return withLedger(dbPath, (db) => {
      const view = new Map<string, { attempts: number; rows: number; outcomes: string[] }>();
      for (const row of db.prepare('SELECT id, attempts FROM notifications').all() as Array<{ id: string; attempts: number }>) {
        view.set(row.id, { attempts: row.attempts, rows: 0, outcomes: [] });
      }
      for (const row of db.prepare('SELECT notification_id AS id, n, outcome FROM attempts ORDER BY notification_id, n').all() as Array<{
        id: string;
        n: number;
        outcome: string;
      }>) {
        const entry = view.get(row.id)!;
        entry.rows += 1;
        expect(row.n).toBe(entry.rows); // attempt numbers 1..N, each once
        entry.outcomes.push(row.outcome);
      }
      return view;
    });
  }

  /** SIGTERM, then the number of attempts the worker says it reported in its "stopped" line. */
  async function stopWorker(worker: ChildDaemon): Promise<number> {
    worker.kill('SIGTERM');
    const exit = await worker.exited;
    expect(exit.code).toBe(0);
    const stopped = worker.logs.map((l) => safeJson(l)).find((l) => l?.msg === 'notifyd worker stopped');
    expect(stopped).toBeDefined();
    return Number(stopped!.attemptsReported);
  }

  it('delivers 2,000 notifications (half failing twice first) exactly as the ledger records them, each attempt once', async () => {
    const calls = new Map<string, number>();
    const receiver = await TestReceiver.start((req) => {
      const id = String(req.headers['webhook-id']);
      const n = (calls.get(id) ?? 0) + 1;
      calls.set(id, n);
      return req.path === '/flaky' && n <= 2 ? { status: 500, body: 'not yet' } : { status: 200, body: 'success' };
    });
    cleanups.push(() => receiver.close());
    const { api, workers, dbPath } = await startDeployment();

    const ids = await enqueueAll(api.url!, (i) => receiver.url(i % 2 === 0 ? '/flaky' : '/steady'), 2_000);
    expect(await waitForDelivered(dbPath, 2_000, 50_000)).toBe(2_000);

    const view = ledgerView(dbPath);
    for (const [i, id] of ids.entries()) {
      const entry = view.get(id)!;
      const expected = i % 2 === 0 ? ['http_error', 'http_error', 'success'] : ['success'];
      expect(entry.outcomes).toEqual(expected);
      expect(entry.attempts).toBe(expected.length);
      // No fault, so no duplicate: the receiver saw exactly the attempts the ledger recorded.
      expect(receiver.requestsFor(id)).toHaveLength(expected.length);
    }
    // Both workers took a share; together they reported every POST.
    const reported = [await stopWorker(workers[0]!), await stopWorker(workers[1]!)];
    expect(reported.every((n) => n > 0)).toBe(true);
    expect(reported[0]! + reported[1]!).toBe(receiver.requests.length);
    expect(receiver.requests.length).toBe(1_000 * 3 + 1_000);
  });

  it('loses nothing when a worker is killed with kill -9 mid-run: the other worker re-runs its attempts', async () => {
    const receiver = await TestReceiver.start(() => ({ status: 200, body: 'success', delayMs: 100 }));
    cleanups.push(() => receiver.close());
    const { api, workers, dbPath } = await startDeployment();

    const ids = await enqueueAll(api.url!, () => receiver.url(), 600);
    await receiver.waitFor((reqs) => reqs.length >= 150, 20_000);
    workers[0]!.kill('SIGKILL');
    expect((await workers[0]!.exited).signal).toBe('SIGKILL');
    const seenAtKill = new Set(receiver.requests.map((r) => String(r.headers['webhook-id']))).size;
    expect(seenAtKill).toBeLessThan(ids.length);

    expect(await waitForDelivered(dbPath, ids.length, 50_000)).toBe(ids.length);
    const view = ledgerView(dbPath);
    for (const id of ids) {
      expect(view.get(id)).toMatchObject({ attempts: 1, rows: 1, outcomes: ['success'] });
      expect(receiver.requestsFor(id).length).toBeGreaterThanOrEqual(1);
    }
    // Duplicates (at-least-once) only for what the killed worker had in flight: at most its concurrency.
    expect(receiver.requests.length - ids.length).toBeLessThanOrEqual(64);
    // The survivor finished the killed worker's attempts (through BullMQ's stalled-job check, or the
    // ledger's lease expiry when the machine is too loaded for the check to come first).
    expect(await stopWorker(workers[1]!)).toBeGreaterThan(0);
  });
});

function safeJson(line: string): Record<string, unknown> | null {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
}
