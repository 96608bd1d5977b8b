// The latency baseline: the same shape as notifyd (fastify answers 202, then
// notifyd's own sender POSTs to the receiver) with no ledger and no scheduler:
// what an in-memory relay with no durability would show.
import Fastify from 'fastify';
import { buildConfig } from '../../dist/config.js';
import { senderFromConfig as createSender } from '../../dist/sender/from-config.js';
import { serveParent } from './child.mjs';

try {
  const config = buildConfig(JSON.parse(process.env.BENCH_CONFIG ?? '{}'));
  const sender = createSender(config);
  const app = Fastify({ logger: false, bodyLimit: config.limits.maxBodyBytes });
  let counter = 0;
  app.post('/relay', async (request, reply) => {
    const input = request.body;
    const id = `relay_${++counter}`;
    const body = typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
    const now = Date.now();
    reply.code(202).send({ id, status: 'pending', nextAttemptAt: new Date(now).toISOString(), createdAt: new Date(now).toISOString() });
    void sender.send({
      notificationId: id,
      attempt: 1,
      url: input.url,
      host: new URL(input.url).host,
      body,
      contentType: 'application/json',
      headers: {},
      timeoutMs: input.timeoutMs ?? config.delivery.timeoutMs,
      success: config.delivery.success,
      leaseUntil: now + 60_000,
      first: true,
    });
    return reply;
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  serveParent({
    close: async () => {
      await app.close();
      await sender.close();
      process.exit(0);
    },
  });
  process.send({ type: 'ready', url: `http://127.0.0.1:${app.server.address().port}/relay` });
} catch (error) {
  process.send?.({ type: 'error', message: String(error?.stack ?? error) });
  process.exit(1);
}
