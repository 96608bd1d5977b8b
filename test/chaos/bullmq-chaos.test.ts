import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import { RedisServer } from '../integration/bullmq/redis-server.js';
import { chaosSeed, FULL, seededRandom, size } from './chaos-size.js';
import { freePort, report, startChaosDaemon, statusCounts, verifyCli, verifyFile, waitUntil, withLedger, type ChaosDaemon } from './chaos-daemon.js';
import { checkEndState, kindOf, SCHEDULES, startMixedReceivers, type Kind } from './mixed-receivers.js';
import { produce } from './producer.js';

/**
 * The crash loop with the bullmq executor: a ledger node (`notifyd start
 * --role api`), two workers (`--role worker`) and a private redis-server
 * without persistence. At random moments a worker or the ledger node is
 * killed with SIGKILL and restarted, and Redis is killed and restarted
 * empty twice (every job and outcome in it gone). The end state must be
 * what each receiver dictates, exactly as with the inline executor.
 *
 * npm test: 1,500 notifications, 6 faults. npm run chaos: 20,000, 12 faults.
 */

const NOTIFICATIONS = size(1_500, 20_000);
type Fault = 'worker' | 'ledger' | 'redis';
/** Two Redis restarts in every run; the rest split between workers and the ledger node. */
const FAULTS: Fault[] = size<Fault[]>(['worker', 'ledger', 'worker', 'ledger', 'redis', 'redis'], ['worker', 'worker', 'worker', 'worker', 'ledger', 'ledger', 'ledger', 'ledger', 'worker', 'ledger', 'redis', 'redis']);

describe('chaos: crash loop with the bullmq executor', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it(
    `${NOTIFICATIONS} notifications; workers and the ledger node killed at random, Redis restarted empty twice: nothing accepted is lost`,
    async () => {
      const seed = chaosSeed();
      const random = seededRandom(seed);
      // Shuffled with the seed, so the Redis restarts fall anywhere in the run.
      const faults = [...FAULTS];
      for (let i = faults.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [faults[i], faults[j]] = [faults[j]!, faults[i]!];
      }
      const redis = await RedisServer.start();
      cleanups.push(() => redis.stop());
      const receivers = await startMixedReceivers();
      for (const receiver of Object.values(receivers)) cleanups.push(() => receiver.close());
      const dir = tempDir('notifyd-chaos-bullmq-');
      const ledgerPath = dir.file('ledger.db');
      const port = await freePort();
      const config = {
        listen: { host: '127.0.0.1', port },
        ledger: { path: ledgerPath, synchronous: 'full' },
        redis: { url: redis.url, prefix: `chaos-${randomBytes(4).toString('hex')}`, dispatchWindow: 256 },
        security: { allowHosts: ['127.0.0.1/32'] },
        delivery: { concurrency: 64, perHostConcurrency: 64, timeoutMs: 3_000, leaseMarginMs: 1_000, shutdownGraceMs: 3_000 },
        log: { level: 'warn' },
      };
      const workerConfig = { ...config, log: { level: 'info' } };
      const startLedger = () => startChaosDaemon({ configPath: dir.file('ledger.json'), config, port, args: ['--role', 'api'] });
      const startWorker = (n: number) =>
        startChaosDaemon({ configPath: dir.file(`worker-${n}.json`), config: workerConfig, port, args: ['--role', 'worker'], readyLine: /worker started/ });

      let ledger: ChaosDaemon = await startLedger();
      const workers: ChaosDaemon[] = [await startWorker(0), await startWorker(1)];
      cleanups.push(() => {
        ledger.kill('SIGKILL');
        for (const worker of workers) worker.kill('SIGKILL');
      });

      const kindById = new Map<string, Kind>();
      const started = Date.now();
      let producing = true;
      const production = produce({
        url: () => ledger.url,
        count: NOTIFICATIONS,
        concurrency: 32,
        timeoutMs: 180_000,
        body: (i) => ({
          url: receivers[kindOf(i)].url(`/${kindOf(i)}`),
          body: { seq: i, kind: kindOf(i) },
          idempotencyKey: `bullmq-chaos-${seed}-${i}`,
          schedule: SCHEDULES[kindOf(i)],
        }),
        onAccepted: (accepted, i) => kindById.set(accepted.id, kindOf(i)),
      }).finally(() => (producing = false));

      // A duplicate needs a POST whose result never reached the ledger, so its lease was held at some fault.
      const leasesAtFault: number[] = [];
      const peakRss: number[] = [];
      const log: string[] = [];
      for (const [k, fault] of faults.entries()) {
        await new Promise((r) => setTimeout(r, 500 + random() * size(2_500, 4_000)));
        leasesAtFault.push(statusCounts(ledgerPath).leased);
        if (fault === 'worker') {
          const n = Math.floor(random() * workers.length);
          peakRss.push(workers[n]!.peakRssMiB() ?? 0);
          workers[n]!.kill('SIGKILL');
          await workers[n]!.exited;
          workers[n] = await startWorker(n);
        } else if (fault === 'ledger') {
          peakRss.push(ledger.peakRssMiB() ?? 0);
          ledger.kill('SIGKILL');
          await ledger.exited;
          // Held leases are expected after a kill -9 (see crash-loop.test.ts); everything else must hold.
          expect(verifyFile(ledgerPath).violations, `ledger after fault ${k + 1}`).toEqual([]);
          ledger = await startLedger();
        } else {
          await redis.restartEmpty();
        }
        const counts = statusCounts(ledgerPath);
        log.push(`${fault}@${((Date.now() - started) / 1000).toFixed(1)}s`);
        console.log(
          `fault ${k + 1}/${faults.length} (${fault}) at +${((Date.now() - started) / 1000).toFixed(1)} s: ${leasesAtFault[k]} leases held; now ${counts.pending} pending, ${counts.delivered} delivered, ${counts.dead} dead${producing ? ' (still enqueueing)' : ''}`,
        );
      }

      const { accepted } = await production;
      await waitUntil(() => statusCounts(ledgerPath).pending === 0, size(90_000, 600_000), () => JSON.stringify(statusCounts(ledgerPath)), 500);
      const elapsed = (Date.now() - started) / 1000;
      peakRss.push(ledger.peakRssMiB() ?? 0, ...workers.map((w) => w.peakRssMiB() ?? 0));

      ledger.kill('SIGTERM');
      for (const worker of workers) worker.kill('SIGTERM');
      expect((await ledger.exited).code).toBe(0);
      for (const worker of workers) expect((await worker.exited).code).toBe(0);
      const cli = verifyCli(['--db', ledgerPath]);
      expect(cli.code, cli.stdout + cli.stderr).toBe(0);

      expect(accepted.filter(Boolean)).toHaveLength(NOTIFICATIONS);
      expect(new Set(accepted.map((a) => a.id)).size).toBe(NOTIFICATIONS);
      const rows = withLedger(ledgerPath, (db) => db.prepare('SELECT id, status, dead_reason, attempts FROM notifications').all() as Array<{ id: string; status: string; dead_reason: string | null; attempts: number }>);
      expect(rows).toHaveLength(NOTIFICATIONS);
      const { duplicates, recordedUnseen, problems } = checkEndState(accepted.map((a) => a.id), kindById, new Map(rows.map((r) => [r.id, r])), receivers);
      expect(problems.slice(0, 20), `${problems.length} notification(s) not as their receiver dictates`).toEqual([]);
      const bound = leasesAtFault.reduce((a, b) => a + b, 0);
      expect(duplicates).toBeLessThanOrEqual(bound);

      const counts = statusCounts(ledgerPath);
      console.log(
        `bullmq crash loop (seed ${seed}; ${log.join(', ')}): accepted ${NOTIFICATIONS}, lost 0, duplicates ${duplicates} (bounded by leases held at each fault: ${leasesAtFault.join('+')} = ${bound}); ` +
          `${counts.delivered} delivered, ${counts.dead} dead; ${recordedUnseen} recorded attempts never reached a receiver; peak RSS ${Math.max(...peakRss)} MiB; ${elapsed.toFixed(1)} s`,
      );
      report({
        scenario: 'crash loop, bullmq',
        size: FULL ? 'full' : 'short',
        seed,
        notifications: NOTIFICATIONS,
        faults: `${faults.filter((f) => f === 'worker').length} worker kill -9, ${faults.filter((f) => f === 'ledger').length} ledger node kill -9, 2 Redis restarts (empty)`,
        lost: 0,
        duplicates,
        duplicateBound: bound,
        peakRssMiB: Math.max(...peakRss),
        verify: 'clean',
        seconds: Math.round(elapsed),
      });
      dir.cleanup();
    },
    size(150_000, 1_200_000),
  );
});
