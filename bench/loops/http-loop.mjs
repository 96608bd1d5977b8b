// The baselines of the deliver benchmark: N POSTs to the receiver at a fixed
// concurrency from a bare client, in a process of its own (as notifyd is).
// Each POST carries what notifyd sends (the body, content-type, webhook-id,
// webhook-timestamp, notifyd-attempt, user-agent) and its answer is read and
// checked for "success".
//   message {cmd:'run', id, client, variant, url, n, concurrency, body} → {durationMs, cpuMs, ok, failed}
import { GOT_VARIANTS, headersFor, notifydSenderPost, undiciPost } from '../lib/clients.mjs';
import { serveParent } from '../lib/child.mjs';

async function run({ client, variant = 'extended', url, n, concurrency, body }) {
  const post = client === 'undici' ? undiciPost() : client === 'sender' ? await notifydSenderPost() : GOT_VARIANTS[variant]();
  // Warm-up outside the timing: connections open, code compiled.
  await Promise.all(Array.from({ length: concurrency }, (_, i) => post(url, body, headersFor(-1 - i))));
  let next = 0;
  let ok = 0;
  let failed = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  async function lane() {
    while (next < n) {
      const i = next++;
      try {
        const text = await post(url, body, headersFor(i));
        if (text.trim() === 'success') ok++;
        else failed++;
      } catch {
        failed++;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const durationMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { durationMs, cpuMs: (cpu.user + cpu.system) / 1000, ok, failed };
}

serveParent({ run: (msg) => run(msg), close: () => process.exit(0) });
process.send({ type: 'ready' });
