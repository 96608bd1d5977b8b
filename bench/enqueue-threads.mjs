// enqueue-threads: where an enqueue's CPU goes, thread by thread. Daemons in
// several ledger configurations take the same autocannon load in turn (the
// order swapped every repetition); for each, per request: the event loop's
// CPU and the other threads' (the writer thread, V8's and libuv's helpers),
// each split into user and kernel time, how often those threads went to sleep
// (voluntary context switches), and the writes per commit. Not part of
// `npm run bench`: it is how the README's account of what the writer thread
// costs was measured (/proc, so Linux only).
//
// The configurations are the default (writes on the writer thread) and
// `ledger.writerThread: false`; BENCH_VARIANTS replaces them with a JSON
// object of name → config sections (e.g. '{"wait2":{"ledger":
// {"groupCommitMaxWaitMs":2}}}'), where an `env` entry is the daemon's
// environment (BENCH_DIST for another build).
//   node bench/enqueue-threads.mjs [reps] [seconds] [--rate N]
import { cannon } from './enqueue.mjs';
import { rateAndPositional } from './lib/args.mjs';
import { threadUsage } from './lib/child.mjs';
import { benchConfig, enqueueBody, startNotifyd, tempDir } from './lib/notifyd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { alternate, fmt, summary } from './lib/stats.mjs';

const { rate, positional } = rateAndPositional();
const reps = Number(positional[0] ?? 5);
const seconds = Number(positional[1] ?? 4);
const variants = process.env.BENCH_VARIANTS
  ? JSON.parse(process.env.BENCH_VARIANTS)
  : { 'writer thread': {}, 'writes on the event loop': { ledger: { writerThread: false } } };

const dir = tempDir();
const parked = await startReceiver({ mode: 'hang' });
const body = enqueueBody(parked.url(), 0, 512);
const daemons = {};
try {
  for (const [name, { env = {}, ...sections }] of Object.entries(variants)) {
    daemons[name] = await startNotifyd(benchConfig(dir.file(`${Object.keys(daemons).length}.db`), sections), { scheduler: false, env });
  }
  for (const d of Object.values(daemons)) await cannon(`${d.url}/v1/notifications`, body, 1);
  const runOf = (d) => async () => {
    const [u0, c0] = [threadUsage(d.child.pid), (await d.child.request('stats')).groupCommit];
    const r = await cannon(`${d.url}/v1/notifications`, body, seconds, { rate });
    const [u1, c1] = [threadUsage(d.child.pid), (await d.child.request('stats')).groupCommit];
    const perRequest = (thread, field, scale) => ((u1[thread][field] - u0[thread][field]) * scale) / r.count;
    return {
      rate: r.rate,
      loopUser: perRequest('eventLoop', 'user', 1e6),
      loopSystem: perRequest('eventLoop', 'system', 1e6),
      othersUser: perRequest('others', 'user', 1e6),
      othersSystem: perRequest('others', 'system', 1e6),
      othersSleeps: perRequest('others', 'sleeps', 1),
      perCommit: c0 && c1 ? (c1.ops - c0.ops) / Math.max(1, c1.commits - c0.commits) : NaN,
    };
  };
  const measured = await alternate(reps, Object.fromEntries(Object.entries(daemons).map(([name, d]) => [name, runOf(d)])));
  const show = (runs, field, digits) => {
    const { min, median, max } = summary(runs.map((run) => run[field]));
    return `${fmt(median, digits)} (${fmt(min, digits)}–${fmt(max, digits)})`;
  };
  console.log(`${rate === undefined ? 'as many requests as each daemon takes' : `${rate} requests/s each`}, ${reps} × ${seconds} s; median (min–max)`);
  for (const [name, runs] of Object.entries(measured)) {
    console.log(`${name}: ${show(runs, 'rate', 0)} accepted/s, ${show(runs, 'perCommit', 1)} writes per commit`);
    console.log(`  event loop µs/request: user ${show(runs, 'loopUser', 1)}, kernel ${show(runs, 'loopSystem', 1)}`);
    console.log(`  other threads µs/request: user ${show(runs, 'othersUser', 1)}, kernel ${show(runs, 'othersSystem', 1)}; sleeps per request ${show(runs, 'othersSleeps', 2)}`);
  }
} finally {
  for (const d of Object.values(daemons)) await d.stop();
  await parked.close();
  dir.cleanup();
}
