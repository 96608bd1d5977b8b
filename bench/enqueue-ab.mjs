// enqueue A/B: this build against another (BENCH_DIST_B, a dist/ URL beside
// its own node_modules), two daemons side by side, one autocannon run each in
// turn (the order swapped every repetition), and the event loop's CPU per
// request of each. Not part of `npm run bench`: it is how a change to the
// enqueue path is judged on a noisy machine, where two runs an hour apart
// differ more than the change does.
//   BENCH_DIST_B=file:///path/to/other/dist node bench/enqueue-ab.mjs [reps] [seconds]
import { cannon, cannonWithCpu } from './enqueue.mjs';
import { benchConfig, enqueueBody, startNotifyd, tempDir } from './lib/notifyd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { summary } from './lib/stats.mjs';

const other = process.env.BENCH_DIST_B;
if (!other) throw new Error('set BENCH_DIST_B to the other build, e.g. file:///tmp/base/dist');
const reps = Number(process.argv[2] ?? 10);
const seconds = Number(process.argv[3] ?? 4);

const dir = tempDir();
const parked = await startReceiver({ mode: 'hang' });
const body = enqueueBody(parked.url(), 0, 512);
const daemons = {
  a: await startNotifyd(benchConfig(dir.file('a.db')), { scheduler: false }),
  b: await startNotifyd(benchConfig(dir.file('b.db')), { scheduler: false, env: { BENCH_DIST: other } }),
};
try {
  for (const d of Object.values(daemons)) await cannon(`${d.url}/v1/notifications`, body, 1);
  const gains = [];
  for (let rep = 0; rep < reps; rep++) {
    const measured = {};
    for (const name of rep % 2 === 0 ? ['a', 'b'] : ['b', 'a']) {
      const d = daemons[name];
      measured[name] = await cannonWithCpu(d.child, `${d.url}/v1/notifications`, body, seconds);
    }
    const gain = measured.a.rate / measured.b.rate - 1;
    gains.push(gain);
    const show = (m) => `${Math.round(m.rate)}/s, event loop ${m.loopUs.toFixed(1)} µs/request`;
    console.log(`rep ${rep + 1}/${reps}: this build ${show(measured.a)}; other ${show(measured.b)}; ${(gain * 100).toFixed(1)} %`);
  }
  const { min, median, max } = summary(gains);
  const pct = (x) => `${(x * 100).toFixed(1)} %`;
  console.log(`this build / other: ${pct(min)} … ${pct(max)}, median ${pct(median)}`);
} finally {
  for (const d of Object.values(daemons)) await d.stop();
  await parked.close();
  dir.cleanup();
}
