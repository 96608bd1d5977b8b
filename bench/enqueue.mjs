// enqueue: POST /v1/notifications (512-byte JSON body) with autocannon at 64
// connections, synchronous=FULL, against a bare fastify no-op route served by
// the same process. Target: ≥ 10,000 accepted/s and ≥ 0.5× the no-op route.
import autocannon from 'autocannon';
import { Result, runIfMain } from './lib/result.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { alternate, fmt } from './lib/stats.mjs';
import { benchConfig, enqueueBody, startNotifyd, tempDir } from './lib/notifyd.mjs';

export const CONNECTIONS = 64;

/**
 * One autocannon run; returns accepted (2xx) per second and the latency
 * percentiles. With `rate`, autocannon holds the whole run to that many
 * requests per second instead of as many as the daemon can take.
 */
export function cannon(url, body, seconds, { connections = CONNECTIONS, rate } = {}) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        connections,
        duration: seconds,
        headers: { 'content-type': 'application/json' },
        body,
        ...(rate !== undefined ? { overallRate: rate } : {}),
      },
      (error, result) => {
        if (error) return reject(error);
        const accepted = result['2xx'];
        if (result.non2xx > 0 || result.errors > 0) {
          return reject(new Error(`autocannon ${url}: ${result.non2xx} non-2xx, ${result.errors} errors (${accepted} ok)`));
        }
        resolve({ rate: accepted / result.duration, p50: result.latency.p50, p99: result.latency.p99, count: accepted });
      },
    );
  });
}

/** One cannon run against a daemon's child process, with its CPU per request: all threads (`cpuUs`) and the event loop's alone (`loopUs`). */
export async function cannonWithCpu(child, url, body, seconds, options = {}) {
  const u0 = child.usage();
  const r = await cannon(url, body, seconds, options);
  const u1 = child.usage();
  const perRequest = (before, after) => ((after - before) * 1e6) / r.count;
  return { ...r, cpuUs: perRequest(u0.cpuSeconds, u1.cpuSeconds), loopUs: perRequest(u0.eventLoopCpuSeconds, u1.eventLoopCpuSeconds) };
}

export async function main({ quick, log, args = [] }) {
  const seconds = quick ? 2 : 5;
  const reps = 3;
  const logLevel = args.includes('--log-info') ? 'info' : 'warn';
  const result = new Result('enqueue', 'enqueue: POST /v1/notifications at 64 connections, 512-byte body, synchronous=FULL');
  const dir = tempDir();
  const parked = await startReceiver({ mode: 'hang' });
  // The headline daemon has its scheduler stopped: this measures the API and
  // the ledger (delivery has its own benchmarks), and serves the no-op route
  // from the same process. The second one runs its scheduler, with every
  // delivery parked on a receiver that never answers (300 s timeout), so
  // its slots stay full while the enqueues arrive.
  const daemon = await startNotifyd(benchConfig(dir.file('api.db'), { log: { level: logLevel } }), { noop: true, scheduler: false });
  // The same with the ledger's writes on the event loop (ledger.writerThread false): what the writer thread buys.
  const inline = await startNotifyd(benchConfig(dir.file('inline.db'), { log: { level: logLevel }, ledger: { writerThread: false } }), { scheduler: false });
  const busy = await startNotifyd(benchConfig(dir.file('busy.db'), { log: { level: logLevel } }));
  try {
    const body = enqueueBody(parked.url(), 0, 512);
    const parsed = JSON.parse(body);
    parsed.timeoutMs = 300_000;
    parsed.body.pad = parsed.body.pad.slice(0, parsed.body.pad.length - (JSON.stringify(parsed).length - body.length));
    const parkedBody = JSON.stringify(parsed);
    if (Buffer.byteLength(parkedBody) !== 512) throw new Error(`body is ${Buffer.byteLength(parkedBody)} bytes`);
    result.params = { connections: CONNECTIONS, seconds, reps, bodyBytes: 512, synchronous: 'full', groupCommitMaxWaitMs: 0, logLevel };

    log('enqueue: warm-up');
    await cannon(`${daemon.url}/v1/notifications`, body, 1);
    await cannon(daemon.noopUrl, body, 1);
    await cannon(`${inline.url}/v1/notifications`, body, 1);
    await cannon(`${busy.url}/v1/notifications`, parkedBody, 1);

    const details = { notifyd: [], noop: [] };
    const cpu = { notifyd: [], noop: [], inline: [] };
    const loopCpu = { notifyd: [], noop: [], inline: [] };
    const measured = (who, child, url, text) => async () => {
      const r = await cannonWithCpu(child, url, text, seconds);
      details[who]?.push(r);
      cpu[who]?.push(r.cpuUs);
      loopCpu[who]?.push(r.loopUs);
      return r.rate;
    };
    const values = await alternate(
      reps,
      {
        notifyd: measured('notifyd', daemon.child, `${daemon.url}/v1/notifications`, body),
        noop: measured('noop', daemon.child, daemon.noopUrl, body),
        inline: measured('inline', inline.child, `${inline.url}/v1/notifications`, body),
        busy: measured('busy', busy.child, `${busy.url}/v1/notifications`, parkedBody),
      },
      log,
    );
    const stats = await daemon.child.request('stats');
    result
      .metric('notifyd', 'notifyd POST /v1/notifications', 'accepted/s', values.notifyd)
      .metric('noop', 'fastify no-op route, same process', 'req/s', values.noop)
      .ratio('ratio', 'notifyd / no-op', values.notifyd, values.noop)
      .metric('p50', 'notifyd latency p50', 'ms', details.notifyd.map((d) => d.p50))
      .metric('p99', 'notifyd latency p99', 'ms', details.notifyd.map((d) => d.p99))
      .metric('cpu', 'notifyd CPU per request', 'µs', cpu.notifyd)
      .metric('noop_cpu', 'no-op CPU per request', 'µs', cpu.noop)
      .metric('loop_cpu', 'notifyd: the event loop\'s CPU per request (the rest is the writer thread and V8\'s helpers)', 'µs', loopCpu.notifyd)
      .metric('noop_loop_cpu', 'no-op: the event loop\'s CPU per request', 'µs', loopCpu.noop)
      .metric('inline', 'notifyd, writes on the event loop (ledger.writerThread false)', 'accepted/s', values.inline)
      .ratio('inline_ratio', 'writes on the event loop / no-op', values.inline, values.noop)
      .metric('inline_cpu', 'writes on the event loop: CPU per request', 'µs', cpu.inline)
      .metric('inline_loop_cpu', 'writes on the event loop: the event loop\'s CPU per request', 'µs', loopCpu.inline)
      .metric('busy', 'notifyd with its scheduler running (slots full)', 'accepted/s', values.busy)
      .target('notifyd', '≥ 10,000 accepted/s', '>=', 10_000)
      .target('ratio', '≥ 0.5× the no-op route', '>=', 0.5);
    const gc = stats.groupCommit;
    if (gc) {
      result.note(
        `group commit: ${fmt(gc.ops)} writes in ${fmt(gc.commits)} commits (${fmt(gc.ops / gc.commits)} per commit, largest ${gc.largestBatch}).`,
      );
    }
    result.note(`log level ${logLevel}; the ledger grows by every accepted request over the run.`);
  } finally {
    await daemon.stop();
    await inline.stop();
    await busy.stop();
    await parked.close();
    dir.cleanup();
  }
  return result;
}

await runIfMain(import.meta.url, main);
