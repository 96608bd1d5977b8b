// scale: a ledger holding 1,000,000 pending notifications scheduled over the
// next 24 h (retries, seeded with SQL), against an empty ledger, in one run:
//  - idle CPU of each daemon over 60 s (both idle at once; three 20 s
//    windows), target ≤ 1 %; RSS of the big one, target ≤ 200 MB;
//  - enqueue rate (autocannon, 64 connections, alternating), target ≥ 0.8×
//    the empty ledger's;
//  - due selection: one lease of 64 and the next-due lookup on the big ledger
//    (inside a transaction that is rolled back), against the same on a
//    10,000-row ledger of the same shape; and the status counts /metrics reads.
import Database from 'better-sqlite3';
import { cannon } from './enqueue.mjs';
import { leaseDue } from '../dist/ledger/lease-due.js';
import { prepareLedgerStatements } from '../dist/ledger/statements.js';
import { benchConfig, enqueueBody, seedViaSql, startNotifyd, tempDir } from './lib/notifyd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { Result, runIfMain } from './lib/result.mjs';
import { alternate, fmt, median, sleep } from './lib/stats.mjs';

const DAY = 86_400_000;
const HEAD_START = 10 * 60_000; // nothing falls due during the measurement

function seedSchedule(dbPath, n, url) {
  const now = Date.now();
  // Retries (attempts 1..7) due evenly over the 24 h starting 10 min from now.
  seedViaSql(dbPath, {
    n,
    url,
    createdAt: now - DAY,
    attempts: '1 + (i % 7)',
    dueAtSql: `${now + HEAD_START} + (i * ${DAY}) / ${n}`,
  });
}

/** Median µs of `fn` over `times` calls, each inside a transaction rolled back. */
function timeRolledBack(db, fn, times = 25) {
  const out = [];
  for (let i = 0; i < times; i++) {
    db.exec('BEGIN IMMEDIATE');
    const t = performance.now();
    fn();
    out.push((performance.now() - t) * 1000);
    db.exec('ROLLBACK');
  }
  return median(out);
}

function selectionTimes(dbPath) {
  const db = new Database(dbPath);
  const st = prepareLedgerStatements(db);
  const lease = (at) => () => leaseDue(st, { now: at, limit: 64, leaseMs: 30_000, hostSlotsLeft: new Map(), perHostLimit: 16, maxRetries: 56 });
  const now = Date.now();
  const r = {
    leaseNothingDue: timeRolledBack(db, lease(now)),
    leaseDueIn2h: timeRolledBack(db, lease(now + 2 * 3_600_000)),
    nextDueAt: timeRolledBack(db, () => st.due.map((d) => d.minDue.get())),
    counts: timeRolledBack(db, () => st.countByStatus.all(), 5),
  };
  db.close();
  return r;
}

export async function main({ quick, log }) {
  const n = quick ? 100_000 : 1_000_000;
  const idleSeconds = quick ? 15 : 60;
  const windows = 3;
  const cannonSeconds = quick ? 2 : 5;
  const reps = 3;
  const result = new Result('scale', `scale: ${n.toLocaleString('en-US')} pending notifications over 24 h vs an empty ledger`);
  result.params = { pending: n, idleSeconds, windows, cannonSeconds, reps, synchronous: 'full' };
  const dir = tempDir();
  const parked = await startReceiver({ mode: 'hang' });
  const bigPath = dir.file('big.db');
  const emptyPath = dir.file('empty.db');
  const smallPath = dir.file('small.db');
  try {
    const url = parked.url();
    let t = performance.now();
    seedSchedule(bigPath, n, url);
    const seedSeconds = (performance.now() - t) / 1000;
    seedSchedule(smallPath, 10_000, url);
    log(`scale: seeded ${n} rows in ${fmt(seedSeconds)} s (${fmt((await import('node:fs')).statSync(bigPath).size / 1e6)} MB)`);

    // 1. Idle: both daemons up, nothing due, nothing asked.
    t = performance.now();
    const big = await startNotifyd(benchConfig(bigPath));
    const startupMs = performance.now() - t;
    const empty = await startNotifyd(benchConfig(emptyPath));
    const cpu = { big: [], empty: [] };
    let rss = 0;
    let hwm = 0;
    try {
      // Let start-up settle (compilation, the first GCs) before measuring.
      await sleep(quick ? 5_000 : 10_000);
      log(`scale: idle CPU over ${idleSeconds} s`);
      for (let w = 0; w < windows; w++) {
        const b0 = big.child.usage();
        const e0 = empty.child.usage();
        const w0 = performance.now();
        await sleep((idleSeconds * 1000) / windows);
        const b1 = big.child.usage();
        const e1 = empty.child.usage();
        const wall = (performance.now() - w0) / 1000;
        cpu.big.push((100 * (b1.cpuSeconds - b0.cpuSeconds)) / wall);
        cpu.empty.push((100 * (e1.cpuSeconds - e0.cpuSeconds)) / wall);
        rss = b1.rssBytes;
        hwm = b1.hwmBytes;
        log(`  window ${w + 1}/${windows}: big ${fmt(cpu.big.at(-1))} %, empty ${fmt(cpu.empty.at(-1))} %, big RSS ${fmt(rss / 1e6)} MB`);
      }
    } finally {
      await big.stop();
      await empty.stop();
    }

    // 2. Due selection, on the files (no daemon running).
    const bigSel = selectionTimes(bigPath);
    const smallSel = selectionTimes(smallPath);
    log(`scale: lease of 64 due in 2 h: ${fmt(bigSel.leaseDueIn2h)} µs (1M) vs ${fmt(smallSel.leaseDueIn2h)} µs (10k)`);

    // 3. Enqueue rate: the API and the ledger alone (scheduler stopped, as in the enqueue benchmark).
    const bigApi = await startNotifyd(benchConfig(bigPath), { scheduler: false });
    const emptyApi = await startNotifyd(benchConfig(emptyPath), { scheduler: false });
    let rates;
    try {
      const body = enqueueBody(url, 0, 512);
      await cannon(`${bigApi.url}/v1/notifications`, body, 1);
      await cannon(`${emptyApi.url}/v1/notifications`, body, 1);
      rates = await alternate(
        reps,
        {
          big: async () => (await cannon(`${bigApi.url}/v1/notifications`, body, cannonSeconds)).rate,
          empty: async () => (await cannon(`${emptyApi.url}/v1/notifications`, body, cannonSeconds)).rate,
        },
        log,
      );
    } finally {
      await bigApi.stop();
      await emptyApi.stop();
    }

    result
      .metric('idle_cpu', `idle CPU, ${n.toLocaleString('en-US')} pending`, '%', cpu.big)
      .metric('idle_cpu_empty', 'idle CPU, empty ledger', '%', cpu.empty)
      .metric('rss', `RSS after ${idleSeconds} s idle, ${n.toLocaleString('en-US')} pending`, 'MB', [rss / 1e6])
      .metric('hwm', 'peak RSS (VmHWM) of that daemon', 'MB', [hwm / 1e6])
      .metric('enqueue', `enqueue, ${n.toLocaleString('en-US')} pending`, 'accepted/s', rates.big)
      .metric('enqueue_empty', 'enqueue, empty ledger', 'accepted/s', rates.empty)
      .ratio('enqueue_ratio', 'enqueue full / empty ledger', rates.big, rates.empty)
      .metric('lease_due', `lease 64 due (2 h ahead), ${n.toLocaleString('en-US')} rows`, 'µs', [bigSel.leaseDueIn2h])
      .metric('lease_due_small', 'lease 64 due (2 h ahead), 10,000 rows', 'µs', [smallSel.leaseDueIn2h])
      .metric('lease_none', `lease pass with nothing due, ${n.toLocaleString('en-US')} rows`, 'µs', [bigSel.leaseNothingDue])
      .metric('next_due', `next-due lookup, ${n.toLocaleString('en-US')} rows`, 'µs', [bigSel.nextDueAt])
      .metric('counts', `status counts (/metrics, cached 5 s), ${n.toLocaleString('en-US')} rows`, 'µs', [bigSel.counts])
      .metric('startup', `daemon start-up, ${n.toLocaleString('en-US')} rows`, 'ms', [startupMs])
      .target('idle_cpu', 'idle CPU ≤ 1 %', '<=', 1)
      .target('rss', 'RSS ≤ 200 MB', '<=', 200)
      .target('enqueue_ratio', 'enqueue ≥ 0.8× the empty ledger', '>=', 0.8);
    result.note(`seeded with SQL in ${fmt(seedSeconds)} s; due times start ${HEAD_START / 60_000} min ahead so nothing falls due while idle; idle CPU is measured after 10 s of settling, over ${windows} windows of ${idleSeconds / windows} s with both daemons idle at once; the selection figures are medians of 25 calls on the files, with no daemon running.`);
  } finally {
    await parked.close();
    dir.cleanup();
  }
  return result;
}

await runIfMain(import.meta.url, main);
