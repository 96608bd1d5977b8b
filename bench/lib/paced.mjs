import { Agent, request } from 'node:http';

/**
 * Sends `total` enqueue requests at `perSecond`, on an absolute schedule (a late
 * send does not push the next ones back), each on its own (no waiting for the
 * previous answer). Records when each answer's status line and headers arrived
 * (performance.now(), taken synchronously in node:http's 'response' event, the
 * earliest moment the producer knows it got a 202) by the id in its body.
 * Returns {answered: Map(id → t), sentAt: Map(id → t), enqueueMs: number[]}.
 */
export async function pacedEnqueue({ url, perSecond, total, bodyOf, connections = 16 }) {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const answered = new Map();
  const sentAt = new Map();
  const enqueueMs = [];
  const failures = [];
  const interval = 1000 / perSecond;
  const t0 = performance.now() + 20;
  const inFlight = [];
  const post = (body) =>
    new Promise((resolve) => {
      const sent = performance.now();
      const req = request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const at = performance.now();
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => {
            if (res.statusCode !== 202) failures.push(`${res.statusCode} ${text.slice(0, 200)}`);
            else {
              const { id } = JSON.parse(text);
              answered.set(id, at);
              sentAt.set(id, sent);
              enqueueMs.push(at - sent);
            }
            resolve();
          });
        },
      );
      req.on('error', (error) => {
        failures.push(String(error));
        resolve();
      });
      req.end(body);
    });
  for (let i = 0; i < total; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    else if (wait > 0) await new Promise((r) => setImmediate(r));
    inFlight.push(post(bodyOf(i)));
  }
  await Promise.all(inFlight);
  agent.destroy();
  if (failures.length > 0) throw new Error(`${failures.length} enqueues failed, first: ${failures[0]}`);
  return { answered, sentAt, enqueueMs };
}

/**
 * 202 → receiver-seen times (ms) for every answered id; waits until the
 * receiver has seen them all. Both clocks are the driver's. A value at or
 * just below 0 means the POST and the 202 reached the driver in the same
 * event-loop turn and the POST was parsed first.
 */
export async function latencies(receiver, answered, timeoutMs = 30_000) {
  await receiver.until(() => [...answered.keys()].every((id) => receiver.seen.has(id)), timeoutMs).catch(() => {});
  const out = [];
  let missing = 0;
  for (const [id, at] of answered) {
    const seen = receiver.seen.get(id);
    if (seen === undefined) missing++;
    else out.push(seen - at);
  }
  if (missing > 0) throw new Error(`${missing} of ${answered.size} notifications never reached the receiver`);
  return out;
}
