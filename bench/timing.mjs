// timing: 100,000 notifications whose retries fall due spread evenly over
// 60 s: lateness of each attempt (receiver sees the POST) against its
// next_attempt_at. Target: p99 ≤ 1 s. Baseline: the same due times kept in
// memory by plain timers, POSTed by notifyd's own sender at the same
// per-host concurrency (over the first third of the schedule: 20 s at the
// same rate, to keep the whole suite within its time budget).
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Child } from './lib/child.mjs';
import { benchConfig, seedViaSql, startNotifyd, tempDir } from './lib/notifyd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { Result, runIfMain } from './lib/result.mjs';
import { alternate, percentiles } from './lib/stats.mjs';

const TIMER_LOOP = fileURLToPath(new URL('./loops/timer-loop.mjs', import.meta.url));
const FAR = 86_400_000;

/** Lateness (ms) of each notification: receiver-seen wall time minus its due time. */
function lateness(receiver, n, dueOf, indexOf) {
  const out = [];
  for (const [id, seen] of receiver.seen) {
    const i = indexOf(id);
    if (i === null || i >= n) continue;
    out.push(performance.timeOrigin + seen - dueOf(i));
  }
  if (out.length < n) throw new Error(`only ${out.length} of ${n} notifications reached the receiver`);
  return out;
}

async function notifydRun({ n, spanMs, receiver, log }) {
  const dir = tempDir();
  const dbPath = dir.file('notifyd.db');
  const createdAt = Date.now();
  const base = createdAt + FAR;
  try {
    // Retries (attempt 1 failed, attempt 2 is due), seeded a day ahead and moved
    // to t0 just before the daemon starts, so seeding time does not matter.
    seedViaSql(dbPath, { n, url: receiver.url(), createdAt, attempts: 1, dueAtSql: `${base} + (i * ${spanMs}) / ${n}` });
    receiver.reset();
    const t0 = Date.now() + 2_000;
    const db = new Database(dbPath);
    db.prepare('UPDATE notifications SET next_attempt_at = next_attempt_at - @shift').run({ shift: base - t0 });
    db.close();
    const daemon = await startNotifyd(benchConfig(dbPath));
    if (Date.now() > t0 - 100) log(`  warning: the daemon was ready only ${t0 - Date.now()} ms before the first due time`);
    try {
      await receiver.until(() => receiver.distinct >= n, spanMs + 120_000);
      return { t0 };
    } finally {
      await daemon.stop();
    }
  } finally {
    dir.cleanup();
  }
}

export async function main({ quick, log }) {
  const n = quick ? 6_000 : 100_000;
  const spanMs = quick ? 6_000 : 60_000;
  const baselineN = quick ? n : Math.round(n / 3);
  const baselineSpan = quick ? spanMs : spanMs / 3;
  const reps = 3;
  const result = new Result('timing', `timing: ${n.toLocaleString('en-US')} retries due over ${spanMs / 1000} s, lateness`);
  result.params = { notifications: n, spanMs, baselineNotifications: baselineN, baselineSpanMs: baselineSpan, reps, delivery: 'defaults (concurrency 64, perHostConcurrency 16)' };
  const receiver = await startReceiver({ track: true });
  const runs = { notifyd: [], timers: [] };
  try {
    await alternate(
      reps,
      {
        notifyd: async () => {
          const { t0 } = await notifydRun({ n, spanMs, receiver, log });
          // ids end in the row number (15 hex digits), see seedViaSql.
          const lat = lateness(receiver, n, (i) => t0 + Math.floor((i * spanMs) / n), (id) => parseInt(id.slice(-15), 16));
          const p = percentiles(lat, [50, 99, 100]);
          runs.notifyd.push(p);
          return { p50: p.p50, p99: p.p99 };
        },
        timers: async () => {
          receiver.reset();
          const child = new Child(TIMER_LOOP);
          try {
            await child.waitFor('ready');
            const t0 = Date.now() + 1_000;
            await child.request('run', {
              url: receiver.url(),
              n: baselineN,
              t0Wall: t0,
              spanMs: baselineSpan,
              concurrency: 16,
              idOf: 'timer_',
              config: benchConfig(':memory:'),
            }, baselineSpan + 120_000);
            const lat = lateness(receiver, baselineN, (i) => t0 + Math.floor((i * baselineSpan) / baselineN), (id) =>
              id.startsWith('timer_') ? Number(id.slice(6)) : null,
            );
            const p = percentiles(lat, [50, 99, 100]);
            runs.timers.push(p);
            return { p50: p.p50, p99: p.p99 };
          } finally {
            await child.stop();
          }
        },
      },
      log,
    );
    const col = (who, key) => runs[who].map((r) => r[key]);
    result
      .metric('p50', 'notifyd lateness p50', 'ms', col('notifyd', 'p50'))
      .metric('p99', 'notifyd lateness p99', 'ms', col('notifyd', 'p99'))
      .metric('max', 'notifyd lateness max', 'ms', col('notifyd', 'p100'))
      .metric('timers_p50', 'in-memory timers lateness p50', 'ms', col('timers', 'p50'))
      .metric('timers_p99', 'in-memory timers lateness p99', 'ms', col('timers', 'p99'))
      .metric('p99_minus_timers', 'notifyd − timers p99', 'ms', runs.notifyd.map((r, i) => r.p99 - runs.timers[i].p99))
      .target('p99', 'p99 ≤ 1,000 ms', '<=', 1_000);
    result.note(`${(n / (spanMs / 1000)).toFixed(0)} attempts/s on average, one receiver host (perHostConcurrency 16); lateness = receiver-seen time − next_attempt_at.`);
  } finally {
    await receiver.close();
  }
  return result;
}

await runIfMain(import.meta.url, main);
