import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import { FULL, size } from './chaos-size.js';
import { ChaosReceiver } from './chaos-receiver.js';
import { freePort, report, startChaosDaemon, statusCounts, verifyCli, verifyFile, waitUntil, withLedger, type ChaosDaemon } from './chaos-daemon.js';
import { produce } from './producer.js';

/**
 * SIGTERM while 500 attempts are in flight (DESIGN: graceful shutdown):
 * `notifyd start` exits 0 within delivery.shutdownGraceMs, leaves no lease
 * held (what finished is recorded, what did not is handed back), and after a
 * restart everything is delivered: nothing lost, and a duplicate only for an
 * attempt the grace period cut short.
 */

const IN_FLIGHT = 500;
const NOTIFICATIONS = size(1_000, 2_000);
const DAY = 86_400_000;

describe('chaos: graceful shutdown under load', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  for (const variant of [
    { name: 'in-flight attempts finish within the grace period', receiverDelayMs: 1_500, graceMs: 5_000 },
    { name: 'the grace period cuts in-flight attempts short', receiverDelayMs: 3_000, graceMs: 1_000 },
  ]) {
    it(
      `SIGTERM with ${IN_FLIGHT} in flight — ${variant.name}: exit 0 within the grace, no lease left, nothing lost after restart`,
      async () => {
        const dir = tempDir('notifyd-chaos-sigterm-');
        // The receiver holds every request until SIGTERM is sent, then answers receiverDelayMs later: exactly what was in flight at the signal is at stake.
        let signalled!: () => void;
        const gate = new Promise<void>((resolve) => (signalled = resolve));
        let delayMs = variant.receiverDelayMs;
        const receiver = await ChaosReceiver.start(() => ({ status: 200, body: 'success', after: gate, delayMs }));
        cleanups.push(() => receiver.close());
        const ledgerPath = dir.file('ledger.db');
        const configPath = dir.file('config.json');
        const port = await freePort();
        const config = {
          listen: { host: '127.0.0.1', port },
          ledger: { path: ledgerPath, synchronous: 'full' },
          security: { allowHosts: ['127.0.0.1/32'] },
          // The default lease margin (30 s): a lease left behind would hold its row for that long.
          delivery: { concurrency: IN_FLIGHT, perHostConcurrency: IN_FLIGHT, timeoutMs: 10_000, shutdownGraceMs: variant.graceMs, schedule: ['1s'] },
          log: { level: 'warn' },
        };
        let daemon: ChaosDaemon = await startChaosDaemon({ configPath, config, port });
        cleanups.push(() => daemon.kill('SIGKILL'));

        const { accepted } = await produce({
          url: () => daemon.url,
          count: NOTIFICATIONS,
          concurrency: 32,
          timeoutMs: 30_000,
          body: (i) => ({ url: receiver.url(), body: { seq: i }, idempotencyKey: `sigterm-${variant.graceMs}-${i}` }),
        });
        await waitUntil(() => receiver.open >= IN_FLIGHT, 20_000, () => `${receiver.open} requests open at the receiver`, 20);
        const inFlight = receiver.open;
        const peakRss = daemon.peakRssMiB() ?? 0;
        const signalledAt = Date.now();
        daemon.kill('SIGTERM');
        signalled();
        const exit = await daemon.exited;
        const tookMs = exit.at - signalledAt;
        expect(exit).toMatchObject({ code: 0, signal: null });
        // The grace, plus closing the HTTP server and the ledger.
        expect(tookMs).toBeLessThan(variant.graceMs + 2_000);

        const after = statusCounts(ledgerPath);
        expect(after.leased, 'leases still held after a graceful stop').toBe(0);
        // No lease left, whatever the clock: judged as if a day had passed.
        expect(verifyFile(ledgerPath, { stopped: true, now: Date.now() + DAY }).violations).toEqual([]);
        const cli = verifyCli(['--db', ledgerPath]);
        expect(cli.code, cli.stdout).toBe(0);
        const recordedAtStop = after.delivered;
        // Nothing was answered before the signal: what is recorded is exactly what finished within the grace.
        expect(recordedAtStop).toBe(variant.graceMs > variant.receiverDelayMs ? inFlight : 0);

        // After the restart the receiver is quick: the test is about what the stop left behind.
        delayMs = 20;
        daemon = await startChaosDaemon({ configPath, config, port });
        await waitUntil(() => statusCounts(ledgerPath).delivered === NOTIFICATIONS, 60_000, () => JSON.stringify(statusCounts(ledgerPath)), 250);
        daemon.kill('SIGTERM');
        expect((await daemon.exited).code).toBe(0);
        expect(verifyFile(ledgerPath, { stopped: true, now: Date.now() + DAY }).violations).toEqual([]);

        const attempts = withLedger(ledgerPath, (db) => new Map((db.prepare('SELECT id, attempts FROM notifications').all() as Array<{ id: string; attempts: number }>).map((r) => [r.id, r.attempts])));
        let duplicates = 0;
        for (const { id } of accepted) {
          expect(attempts.get(id), `${id} lost`).toBe(1);
          expect(receiver.count(id), `${id} never reached the receiver`).toBeGreaterThanOrEqual(1);
          duplicates += receiver.count(id) - 1;
        }
        // Only attempts the grace period abandoned are POSTed again, and each once.
        if (variant.graceMs > variant.receiverDelayMs) expect(duplicates).toBe(0);
        else expect(duplicates).toBeLessThanOrEqual(inFlight);

        console.log(
          `graceful shutdown (${variant.name}): ${inFlight} in flight at SIGTERM, exit 0 after ${tookMs} ms (grace ${variant.graceMs} ms), ` +
            `${recordedAtStop} recorded before exit, 0 leases left; after restart ${NOTIFICATIONS} delivered, lost 0, duplicates ${duplicates}; peak RSS ${peakRss} MiB`,
        );
        report({
          scenario: `graceful shutdown (${variant.name})`,
          size: FULL ? 'full' : 'short',
          notifications: NOTIFICATIONS,
          faults: `SIGTERM with ${inFlight} in flight, grace ${variant.graceMs} ms, receiver ${variant.receiverDelayMs} ms`,
          exitMs: tookMs,
          lost: 0,
          duplicates,
          peakRssMiB: peakRss,
          verify: 'clean',
        });
        dir.cleanup();
      },
      90_000,
    );
  }
});
