// A notifyd daemon in its own process, started in-process the way the tests do
// (startDaemon + buildConfig from dist/). With BENCH_NOOP=1 the same process
// also serves a bare fastify no-op route: the enqueue benchmark's baseline.
import Database from 'better-sqlite3';
import { serveParent } from './child.mjs';

// BENCH_DIST points at another build (a dist/ directory beside its own
// node_modules and migrations) to compare two versions with the same benchmark.
const dist = process.env.BENCH_DIST ?? new URL('../../dist', import.meta.url).href;
const { buildConfig } = await import(`${dist}/config.js`);
const { startDaemon } = await import(`${dist}/daemon.js`);

// Diagnostics (BENCH_TIME_COMMITS=1): wall time spent inside IMMEDIATE
// transactions (the group commits: statements, COMMIT and its fsync), during
// which the event loop is blocked.
const commitTime = { ms: 0, count: 0, maxMs: 0 };
if (process.env.BENCH_TIME_COMMITS === '1') {
  const transaction = Database.prototype.transaction;
  Database.prototype.transaction = function timedTransaction(fn) {
    const tx = transaction.call(this, fn);
    const timed = (...args) => tx(...args);
    for (const kind of ['default', 'deferred', 'exclusive']) timed[kind] = tx[kind];
    timed.database = tx.database;
    timed.immediate = (...args) => {
      const t = performance.now();
      try {
        return tx.immediate(...args);
      } finally {
        const ms = performance.now() - t;
        commitTime.ms += ms;
        commitTime.count += 1;
        commitTime.maxMs = Math.max(commitTime.maxMs, ms);
      }
    };
    return timed;
  };
}

try {
  const config = buildConfig(JSON.parse(process.env.BENCH_CONFIG ?? '{}'));
  const daemon = await startDaemon({ config });
  // The enqueue benchmark measures the API and the ledger alone: no delivery.
  if (process.env.BENCH_NO_SCHEDULER === '1') await daemon.scheduler?.stop(0);
  let noop = null;
  if (process.env.BENCH_NOOP === '1') {
    const { default: Fastify } = await import('fastify');
    noop = Fastify({ logger: false, bodyLimit: config.limits.maxBodyBytes });
    noop.post('/noop', async (request, reply) => {
      const now = new Date().toISOString();
      return reply.code(202).send({ id: 'ntf_noop', status: 'pending', nextAttemptAt: now, createdAt: now, size: request.body ? 1 : 0 });
    });
    await noop.listen({ host: '127.0.0.1', port: 0 });
  }
  serveParent({
    close: async () => {
      await noop?.close();
      await daemon.close();
      process.exit(0);
    },
    usage: () => ({ cpu: process.cpuUsage(), memory: process.memoryUsage() }),
    stats: () => ({ groupCommit: daemon.store?.stats ?? null, inFlight: daemon.scheduler?.inFlightCount ?? null, commitTime }),
  });
  process.send({
    type: 'ready',
    url: daemon.url,
    noopUrl: noop ? `http://127.0.0.1:${noop.server.address().port}/noop` : null,
  });
} catch (error) {
  process.send?.({ type: 'error', message: String(error?.stack ?? error) });
  process.exit(1);
}
