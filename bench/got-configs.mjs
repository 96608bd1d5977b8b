// got-configs: which got settings make the bare got loop fastest, each variant
// adding one setting to the one before (bench/loops/http-loop.mjs), with the
// bare undici loop as the physical limit. Same receiver, same concurrency.
import { Result, runIfMain } from './lib/result.mjs';
import { runLoop } from './lib/loop-runner.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { alternate, fmt } from './lib/stats.mjs';
import { GOT_VARIANTS } from './lib/clients.mjs';
import { enqueueBody } from './lib/notifyd.mjs';

export const CONCURRENCY = 64;

export async function main({ quick, log }) {
  const n = quick ? 3_000 : 8_000;
  const reps = 3;
  const result = new Result('got-configs', 'got configurations: POSTs/s of a bare loop, each adding one setting');
  result.params = { posts: n, concurrency: CONCURRENCY, reps };
  const receiver = await startReceiver();
  try {
    const url = receiver.url();
    const body = JSON.stringify(JSON.parse(enqueueBody(url)).body);
    const fns = {};
    const cpu = {};
    for (const variant of [...Object.keys(GOT_VARIANTS), 'sender', 'undici']) {
      cpu[variant] = [];
      fns[variant] = async () => {
        const client = variant === 'undici' || variant === 'sender' ? variant : 'got';
        const r = await runLoop({ client, variant, url, n, concurrency: CONCURRENCY, body });
        cpu[variant].push(r.cpuUsPerPost);
        return r.rate;
      };
    }
    const rates = await alternate(reps, fns, log);
    for (const variant of Object.keys(fns)) {
      const label = variant === 'undici' ? 'undici (physical limit)' : variant === 'sender' ? "notifyd's sender alone (got stream + its checks)" : `got: ${variant}`;
      result.metric(`${variant}`, label, 'POSTs/s', rates[variant]);
      result.metric(`${variant}_cpu`, `${variant}: client CPU per POST`, 'µs', cpu[variant]);
    }
    result.ratio('extended_vs_default', 'got extended / default', rates.extended, rates.default);
    result.ratio('stream_vs_extended', 'got stream / extended', rates.stream, rates.extended);
    result.ratio('timeout_vs_stream', "got's own timeout / without", rates['stream-timeout'], rates.stream);
    result.ratio('sender_vs_stream', "notifyd's sender / bare got stream", rates.sender, rates.stream);
    result.ratio('got_vs_undici', 'got stream / undici', rates.stream, rates.undici);
    result.note(
      'variants, cumulative: default = got.post(url, {body, headers}).text(); agent = + own keep-alive agent (LIFO); extended = + got.extend() once with retry 0, throwHttpErrors false, decompress false, http2 false, followRedirect false; stream = + got.stream.post, body collected from data events (what notifyd\'s sender does); stream-timeout = stream + got\'s timeout {request: 10 s}; stream-url = stream with a URL object instead of a string; sender = notifyd\'s own sender (createSender: the SSRF re-check of literal IPs, signing headers, one deadline timer, the response-size cap, abort wiring).',
    );
    log(`got-configs: ${Object.keys(fns).map((k) => `${k} ${fmt(result.metrics.find((m) => m.key === k).median)}`).join(', ')}`);
  } finally {
    await receiver.close();
  }
  return result;
}

await runIfMain(import.meta.url, main);
