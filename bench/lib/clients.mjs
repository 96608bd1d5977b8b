// HTTP clients for the bare loops: got configurations (each adding one
// setting to the one before) and undici. Each factory returns
// post(url, body, headers) → Promise<response text>.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import got from 'got';
import { Agent, request as undiciRequest } from 'undici';

export const USER_AGENT = 'notifyd/0.1 (+https://github.com/notifyd/notifyd)';

export function headersFor(i) {
  return {
    'content-type': 'application/json',
    'webhook-id': `ntf_bench_${i}`,
    'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    'notifyd-attempt': '1',
  };
}

function keepAliveAgents() {
  return { http: new HttpAgent({ keepAlive: true, scheduling: 'lifo' }), https: new HttpsAgent({ keepAlive: true }) };
}

/** `got.extend` once, with a keep-alive agent and retries, decompression, HTTP/2 and redirects off; `extra` adds one setting. */
function extendedClient(extra = {}) {
  return got.extend({
    agent: keepAliveAgents(),
    headers: { 'user-agent': USER_AGENT },
    retry: { limit: 0 },
    throwHttpErrors: false,
    decompress: false,
    http2: false,
    followRedirect: false,
    ...extra,
  });
}

/** POSTs through got's stream API, reading the answer to its end; `toUrl` turns the string into what got is given. */
function streamPost(client, toUrl = (url) => url) {
  return (url, body, headers) =>
    new Promise((resolve, reject) => {
      const chunks = [];
      const request = client.stream.post(toUrl(url), { body, headers });
      request.on('data', (c) => chunks.push(c));
      request.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      request.on('error', reject);
    });
}

/**
 * got configurations, each adding one thing to the one before (see the
 * got-configs benchmark). Each returns `post(url, body, headers) → Promise<string>`.
 */
export const GOT_VARIANTS = {
  // What most code does: the default instance, promise API.
  default: () => (url, body, headers) => got.post(url, { body, headers: { ...headers, 'user-agent': USER_AGENT } }).text(),
  // A keep-alive agent of our own (Node 20's global agent keeps alive too, but with no socket cap and FIFO).
  agent: () => {
    const agent = keepAliveAgents();
    return (url, body, headers) => got.post(url, { agent, body, headers: { ...headers, 'user-agent': USER_AGENT } }).text();
  },
  // Options merged once (got.extend) instead of per request; retries, decompression and http2 off.
  extended: () => {
    const client = extendedClient();
    return (url, body, headers) => client.post(url, { body, headers }).text();
  },
  // The stream API (what notifyd's sender uses: it caps the bytes read and runs its own deadline).
  stream: () => streamPost(extendedClient()),
  // The stream API with got's own timeout (notifyd keeps one deadline timer of its own instead).
  'stream-timeout': () => streamPost(extendedClient({ timeout: { request: 10_000 } })),
  // The stream API plus a pre-parsed URL object (got skips its own parse of a string).
  'stream-url': () => streamPost(extendedClient(), (url) => new URL(url)),
};

/** notifyd's own sender (dist/sender/got-sender.js via createSender), outside the daemon: the sender's cost without ledger or scheduler. */
export async function notifydSenderPost() {
  const { buildConfig } = await import('../../dist/config.js');
  const { senderFromConfig: createSender } = await import('../../dist/sender/from-config.js');
  const config = buildConfig({ security: { allowHosts: ['127.0.0.1/32'] }, delivery: { perHostConcurrency: 64 } });
  const sender = createSender(config);
  let n = 0;
  return async (url, body, headers) => {
    const result = await sender.send({
      notificationId: headers['webhook-id'],
      attempt: 1,
      url,
      host: new URL(url).host,
      body,
      contentType: 'application/json',
      headers: {},
      timeoutMs: 10_000,
      success: config.delivery.success,
      leaseUntil: Date.now() + 60_000,
      first: true,
      n: n++,
    });
    if (result.kind !== 'response') throw new Error(`${result.kind}: ${result.message}`);
    return result.body;
  };
}

export function undiciPost() {
  const dispatcher = new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 4_000 });
  return async (url, body, headers) => {
    const { body: answer } = await undiciRequest(url, {
      method: 'POST',
      dispatcher,
      body,
      headers: { ...headers, 'user-agent': USER_AGENT },
    });
    return answer.text();
  };
}

