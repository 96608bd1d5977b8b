import { Registry, collectDefaultMetrics } from 'prom-client';

let shared: Registry | null = null;

/**
 * The default Node.js process metrics (CPU, memory, event loop lag, GC,
 * handles), collected once per process: they describe the process, not a
 * daemon, and each collector holds perf_hooks observers that are never
 * released. Several daemons in one process (the tests) merge this same
 * registry into their own.
 */
export function processMetricsRegistry(): Registry {
  if (shared === null) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
