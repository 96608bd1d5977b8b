// The hand-rolled peer: what users write instead of notifyd. A BullMQ Worker
// POSTs each job with got; a non-"success" answer throws, and BullMQ retries
// it with its `attempts` and exponential `backoff` (set on the jobs by
// whoever adds them, see peer.mjs). No ledger, no query endpoint, no
// dead-letter queue beyond BullMQ's failed set.
import { Worker } from 'bullmq';
import got from 'got';

const { QUEUE, PREFIX, CONCURRENCY, TOTAL } = process.env;
const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const client = got.extend({ retry: { limit: 0 }, throwHttpErrors: false, timeout: { request: 10_000 } });

const worker = new Worker(
  QUEUE,
  async (job) => {
    const response = await client.post(job.data.url, {
      body: job.data.body,
      headers: { 'content-type': 'application/json', 'webhook-id': job.id, 'notifyd-attempt': String(job.attemptsMade + 1) },
    });
    if (response.statusCode < 200 || response.statusCode > 299 || response.body.trim() !== 'success') {
      throw new Error(`receiver answered ${response.statusCode}: ${response.body.slice(0, 100)}`);
    }
  },
  { connection, prefix: PREFIX, concurrency: Number(CONCURRENCY), autorun: false },
);
worker.on('error', (error) => console.error(error));

// Benchmark plumbing: tell the driver when every job has completed.
let completed = 0;
worker.on('completed', () => {
  if (++completed === Number(TOTAL)) process.send?.({ type: 'done' });
});
process.on('message', async (msg) => {
  if (msg?.cmd === 'close') {
    await worker.close();
    process.exit(0);
  }
});
await worker.waitUntilReady();
process.send?.({ type: 'ready' });
worker.run();
