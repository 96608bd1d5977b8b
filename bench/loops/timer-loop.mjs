// The timing benchmark's baseline: the same due times kept in memory (one
// timer per notification, no ledger), each POSTed when due by notifyd's own
// sender, at most `concurrency` at once (a FIFO of what is due).
//   message {cmd:'run', url, n, t0Wall, spanMs, concurrency} → {durationMs}
import { buildConfig } from '../../dist/config.js';
import { senderFromConfig as createSender } from '../../dist/sender/from-config.js';
import { serveParent } from '../lib/child.mjs';

async function run({ url, n, t0Wall, spanMs, concurrency, idOf, config }) {
  const sender = createSender(buildConfig(config));
  const host = new URL(url).host;
  const queue = [];
  let running = 0;
  let done = 0;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  const pump = () => {
    while (running < concurrency && queue.length > 0) {
      const i = queue.shift();
      running++;
      sender
        .send({
          notificationId: `${idOf}${i}`,
          attempt: 2,
          url,
          host,
          body: '{"out_trade_no":"x","trade_status":"TRADE_SUCCESS"}',
          contentType: 'application/json',
          headers: {},
          timeoutMs: 10_000,
          success: { status: '2xx', body: 'success' },
          leaseUntil: Date.now() + 60_000,
          first: false,
        })
        .finally(() => {
          running--;
          if (++done === n) finish();
          pump();
        });
    }
  };
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const due = t0Wall + Math.floor((i * spanMs) / n);
    setTimeout(() => {
      queue.push(i);
      pump();
    }, Math.max(0, due - Date.now()));
  }
  await finished;
  await sender.close();
  return { durationMs: performance.now() - started };
}

serveParent({ run: (msg) => run(msg), close: () => process.exit(0) });
process.send({ type: 'ready' });
