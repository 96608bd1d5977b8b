import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import { chaosSeed, FULL, seededRandom, size } from './chaos-size.js';
import {
  freePort,
  report,
  startChaosDaemon,
  statusCounts,
  verifyCli,
  verifyFile,
  waitUntil,
  withLedger,
  type ChaosDaemon,
} from './chaos-daemon.js';
import { checkEndState, kindOf, SCHEDULES, startMixedReceivers, type Kind } from './mixed-receivers.js';
import { produce } from './producer.js';

/**
 * Guarantees 1 and 2 under repeated kill -9: `notifyd start` (the built
 * dist/) is killed at random moments while producers enqueue and receivers
 * answer, and restarted each time. At the end every accepted notification is
 * delivered or dead exactly as its receiver dictates, the ledger verifies
 * clean (also at every crash), every delivered id reached its receiver, and
 * the POSTs no attempt row records (the duplicates a crash causes) number no
 * more than the leases held at the crashes.
 *
 * npm test: 2,000 notifications, 4 kills. npm run chaos: 20,000, 10 kills.
 * NOTIFYD_CHAOS_SEED=<n> replays a run's kill moments.
 */

const NOTIFICATIONS = size(2_000, 20_000);
const KILLS = size(4, 10);

describe('chaos: crash loop', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it(
    `${NOTIFICATIONS} notifications, kill -9 ${KILLS} times at random moments: nothing accepted is lost`,
    async () => {
      const seed = chaosSeed();
      const random = seededRandom(seed);
      const dir = tempDir('notifyd-chaos-crash-');
      const receivers = await startMixedReceivers();
      for (const receiver of Object.values(receivers)) cleanups.push(() => receiver.close());
      const ledgerPath = dir.file('ledger.db');
      const configPath = dir.file('config.json');
      const port = await freePort();
      const config = {
        listen: { host: '127.0.0.1', port },
        ledger: { path: ledgerPath, synchronous: 'full' },
        security: { allowHosts: ['127.0.0.1/32'] },
        delivery: { concurrency: 128, perHostConcurrency: 64, timeoutMs: 5_000, leaseMarginMs: 1_000, shutdownGraceMs: 5_000 },
        log: { level: 'warn' },
      };
      let runStartedAt = Date.now();
      let daemon: ChaosDaemon = await startChaosDaemon({ configPath, config, port });
      cleanups.push(() => daemon.kill('SIGKILL'));

      const kindById = new Map<string, Kind>();
      const started = Date.now();
      let producing = true;
      const production = produce({
        url: () => daemon.url,
        count: NOTIFICATIONS,
        concurrency: 32,
        timeoutMs: 120_000,
        body: (i) => ({
          url: receivers[kindOf(i)].url(`/${kindOf(i)}`),
          body: { seq: i, kind: kindOf(i) },
          idempotencyKey: `crash-loop-${seed}-${i}`,
          schedule: SCHEDULES[kindOf(i)],
        }),
        onAccepted: (accepted, i) => kindById.set(accepted.id, kindOf(i)),
      }).finally(() => (producing = false));

      // The kills: at random moments while there is work, each followed by checks on the ledger as the crash left it.
      const inFlightAtCrash: number[] = [];
      const peakRss: number[] = [];
      for (let k = 0; k < KILLS; k++) {
        await new Promise((r) => setTimeout(r, 300 + random() * size(2_200, 3_700)));
        peakRss.push(daemon.peakRssMiB() ?? 0);
        daemon.kill('SIGKILL');
        expect((await daemon.exited).signal).toBe('SIGKILL');
        const counts = statusCounts(ledgerPath);
        // In flight at the crash: leases the killed run took (older ones, left by the previous crash, it never used).
        inFlightAtCrash.push(
          withLedger(ledgerPath, (db) => (db.prepare('SELECT count(*) AS n FROM notifications WHERE lease_until IS NOT NULL AND updated_at >= ?').get(runStartedAt) as { n: number }).n),
        );
        // The ledger as the crash left it holds every invariant. Its leases are judged as a running daemon's: after a
        // kill -9 they are expected (that is what lease_stale reports to an operator), and the next start re-runs them.
        const atCrash = verifyFile(ledgerPath);
        expect(atCrash.violations, `ledger after kill ${k + 1}`).toEqual([]);
        console.log(
          `kill ${k + 1}/${KILLS} at +${((Date.now() - started) / 1000).toFixed(1)} s: ${inFlightAtCrash[k]} in flight (${counts.leased} leases held), ${counts.pending} pending, ${counts.delivered} delivered, ${counts.dead} dead${producing ? ' (still enqueueing)' : ''}`,
        );
        runStartedAt = Date.now();
        daemon = await startChaosDaemon({ configPath, config, port });
      }

      const { accepted, failures, refusals } = await production;
      await waitUntil(
        () => statusCounts(ledgerPath).pending === 0,
        size(60_000, 300_000),
        () => JSON.stringify(statusCounts(ledgerPath)),
        500,
      );
      const elapsed = (Date.now() - started) / 1000;
      peakRss.push(daemon.peakRssMiB() ?? 0);

      // Graceful stop, then the operator's check.
      daemon.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
      const cli = verifyCli(['--db', ledgerPath]);
      expect(cli.stdout).toMatch(/daemon: stopped/);
      expect(cli.stdout).toMatch(/^OK: /m);
      expect(cli.code).toBe(0);

      // Every key accepted once, every accepted id stored once.
      expect(accepted.filter(Boolean)).toHaveLength(NOTIFICATIONS);
      const ids = new Set(accepted.map((a) => a.id));
      expect(ids.size).toBe(NOTIFICATIONS);
      const rows = withLedger(ledgerPath, (db) =>
        db.prepare('SELECT id, status, dead_reason, attempts FROM notifications').all() as Array<{
          id: string;
          status: string;
          dead_reason: string | null;
          attempts: number;
        }>,
      );
      expect(rows).toHaveLength(NOTIFICATIONS);
      const byId = new Map(rows.map((r) => [r.id, r]));

      // Each notification ended as its receiver dictates.
      const { duplicates, recordedUnseen, problems } = checkEndState(accepted.map((a) => a.id), kindById, byId, receivers);
      expect(problems.slice(0, 20), `${problems.length} notification(s) not as their receiver dictates`).toEqual([]);
      const boundByCrashes = inFlightAtCrash.reduce((a, b) => a + b, 0);
      expect(duplicates).toBeLessThanOrEqual(boundByCrashes);

      const counts = statusCounts(ledgerPath);
      const line = `accepted ${NOTIFICATIONS}, lost 0, duplicates ${duplicates} (bounded by in-flight at each crash: ${inFlightAtCrash.join('+')} = ${boundByCrashes})`;
      console.log(
        `crash loop (seed ${seed}): ${line}; ${counts.delivered} delivered, ${counts.dead} dead; ${recordedUnseen} recorded attempts never reached a receiver; ` +
          `${failures} enqueue requests failed in flight, refusals ${JSON.stringify(Object.fromEntries(refusals))}; ` +
          `${accepted.filter((a) => a.status === 200).length} accepted on a retry (200); peak RSS per run ${peakRss.join(', ')} MiB; ${elapsed.toFixed(1)} s`,
      );
      report({
        scenario: 'crash loop',
        size: FULL ? 'full' : 'short',
        seed,
        notifications: NOTIFICATIONS,
        faults: `kill -9 ×${KILLS}`,
        lost: 0,
        duplicates,
        duplicateBound: boundByCrashes,
        delivered: counts.delivered,
        dead: counts.dead,
        peakRssMiB: Math.max(...peakRss),
        verify: 'clean',
        seconds: Math.round(elapsed),
      });
      dir.cleanup();
    },
    size(90_000, 900_000),
  );
});
