import { createServer } from 'node:http';

/**
 * A receiver on 127.0.0.1 in the driver process. Modes: 'success' answers
 * 200 "success" at once; 'hang' reads the request and never answers (the
 * sender's timeout ends it). With `track`, the time each webhook-id (or
 * x-bench-id for baselines) was first seen is kept, for latency figures.
 */
export async function startReceiver({ mode = 'success', track = false } = {}) {
  const seen = track ? new Map() : null;
  const sockets = new Set();
  const state = { requests: 0, distinct: 0, firstAt: null, lastAt: null, waiters: [] };
  const server = createServer((req, res) => {
    const now = performance.now();
    state.requests += 1;
    state.firstAt ??= now;
    state.lastAt = now;
    if (seen) {
      const id = req.headers['webhook-id'] ?? req.headers['x-bench-id'];
      if (id !== undefined && !seen.has(id)) {
        seen.set(id, now);
        state.distinct += 1;
      }
    }
    if (state.waiters.length > 0) state.waiters = state.waiters.filter((w) => (w.check() ? (w.resolve(), false) : true));
    if (mode === 'hang') {
      req.resume();
      return;
    }
    // Answer once the body is read: like a real receiver, and so keep-alive reuse is clean.
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '7' });
      res.end('success');
    });
    req.resume();
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    port,
    url: (path = '/notify') => `http://127.0.0.1:${port}${path}`,
    seen,
    get requests() {
      return state.requests;
    },
    get distinct() {
      return state.distinct;
    },
    get firstAt() {
      return state.firstAt;
    },
    get lastAt() {
      return state.lastAt;
    },
    reset() {
      state.requests = 0;
      state.distinct = 0;
      state.firstAt = null;
      state.lastAt = null;
      seen?.clear();
    },
    /** Resolves when `predicate()` holds (checked on each request). */
    until(predicate, timeoutMs = 600_000) {
      if (predicate()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver: condition not met within ${timeoutMs} ms (${state.requests} requests)`)), timeoutMs);
        state.waiters.push({ check: predicate, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port with nothing listening on it: connections are refused at once (a receiver that is down). */
export async function deadPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
