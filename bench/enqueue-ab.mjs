// enqueue A/B: this build against another (BENCH_DIST_B, a dist/ URL beside
// its own node_modules), two daemons side by side, one autocannon run each in
// turn (the order swapped every repetition), and the event loop's CPU per
// request of each. Not part of `npm run bench`: it is how a change to the
// enqueue path is judged on a noisy machine, where two runs an hour apart
// differ more than the change does.
//
// By default each run takes as many requests as the daemon can (the gain is
// in accepted/s, and moves with the machine: the same build against itself
// measured −14 to +15 %). With `--rate N` both daemons get the same N
// requests/s, and the gain is in CPU per request at equal load, the event
// loop's and the whole process's (writer thread and V8's helpers included).
// Neither mode is free of the machine's noise: judge a change on several runs.
//   BENCH_DIST_B=file:///path/to/other/dist node bench/enqueue-ab.mjs [reps] [seconds] [--rate N]
import { cannon, cannonWithCpu } from './enqueue.mjs';
import { rateAndPositional } from './lib/args.mjs';
import { benchConfig, enqueueBody, startNotifyd, tempDir } from './lib/notifyd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { alternate, summary } from './lib/stats.mjs';

const other = process.env.BENCH_DIST_B;
if (!other) throw new Error('set BENCH_DIST_B to the other build, e.g. file:///tmp/base/dist');
const { rate, positional } = rateAndPositional();
const reps = Number(positional[0] ?? 10);
const seconds = Number(positional[1] ?? 4);

const dir = tempDir();
const parked = await startReceiver({ mode: 'hang' });
const body = enqueueBody(parked.url(), 0, 512);
const daemons = {
  a: await startNotifyd(benchConfig(dir.file('a.db')), { scheduler: false }),
  b: await startNotifyd(benchConfig(dir.file('b.db')), { scheduler: false, env: { BENCH_DIST: other } }),
};
const pct = (x) => `${(x * 100).toFixed(1)} %`;
const range = (values) => {
  const { min, median, max } = summary(values);
  return `${pct(min)} … ${pct(max)}, median ${pct(median)}`;
};
try {
  for (const d of Object.values(daemons)) await cannon(`${d.url}/v1/notifications`, body, 1);
  const runOf = (d) => () => cannonWithCpu(d.child, `${d.url}/v1/notifications`, body, seconds, { rate });
  const measured = await alternate(reps, { a: runOf(daemons.a), b: runOf(daemons.b) });
  const gains = { rate: [], loop: [], process: [] };
  const show = (m) => `${Math.round(m.rate)}/s, CPU ${m.loopUs.toFixed(1)} µs/request event loop, ${m.cpuUs.toFixed(1)} process`;
  measured.a.forEach((a, rep) => {
    const b = measured.b[rep];
    gains.rate.push(a.rate / b.rate - 1);
    gains.loop.push(a.loopUs / b.loopUs - 1);
    gains.process.push(a.cpuUs / b.cpuUs - 1);
    console.log(`rep ${rep + 1}/${reps}: this build ${show(a)}; other ${show(b)}`);
  });
  if (rate === undefined) console.log(`accepted/s, this build / other: ${range(gains.rate)}`);
  else console.log(`at ${rate} requests/s each`);
  console.log(`event loop CPU per request, this build / other: ${range(gains.loop)}`);
  console.log(`process CPU per request, this build / other: ${range(gains.process)}`);
} finally {
  for (const d of Object.values(daemons)) await d.stop();
  await parked.close();
  dir.cleanup();
}
