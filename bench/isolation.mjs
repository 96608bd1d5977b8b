// isolation:
//  A. half the notifications to a receiver that hangs until the attempt's
//     timeout, half to a fast one: the fast half's delivered/s against the
//     same fast half alone. Target ≥ 0.8×.
//  B. first attempts to a healthy receiver (202 → POST, at 200/s) while a
//     backlog of retries to a dead receiver (connection refused) is being
//     worked off, against the same with no backlog. Target: p99 ≤ 25 ms (the
//     latency target holds with the backlog). Run with the per-host back-off
//     (the default) and, to show what it buys, with it turned off.
// The daemon runs with the default delivery settings (concurrency 64,
// perHostConcurrency 16): per-host slots and the first-attempt reserve are
// what is being measured.
import Database from 'better-sqlite3';
import { benchConfig, enqueueBody, ledgerReader, seedViaSql, seedViaStore, startNotifyd, tempDir, waitForStatus } from './lib/notifyd.mjs';
import { latencies, pacedEnqueue } from './lib/paced.mjs';
import { deadPort, startReceiver } from './lib/receiver.mjs';
import { Result, runIfMain } from './lib/result.mjs';
import { alternate, percentiles } from './lib/stats.mjs';

const HANG_TIMEOUT_MS = 10_000; // the default delivery.timeoutMs
const QUICK_EXIT = { shutdownGraceMs: 0 };

async function fastHalfRun({ n, fast, hang, withHang }) {
  const dir = tempDir();
  const dbPath = dir.file('notifyd.db');
  try {
    // Interleaved: fast, hang, fast, hang… (or fast only).
    await seedViaStore(dbPath, withHang ? 2 * n : n, (i) => (withHang && i % 2 === 1 ? hang.url() : fast.url()));
    fast.reset();
    const daemon = await startNotifyd(benchConfig(dbPath, { delivery: QUICK_EXIT }));
    const reader = ledgerReader(dbPath);
    try {
      await fast.until(() => fast.requests >= n);
      const done = await waitForStatus(reader, 'delivered', n, { intervalMs: 5 });
      return n / ((done - fast.firstAt) / 1000);
    } finally {
      reader.close();
      await daemon.stop();
    }
  } finally {
    dir.cleanup();
  }
}

export async function firstAttemptRun({ seconds, backlog, healthy, deadUrl, delivery = {} }) {
  const dir = tempDir();
  const dbPath = dir.file('notifyd.db');
  try {
    if (backlog > 0) {
      // Retries (attempt 1 failed) to a receiver that refuses connections, all due now.
      seedViaSql(dbPath, { n: backlog, url: deadUrl, createdAt: Date.now(), attempts: 1, dueAtSql: `${Date.now()} - i` });
    }
    const daemon = await startNotifyd(benchConfig(dbPath, { delivery: { ...QUICK_EXIT, ...delivery } }));
    try {
      healthy.reset();
      const rate = 200;
      const { answered } = await pacedEnqueue({
        url: `${daemon.url}/v1/notifications`,
        perSecond: rate,
        total: seconds * rate,
        bodyOf: (i) => enqueueBody(healthy.url(), i),
      });
      const lat = await latencies(healthy, answered);
      const db = new Database(dbPath, { readonly: true });
      const retried = db.prepare("SELECT count(*) AS n FROM attempts WHERE notification_id IN (SELECT id FROM notifications WHERE url = ?)").get(deadUrl).n;
      db.close();
      return { ...percentiles(lat, [50, 99]), retried };
    } finally {
      await daemon.stop();
    }
  } finally {
    dir.cleanup();
  }
}

export async function main({ quick, log }) {
  const n = quick ? 2_000 : 20_000;
  const backlog = quick ? 5_000 : 20_000;
  const seconds = quick ? 3 : 5;
  const reps = 3;
  const result = new Result('isolation', 'isolation: a hanging receiver and a dead one must not slow a healthy one');
  result.params = { fastHalf: n, hangTimeoutMs: HANG_TIMEOUT_MS, deadBacklog: backlog, firstAttemptSeconds: seconds, reps };
  const fast = await startReceiver();
  const hang = await startReceiver({ mode: 'hang' });
  const healthy = await startReceiver({ track: true });
  const deadUrl = `http://127.0.0.1:${await deadPort()}/notify`;
  try {
    log(`isolation A: ${n} to a fast receiver, with and without ${n} to one that hangs ${HANG_TIMEOUT_MS / 1000} s`);
    const a = await alternate(
      reps,
      {
        'fast with hang': () => fastHalfRun({ n, fast, hang, withHang: true }),
        'fast alone': () => fastHalfRun({ n, fast, hang, withHang: false }),
      },
      log,
    );
    log(`isolation B: first attempts at 200/s for ${seconds} s, with and without ${backlog} retries due to a dead receiver`);
    const runs = { with: [], withoutBackoff: [], without: [] };
    await alternate(
      reps,
      {
        'with backlog': async () => {
          const r = await firstAttemptRun({ seconds, backlog, healthy, deadUrl });
          runs.with.push(r);
          return { p50: r.p50, p99: r.p99, retried: r.retried };
        },
        'with backlog, back-off off': async () => {
          const r = await firstAttemptRun({ seconds, backlog, healthy, deadUrl, delivery: { hostBackoff: { afterFailures: 0 } } });
          runs.withoutBackoff.push(r);
          return { p50: r.p50, p99: r.p99, retried: r.retried };
        },
        'no backlog': async () => {
          const r = await firstAttemptRun({ seconds, backlog: 0, healthy, deadUrl });
          runs.without.push(r);
          return { p50: r.p50, p99: r.p99 };
        },
      },
      log,
    );
    result
      .metric('fast_with_hang', 'fast half, beside a hanging receiver', 'delivered/s', a['fast with hang'])
      .metric('fast_alone', 'fast half alone', 'delivered/s', a['fast alone'])
      .ratio('ratio', 'with hang / alone', a['fast with hang'], a['fast alone'])
      .metric('first_p50', 'first attempts p50, dead-receiver backlog', 'ms', runs.with.map((r) => r.p50))
      .metric('first_p99', 'first attempts p99, dead-receiver backlog', 'ms', runs.with.map((r) => r.p99))
      .metric('first_p50_no_backoff', 'first attempts p50, dead-receiver backlog, back-off off', 'ms', runs.withoutBackoff.map((r) => r.p50))
      .metric('first_p99_no_backoff', 'first attempts p99, dead-receiver backlog, back-off off', 'ms', runs.withoutBackoff.map((r) => r.p99))
      .metric('first_p50_alone', 'first attempts p50, no backlog', 'ms', runs.without.map((r) => r.p50))
      .metric('first_p99_alone', 'first attempts p99, no backlog', 'ms', runs.without.map((r) => r.p99))
      .metric('retried', 'retries to the dead receiver made meanwhile', 'attempts', runs.with.map((r) => r.retried))
      .metric('retried_no_backoff', 'retries to the dead receiver made meanwhile, back-off off', 'attempts', runs.withoutBackoff.map((r) => r.retried))
      .target('ratio', 'fast half ≥ 0.8× alone', '>=', 0.8)
      .target('first_p99', 'first attempts p99 ≤ 25 ms with the backlog', '<=', 25);
    result.note('perHostConcurrency 16 (default): the hanging receiver holds 16 of the 64 slots for 10 s each; one eighth of the slots are reserved for first attempts. The dead receiver refuses connections: with the default delivery.hostBackoff (20 refusals in a row pause the host, then one probe after 1 s, 2 s, 4 s…) its retries stop; with the back-off off they run as fast as the CPU allows.');
  } finally {
    await fast.close();
    await hang.close();
    await healthy.close();
  }
  return result;
}

await runIfMain(import.meta.url, main);
