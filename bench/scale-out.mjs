// scale-out: delivery throughput to a fast local receiver (answers "success"
// at once), the inline executor against the bullmq executor with 1 and 2
// `--role worker` processes, in the same run, alternating; then the ledger
// node's ceiling: outcomes applied per second when workers are infinitely
// fast (outcome jobs pre-loaded into Redis), and the SQLite commit alone.
//
//   npm run build && node bench/scale-out.mjs [--quick] [--out FILE]
//
// Every notifyd process is the real CLI (`bin/notifyd start --role …`) built
// from dist/; Redis is a private `redis-server` without persistence; the
// receiver runs in this driver process. Each run starts from a ledger seeded
// with N due notifications (so enqueue is not measured) and ends when the
// ledger says all N are delivered.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { openSqliteNotificationStore } from '../dist/ledger/index.js';
import { OUTCOMES_QUEUE, outcomeJobOptions } from '../dist/executors/bullmq/queues.js';
import { procUsage } from './lib/child.mjs';
import { benchConfig, ledgerReader, seedViaStore, tempDir, waitForStatus } from './lib/notifyd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { Result, runIfMain } from './lib/result.mjs';
import { alternate, fmt, median } from './lib/stats.mjs';

const NOTIFYD_BIN = fileURLToPath(new URL('../bin/notifyd', import.meta.url));
const REPS = 3;
/** Same delivery settings for every executor: the defaults, but one receiver host may use every slot. */
const DELIVERY = { concurrency: 64, perHostConcurrency: 1_000 };

export async function main({ quick, log, args = [] }) {
  const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length) ?? null; // delivery | ceiling
  const n = quick ? 3_000 : 6_000;
  const ceilingN = quick ? 5_000 : 10_000;
  const result = new Result('scale-out', 'scale-out: deliveries/s, inline vs bullmq with 1 and 2 worker processes; ledger-node ceiling');
  result.params = { notifications: n, ceilingOutcomes: ceilingN, reps: REPS, delivery: DELIVERY, dispatchWindow: 1_000, synchronous: 'full' };
  const redis = await startRedisServer();
  const receiver = await startReceiver();
  const usage = {};
  const loadBefore = loadavg()[0];
  try {
    if (only !== 'ceiling') await deliveryRuns({ n, receiver, redis, usage, result, log });
    if (only !== 'delivery') await ceilingRuns({ n: ceilingN, receiver, redis, usage, result, log });
    for (const [label, u] of Object.entries(usage)) {
      result.note(`${label}: CPU cores busy (median over reps): ${Object.entries(u).map(([k, v]) => `${k} ${fmt(median(v), 2)}`).join(', ')}`);
    }
    result.note(`${cpus().length} cores shared by the receiver, Redis, the ledger node and the workers; 1-minute load average ${fmt(loadBefore, 1)} before, ${fmt(loadavg()[0], 1)} after (other work on the machine skews every figure).`);
    printTable(result, log);
    return result;
  } finally {
    await receiver.close();
    await redis.stop();
  }
}

async function deliveryRuns({ n, receiver, redis, usage, result, log }) {
  log(`scale-out: ${n} notifications per run, ${REPS} repetitions, alternating`);
  const runs = {
    inline: () => deliveryRun({ n, receiver, redis: null, workers: 0, usage }),
    'bullmq-1w': () => deliveryRun({ n, receiver, redis, workers: 1, usage }),
    'bullmq-2w': () => deliveryRun({ n, receiver, redis, workers: 2, usage }),
  };
  const rates = await alternate(REPS, runs, log);
  result.metric('inline', 'inline executor (--role all, no Redis)', 'deliveries/s', rates.inline);
  result.metric('bullmq_1w', 'bullmq: --role api + 1 --role worker', 'deliveries/s', rates['bullmq-1w']);
  result.metric('bullmq_2w', 'bullmq: --role api + 2 --role worker', 'deliveries/s', rates['bullmq-2w']);
  result.ratio('bullmq_1w_vs_inline', 'bullmq 1 worker / inline', rates['bullmq-1w'], rates.inline);
  result.ratio('bullmq_2w_vs_inline', 'bullmq 2 workers / inline', rates['bullmq-2w'], rates.inline);
  result.ratio('bullmq_2w_vs_1w', 'bullmq 2 workers / 1 worker', rates['bullmq-2w'], rates['bullmq-1w']);
  // Cost per delivery, from each process's CPU time: what sizing on a bigger machine follows from.
  const one = usage['bullmq-1w'];
  const two = usage['bullmq-2w'];
  const perWorkerCore = [
    ...rates['bullmq-1w'].map((rate, i) => rate / one.worker1[i]),
    ...rates['bullmq-2w'].map((rate, i) => rate / (two.worker1[i] + two.worker2[i])),
  ];
  result.metric('worker_deliveries_per_core', 'a worker: deliveries per CPU-second it used (1w and 2w runs)', 'deliveries/core-s', perWorkerCore);
  const ledgerPer1k = [
    ...rates['bullmq-1w'].map((rate, i) => one.ledgerNode[i] / (rate / 1000)),
    ...rates['bullmq-2w'].map((rate, i) => two.ledgerNode[i] / (rate / 1000)),
  ];
  result.metric('ledger_cores_per_1k', 'the ledger node (--role api): CPU cores per 1,000 deliveries/s', 'cores', ledgerPer1k);
  result.metric('inline_deliveries_per_core', 'inline (--role all): deliveries per CPU-second', 'deliveries/core-s', rates.inline.map((rate, i) => rate / usage.inline.ledgerNode[i]));
}

async function ceilingRuns({ n: ceilingN, receiver, redis, usage, result, log }) {
  log(`ledger ceiling: ${ceilingN} outcomes pre-loaded into Redis, applied by --role api`);
  const ceiling = await alternate(
    REPS,
    {
      'outcomes-queue': () => ceilingRun({ n: ceilingN, receiver, redis, usage }),
      'sqlite-only': () => sqliteOnlyRun({ n: ceilingN, writerThread: true }),
      'sqlite-only-loop': () => sqliteOnlyRun({ n: ceilingN, writerThread: false }),
    },
    log,
  );
  result.metric('ledger_ceiling', 'ledger node: outcomes applied/s through the outcomes queue', 'outcomes/s', ceiling['outcomes-queue']);
  result.metric('sqlite_apply', 'ledger alone: applyResults in batches of 200, synchronous=full (writer thread)', 'outcomes/s', ceiling['sqlite-only']);
  result.metric('sqlite_apply_loop', 'ledger alone, writes on the event loop (ledger.writerThread false)', 'outcomes/s', ceiling['sqlite-only-loop']);
}

/** One delivery run: seed the ledger, start the processes, time until the ledger says all delivered. */
async function deliveryRun({ n, receiver, redis, workers, usage }) {
  const dir = tempDir('notifyd-scale-out-');
  const dbPath = dir.file('notifyd.db');
  const prefix = `bench-${process.pid}-${Date.now()}`;
  const config = benchConfig(dbPath, {
    delivery: DELIVERY,
    log: { level: 'info' },
    ...(redis ? { redis: { url: redis.url, prefix } } : {}),
  });
  const configPath = dir.file('config.json');
  writeFileSync(configPath, JSON.stringify(config));
  await seedViaStore(dbPath, n, () => receiver.url());
  receiver.reset();
  const procs = [];
  try {
    // Workers first, so they wait on Redis when the ledger node starts dispatching.
    for (let i = 0; i < workers; i++) procs.push(await startNotifyd(configPath, 'worker'));
    const ledger = await startNotifyd(configPath, redis ? 'api' : 'all');
    procs.push(ledger);
    const started = performance.now();
    const before = procs.map((p) => procUsage(p.pid).cpuSeconds);
    const redisBefore = redis ? procUsage(redis.pid).cpuSeconds : 0;
    const reader = ledgerReader(dbPath);
    const done = await waitForStatus(reader, 'delivered', n, { intervalMs: 20, timeoutMs: 120_000 });
    reader.close();
    const seconds = (done - started) / 1000;
    const label = redis ? `bullmq-${workers}w` : 'inline';
    const cpu = (usage[label] ??= {});
    const after = procs.map((p) => procUsage(p.pid).cpuSeconds);
    (cpu.ledgerNode ??= []).push((after.at(-1) - before.at(-1)) / seconds);
    for (let i = 0; i < workers; i++) (cpu[`worker${i + 1}`] ??= []).push((after[i] - before[i]) / seconds);
    if (redis) (cpu.redis ??= []).push((procUsage(redis.pid).cpuSeconds - redisBefore) / seconds);
    if (receiver.requests < n) throw new Error(`${label}: ledger says delivered but the receiver saw ${receiver.requests}/${n}`);
    return n / seconds;
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    if (redis) await redis.dropPrefix(prefix);
    dir.cleanup();
  }
}

/**
 * The ledger node's ceiling: N notifications leased for an hour (so the
 * scheduler dispatches none of them) and N outcome jobs already in Redis,
 * as if workers had POSTed them all; `--role api` starts and applies them.
 */
async function ceilingRun({ n, receiver, redis, usage }) {
  const dir = tempDir('notifyd-ceiling-');
  const dbPath = dir.file('notifyd.db');
  const prefix = `bench-ceiling-${process.pid}-${Date.now()}`;
  const configPath = dir.file('config.json');
  writeFileSync(configPath, JSON.stringify(benchConfig(dbPath, { log: { level: 'info' }, redis: { url: redis.url, prefix } })));
  await seedViaStore(dbPath, n, () => receiver.url());
  const jobs = await leaseAll(dbPath, n, { synchronous: 'normal' });
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const outcomes = new Queue(OUTCOMES_QUEUE, { connection, prefix });
  for (let i = 0; i < jobs.length; i += 1_000) {
    await outcomes.addBulk(jobs.slice(i, i + 1_000).map((job) => {
      const outcome = successFor(job);
      return { name: 'outcome', data: outcome, opts: outcomeJobOptions(outcome) };
    }));
  }
  await outcomes.close();
  connection.disconnect();
  let ledger;
  try {
    ledger = await startNotifyd(configPath, 'api');
    const started = performance.now();
    const before = { ledgerNode: procUsage(ledger.pid).cpuSeconds, redis: procUsage(redis.pid).cpuSeconds };
    const reader = ledgerReader(dbPath);
    const done = await waitForStatus(reader, 'delivered', n, { intervalMs: 20, timeoutMs: 120_000 });
    reader.close();
    const seconds = (done - started) / 1000;
    const cpu = (usage['ledger ceiling'] ??= {});
    (cpu.ledgerNode ??= []).push((procUsage(ledger.pid).cpuSeconds - before.ledgerNode) / seconds);
    (cpu.redis ??= []).push((procUsage(redis.pid).cpuSeconds - before.redis) / seconds);
    return n / seconds;
  } finally {
    await ledger?.stop();
    await redis.dropPrefix(prefix);
    dir.cleanup();
  }
}

/** The same N results committed straight through the store (batches of 200, the group committer on), no Redis. */
async function sqliteOnlyRun({ n, writerThread }) {
  const dir = tempDir('notifyd-apply-');
  const dbPath = dir.file('notifyd.db');
  try {
    await seedViaStore(dbPath, n, () => 'http://127.0.0.1:9/notify');
    const jobs = await leaseAll(dbPath, n, { synchronous: 'normal' });
    const store = openSqliteNotificationStore({ path: dbPath, synchronous: 'full', busyTimeoutMs: 5_000, groupCommitMaxWaitMs: 2, writerThread });
    await store.retryHostNow('warm-up.invalid', Date.now()); // a write that changes nothing: the writer thread's start is not timed
    const started = performance.now();
    const batches = [];
    for (let i = 0; i < jobs.length; i += 200) batches.push(store.applyResults(jobs.slice(i, i + 200).map(successFor), Date.now()));
    await Promise.all(batches);
    const seconds = (performance.now() - started) / 1000;
    await store.close();
    return n / seconds;
  } finally {
    dir.cleanup();
  }
}

async function leaseAll(dbPath, n, { synchronous }) {
  const store = openSqliteNotificationStore({ path: dbPath, synchronous, busyTimeoutMs: 5_000, groupCommitMaxWaitMs: 0 });
  const jobs = await store.leaseDue({ now: Date.now(), limit: n, leaseMs: 3_600_000, hostSlotsLeft: new Map(), perHostLimit: n });
  await store.close();
  if (jobs.length !== n) throw new Error(`leased ${jobs.length} of ${n}`);
  return jobs;
}

function successFor(job) {
  return {
    notificationId: job.notificationId,
    attempt: job.attempt,
    startedAt: Date.now(),
    durationMs: 1,
    outcome: 'success',
    statusCode: 200,
    error: null,
    responseExcerpt: 'success',
    retryAfterMs: null,
  };
}

/** `bin/notifyd start --role …` as a child; resolves once it logged that it started. */
async function startNotifyd(configPath, role) {
  const child = spawn(process.execPath, [NOTIFYD_BIN, 'start', '--role', role, '-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const lines = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`notifyd --role ${role} did not start:\n${lines.join('\n')}`)), 20_000);
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (lines.length < 200) lines.push(line);
        if (/"msg":"notifyd (worker )?started"/.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.stderr.on('data', (chunk) => lines.push(String(chunk)));
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`notifyd --role ${role} exited (${code ?? signal}):\n${lines.join('\n')}`));
    });
  });
  return {
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A private redis-server, no persistence (see the README's advice on appendonly). */
async function startRedisServer() {
  const port = await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port: p } = server.address();
      server.close(() => resolve(p));
    });
  });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) resolve();
    });
    exited.then(() => reject(new Error(`redis-server exited:\n${out}`)));
  });
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    pid: child.pid,
    async dropPrefix(prefix) {
      const client = new Redis(url);
      const keys = await client.keys(`${prefix}:*`);
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function printTable(result, log) {
  log('');
  log('| metric | min | median | max |');
  log('| --- | ---: | ---: | ---: |');
  for (const m of result.metrics) log(`| ${m.label} (${m.unit}) | ${fmt(m.min)} | ${fmt(m.median)} | ${fmt(m.max)} |`);
  for (const note of result.notes) log(`- ${note}`);
}

await runIfMain(import.meta.url, main);
