import { benchConfig, ledgerReader, seedViaStore, startNotifyd, tempDir, waitForStatus } from './notifyd.mjs';

/** Delivery settings of the throughput benchmarks: the default concurrency, and the one receiver host may use all of it. */
export const DELIVERY = { concurrency: 64, perHostConcurrency: 64 };

/**
 * One notifyd delivery run: a ledger seeded with `n` due notifications to the
 * receiver (seeding is not timed), a fresh daemon, and the time from the
 * receiver's first POST to the ledger reporting all `n` delivered.
 * Returns {rate, cpuUsPerDelivery, eventLoopCpuUsPerDelivery, rssBytes, …}.
 */
export async function notifydDeliveryRun({ n, receiver, delivery = DELIVERY, ledger = {}, execArgv = [], log = () => {} }) {
  const dir = tempDir();
  const dbPath = dir.file('notifyd.db');
  try {
    await seedViaStore(dbPath, n, () => receiver.url());
    receiver.reset();
    const daemon = await startNotifyd(benchConfig(dbPath, { delivery, ledger }), { execArgv });
    const reader = ledgerReader(dbPath);
    try {
      const before = daemon.child.usage();
      await receiver.until(() => receiver.requests >= n);
      const done = await waitForStatus(reader, 'delivered', n, { intervalMs: 5 });
      const after = daemon.child.usage();
      const stats = await daemon.child.request('stats');
      const seconds = (done - receiver.firstAt) / 1000;
      return {
        rate: n / seconds,
        cpuUsPerDelivery: ((after.cpuSeconds - before.cpuSeconds) * 1e6) / n,
        eventLoopCpuUsPerDelivery: ((after.eventLoopCpuSeconds - before.eventLoopCpuSeconds) * 1e6) / n,
        rssBytes: after.rssBytes,
        duplicates: receiver.requests - n,
        commitsPerDelivery: stats.groupCommit ? stats.groupCommit.commits / n : null,
        writesPerCommit: stats.groupCommit ? stats.groupCommit.ops / stats.groupCommit.commits : null,
      };
    } finally {
      reader.close();
      await daemon.stop();
    }
  } finally {
    dir.cleanup();
  }
}
