// hand-rolled peer: the same 50,000 notifications delivered by the ~40-line
// BullMQ Worker + got that users write instead (bench/peer/hand-rolled-worker.mjs:
// attempts + exponential backoff, no ledger), against notifyd, alternating.
// Prints notifyd's ratio: the cost of durability, the query endpoint and the
// dead-letter queue. Target ≥ 0.9×. Uses the machine's Redis at
// 127.0.0.1:6379 under a random prefix, deleted afterwards.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Child, procUsage } from './lib/child.mjs';
import { DELIVERY, notifydDeliveryRun } from './lib/deliver-run.mjs';
import { enqueueBody } from './lib/notifyd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { Result, runIfMain } from './lib/result.mjs';
import { alternate } from './lib/stats.mjs';

const WORKER = fileURLToPath(new URL('./peer/hand-rolled-worker.mjs', import.meta.url));
const CONNECTION = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
export const JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: true,
  removeOnFail: 1_000,
};

async function peerRun({ n, receiver, prefix, queueName, redisPid }) {
  const queue = new Queue(queueName, { connection: CONNECTION, prefix });
  try {
    const body = JSON.stringify(JSON.parse(enqueueBody(receiver.url())).body);
    for (let i = 0; i < n; i += 1_000) {
      const count = Math.min(1_000, n - i);
      await queue.addBulk(Array.from({ length: count }, () => ({ name: 'notify', data: { url: receiver.url(), body }, opts: JOB_OPTIONS })));
    }
    receiver.reset();
    const worker = new Child(WORKER, {
      env: { QUEUE: queueName, PREFIX: prefix, CONCURRENCY: String(DELIVERY.concurrency), TOTAL: String(n) },
    });
    try {
      await worker.waitFor('ready');
      const w0 = worker.usage();
      const r0 = redisPid ? procUsage(redisPid) : null;
      await worker.waitFor('done', 600_000);
      const done = performance.now();
      const w1 = worker.usage();
      const r1 = redisPid ? procUsage(redisPid) : null;
      return {
        rate: n / ((done - receiver.firstAt) / 1000),
        workerCpuUs: ((w1.cpuSeconds - w0.cpuSeconds) * 1e6) / n,
        redisCpuUs: r0 && r1 ? ((r1.cpuSeconds - r0.cpuSeconds) * 1e6) / n : NaN,
      };
    } finally {
      await worker.stop();
    }
  } finally {
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  }
}

async function deleteKeys(redis, prefix) {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

export async function main({ quick, log }) {
  const n = quick ? 5_000 : 50_000;
  const reps = 3;
  const prefix = `bench-peer-${randomBytes(6).toString('hex')}`;
  const queueName = 'notify';
  const result = new Result('peer', `hand-rolled peer: ${n.toLocaleString('en-US')} notifications, notifyd vs BullMQ Worker + got`);
  result.params = { notifications: n, reps, concurrency: DELIVERY.concurrency, jobOptions: JOB_OPTIONS, redis: '127.0.0.1:6379', prefix };
  const redis = new Redis(CONNECTION);
  const info = await redis.info('server');
  const redisPid = Number(/process_id:(\d+)/.exec(info)?.[1]) || null;
  const persistence = await redis.info('persistence');
  const receiver = await startReceiver();
  const cpu = { notifyd: [], worker: [], redis: [] };
  try {
    const rates = await alternate(
      reps,
      {
        notifyd: async () => {
          const r = await notifydDeliveryRun({ n, receiver, log });
          cpu.notifyd.push(r.cpuUsPerDelivery);
          return r.rate;
        },
        peer: async () => {
          const r = await peerRun({ n, receiver, prefix, queueName, redisPid });
          cpu.worker.push(r.workerCpuUs);
          cpu.redis.push(r.redisCpuUs);
          return r.rate;
        },
      },
      log,
    );
    result
      .metric('notifyd', 'notifyd (ledger, synchronous=FULL)', 'delivered/s', rates.notifyd)
      .metric('peer', `BullMQ Worker + got, concurrency ${DELIVERY.concurrency}`, 'delivered/s', rates.peer)
      .ratio('ratio', 'notifyd / hand-rolled peer', rates.notifyd, rates.peer)
      .metric('notifyd_cpu', 'notifyd CPU per delivery', 'µs', cpu.notifyd)
      .metric('peer_cpu', 'peer worker CPU per delivery', 'µs', cpu.worker)
      .metric('redis_cpu', 'Redis CPU per delivery (peer)', 'µs', cpu.redis)
      .target('ratio', '≥ 0.9× the hand-rolled peer', '>=', 0.9);
    const aof = /aof_enabled:(\d)/.exec(persistence)?.[1] === '1';
    result.note(`the peer's jobs are added before its worker starts (as notifyd's ledger is seeded before the daemon starts); neither side's enqueue is timed. Redis: the machine's server, AOF ${aof ? 'on' : 'off'}; jobs removed on completion.`);
  } finally {
    const deleted = await deleteKeys(redis, prefix).catch(() => 0);
    log(`peer: removed ${deleted} leftover Redis keys under ${prefix}:`);
    await redis.quit();
    await receiver.close();
  }
  return result;
}

await runIfMain(import.meta.url, main);
