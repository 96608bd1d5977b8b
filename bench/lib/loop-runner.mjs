import { fileURLToPath } from 'node:url';
import { Child } from './child.mjs';

const LOOP = fileURLToPath(new URL('../loops/http-loop.mjs', import.meta.url));

/** Runs one bare-client loop in a fresh process; returns {rate, cpuUsPerPost, ...}. */
export async function runLoop({ client, variant, url, n, concurrency, body, execArgv = [] }) {
  const child = new Child(LOOP, { execArgv });
  try {
    await child.waitFor('ready');
    const r = await child.request('run', { client, variant, url, n, concurrency, body }, 600_000);
    if (r.failed > 0) throw new Error(`${client}/${variant ?? ''} loop: ${r.failed} of ${n} POSTs failed`);
    return { ...r, rate: n / (r.durationMs / 1000), cpuUsPerPost: (r.cpuMs * 1000) / n };
  } finally {
    await child.stop();
  }
}
