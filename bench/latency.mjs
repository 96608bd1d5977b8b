// latency: at 200 notifications/s, the time from the producer receiving the
// 202 to the receiver seeing the first POST. Target: p50 ≤ 5 ms, p99 ≤ 25 ms.
// Baseline: an in-memory relay (fastify answers 202, then notifyd's own sender
// POSTs at once; no ledger, no scheduler) in the same run.
import { fileURLToPath } from 'node:url';
import { Child } from './lib/child.mjs';
import { benchConfig, enqueueBody, startNotifyd, tempDir } from './lib/notifyd.mjs';
import { latencies, pacedEnqueue } from './lib/paced.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { Result, runIfMain } from './lib/result.mjs';
import { alternate, percentiles } from './lib/stats.mjs';

const RELAY = fileURLToPath(new URL('./lib/relay-child.mjs', import.meta.url));
export const RATE = 200;

export async function startRelay(configSections) {
  const child = new Child(RELAY, { env: { BENCH_CONFIG: JSON.stringify(configSections) } });
  const ready = await child.waitFor('ready');
  return { child, url: ready.url, stop: () => child.stop() };
}

/** One paced run against `url`; returns the latency percentiles and the enqueue round trips. */
export async function latencyRun({ url, receiver, seconds, rate = RATE, bodyUrl }) {
  receiver.reset();
  const total = Math.round(seconds * rate);
  const { answered, sentAt, enqueueMs } = await pacedEnqueue({ url, perSecond: rate, total, bodyOf: (i) => enqueueBody(bodyUrl, i) });
  const lat = await latencies(receiver, answered);
  const total202 = await latencies(receiver, sentAt);
  return { ...percentiles(lat, [50, 90, 99, 100]), enqueue: percentiles(enqueueMs, [50, 99]), endToEnd: percentiles(total202, [50, 99]), n: lat.length };
}

export async function main({ quick, log }) {
  const seconds = quick ? 3 : 10;
  const reps = 3;
  const result = new Result('latency', `latency: 202 → receiver sees the POST, at ${RATE}/s`);
  result.params = { rate: RATE, seconds, reps, synchronous: 'full' };
  const receiver = await startReceiver({ track: true });
  const dir = tempDir();
  const config = benchConfig(dir.file('notifyd.db'));
  const daemon = await startNotifyd(config);
  const relay = await startRelay(config);
  const runs = { notifyd: [], relay: [] };
  try {
    const bodyUrl = receiver.url();
    // Warm-up: connections, JIT.
    await latencyRun({ url: `${daemon.url}/v1/notifications`, receiver, seconds: 1, bodyUrl });
    await latencyRun({ url: relay.url, receiver, seconds: 1, bodyUrl });
    await alternate(
      reps,
      {
        notifyd: async () => {
          const r = await latencyRun({ url: `${daemon.url}/v1/notifications`, receiver, seconds, bodyUrl });
          runs.notifyd.push(r);
          return { p50: r.p50, p99: r.p99 };
        },
        relay: async () => {
          const r = await latencyRun({ url: relay.url, receiver, seconds, bodyUrl });
          runs.relay.push(r);
          return { p50: r.p50, p99: r.p99 };
        },
      },
      log,
    );
    const col = (who, key) => runs[who].map((r) => r[key]);
    result
      .metric('p50', 'notifyd 202 → POST p50', 'ms', col('notifyd', 'p50'))
      .metric('p99', 'notifyd 202 → POST p99', 'ms', col('notifyd', 'p99'))
      .metric('max', 'notifyd 202 → POST max', 'ms', col('notifyd', 'p100'))
      .metric('relay_p50', 'in-memory relay p50', 'ms', col('relay', 'p50'))
      .metric('relay_p99', 'in-memory relay p99', 'ms', col('relay', 'p99'))
      .metric('enqueue_p50', 'notifyd enqueue round trip p50 (the 202 itself: group commit + fsync)', 'ms', runs.notifyd.map((r) => r.enqueue.p50))
      .metric('enqueue_p99', 'notifyd enqueue round trip p99', 'ms', runs.notifyd.map((r) => r.enqueue.p99))
      .metric('e2e_p50', 'notifyd producer sends → receiver sees the POST, p50', 'ms', runs.notifyd.map((r) => r.endToEnd.p50))
      .metric('e2e_p99', 'notifyd producer sends → receiver sees the POST, p99', 'ms', runs.notifyd.map((r) => r.endToEnd.p99))
      .metric('relay_e2e_p50', 'relay producer sends → receiver sees the POST, p50', 'ms', runs.relay.map((r) => r.endToEnd.p50))
      .target('p50', 'p50 ≤ 5 ms', '<=', 5)
      .target('p99', 'p99 ≤ 25 ms', '<=', 25);
    result.note(
      `${seconds * RATE} notifications per run, each timed from the moment the producer has its 202 (status line parsed) to the moment the receiver has the POST's headers; both run in the driver process, on one clock. Differences under ≈0.5 ms are below what this can resolve: when the 202 and the POST reach the driver in the same event-loop turn, either may be parsed first.`,
    );
  } finally {
    await daemon.stop();
    await relay.stop();
    await receiver.close();
    dir.cleanup();
  }
  return result;
}

await runIfMain(import.meta.url, main);
