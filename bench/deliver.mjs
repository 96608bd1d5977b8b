// deliver: 50,000 notifications to a fast local receiver (answers "success"),
// end-to-end delivered/s, against a bare got loop at the same concurrency to
// the same receiver (got configured the fastest way, see got-configs) and a
// bare undici loop (the physical limit). Target: ≥ 0.8× the got loop.
import { DELIVERY, notifydDeliveryRun } from './lib/deliver-run.mjs';
import { runLoop } from './lib/loop-runner.mjs';
import { enqueueBody } from './lib/notifyd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { Result, runIfMain } from './lib/result.mjs';
import { alternate } from './lib/stats.mjs';

/** The got configuration of the baseline loop: the fastest found by got-configs. */
export const BASELINE_GOT_VARIANT = 'stream';

export async function main({ quick, log }) {
  const n = quick ? 5_000 : 50_000;
  const reps = 3;
  const result = new Result('deliver', `deliver: ${n.toLocaleString('en-US')} notifications to a fast receiver, delivered/s`);
  result.params = { notifications: n, reps, delivery: DELIVERY, gotVariant: BASELINE_GOT_VARIANT, synchronous: 'full' };
  const receiver = await startReceiver();
  const cpu = { notifyd: [], inline: [], got: [], undici: [] };
  const loopCpu = { notifyd: [], inline: [] };
  try {
    const url = receiver.url();
    const body = JSON.stringify(JSON.parse(enqueueBody(url)).body);
    const loop = (client) => async () => {
      const r = await runLoop({ client, variant: BASELINE_GOT_VARIANT, url, n, concurrency: DELIVERY.concurrency, body });
      cpu[client].push(r.cpuUsPerPost);
      return r.rate;
    };
    const rates = await alternate(
      reps,
      {
        notifyd: async () => {
          const r = await notifydDeliveryRun({ n, receiver, log });
          if (r.duplicates > 0) result.note(`a notifyd run saw ${r.duplicates} duplicate POSTs`);
          cpu.notifyd.push(r.cpuUsPerDelivery);
          loopCpu.notifyd.push(r.eventLoopCpuUsPerDelivery);
          return r.rate;
        },
        // The ledger's writes on the event loop (ledger.writerThread false): what the writer thread buys here.
        inline: async () => {
          const r = await notifydDeliveryRun({ n, receiver, ledger: { writerThread: false }, log });
          cpu.inline.push(r.cpuUsPerDelivery);
          loopCpu.inline.push(r.eventLoopCpuUsPerDelivery);
          return r.rate;
        },
        got: loop('got'),
        undici: loop('undici'),
      },
      log,
    );
    result
      .metric('notifyd', 'notifyd end to end (lease → POST → record)', 'delivered/s', rates.notifyd)
      .metric('inline', 'notifyd, writes on the event loop (ledger.writerThread false)', 'delivered/s', rates.inline)
      .ratio('inline_ratio', 'writes on the event loop / got loop', rates.inline, rates.got)
      .metric('inline_cpu', 'writes on the event loop: CPU per delivery', 'µs', cpu.inline)
      .metric('inline_loop_cpu', 'writes on the event loop: the event loop\'s CPU per delivery', 'µs', loopCpu.inline)
      .metric('got', `bare got loop (${BASELINE_GOT_VARIANT}), concurrency ${DELIVERY.concurrency}`, 'POSTs/s', rates.got)
      .metric('undici', `bare undici loop, concurrency ${DELIVERY.concurrency}`, 'POSTs/s', rates.undici)
      .ratio('ratio_got', 'notifyd / got loop', rates.notifyd, rates.got)
      .ratio('ratio_undici', 'notifyd / undici loop', rates.notifyd, rates.undici)
      .metric('notifyd_cpu', 'notifyd CPU per delivery', 'µs', cpu.notifyd)
      .metric('notifyd_loop_cpu', 'notifyd: the event loop\'s CPU per delivery (the rest is the writer thread and V8\'s helpers)', 'µs', loopCpu.notifyd)
      .metric('got_cpu', 'got loop CPU per POST', 'µs', cpu.got)
      .metric('undici_cpu', 'undici loop CPU per POST', 'µs', cpu.undici)
      .target('ratio_got', '≥ 0.8× the bare got loop', '>=', 0.8);
    result.note('each notifyd run starts from a fresh ledger seeded with the notifications (seeding not timed), synchronous=FULL; timed from the first POST the receiver sees to the ledger saying all are delivered.');
  } finally {
    await receiver.close();
  }
  return result;
}

await runIfMain(import.meta.url, main);
