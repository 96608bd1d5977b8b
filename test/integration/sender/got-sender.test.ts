import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptJob } from '../../../src/domain/notification.js';
import type { SendResult } from '../../../src/domain/outcome.js';
import type { Sender } from '../../../src/domain/ports.js';
import { DestinationPolicy } from '../../../src/sender/destination-policy.js';
import { createGotSender, type SenderOptions } from '../../../src/sender/got-sender.js';
import { TestReceiver } from '../../helpers/receiver.js';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const PREVIOUS = `whsec_${randomBytes(24).toString('base64')}`;
const MAX_RESPONSE_BYTES = 4096;

// A self-signed certificate for localhost/127.0.0.1 (EC P-256, valid until 2126), made with
// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 -subj /CN=localhost`.
// The sender does not trust it, which is the point: TLS failures must come back as stable codes.
const SELF_SIGNED_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgpVt9MppsxE1OKDkL
FmwmsR1RJNXAjc+58mm9PKTqpzahRANCAAQgRkSsTRWKa7kntNCFk5DJ71ziglC+
tN+A3iaUycFGSQzHvugQBJwJnaOKnmBQh5RcECl1IZTv5WlNyDeYjl8H
-----END PRIVATE KEY-----`;
const SELF_SIGNED_CERT = `-----BEGIN CERTIFICATE-----
MIIBnDCCAUGgAwIBAgIUA8Xvsg7zKk4U1Bj+8FDt9x5+UccwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNDA3NDAxNFoYDzIxMjYxMDMx
MDc0MDE0WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQgRkSsTRWKa7kntNCFk5DJ71ziglC+tN+A3iaUycFGSQzHvugQBJwJ
naOKnmBQh5RcECl1IZTv5WlNyDeYjl8Ho28wbTAdBgNVHQ4EFgQU2CA8oE58YdwI
H2BWwdexsUq4HT0wHwYDVR0jBBgwFoAU2CA8oE58YdwIH2BWwdexsUq4HT0wDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDSQAwRgIhAMwtPieqlqomrsHLzC4yC5JLfYVluD96buicGQb8tbOxAiEA
oWXF7uRvDsnVv22bQq6bHpdm7r/7cHhpVzmZ1jG7uo0=
-----END CERTIFICATE-----`;

const loopbackOnly = () => new DestinationPolicy({ allowPrivateNetworks: false, allowHosts: ['127.0.0.1/32'] });

function senderWith(overrides: Partial<SenderOptions> = {}): Sender {
  const sender = createGotSender({
    maxResponseBytes: MAX_RESPONSE_BYTES,
    followRedirects: false,
    userAgent: 'notifyd-test/1',
    signing: { secret: SECRET, previousSecrets: [PREVIOUS] },
    destinations: loopbackOnly(),
    ...overrides,
  });
  opened.push(sender);
  return sender;
}

let sequence = 0;
function job(url: string, overrides: Partial<AttemptJob> = {}): AttemptJob {
  sequence += 1;
  return {
    notificationId: `ntf_test${sequence}`,
    attempt: 1,
    url,
    host: new URL(url).host,
    body: JSON.stringify({ out_trade_no: `T-${sequence}`, trade_status: 'TRADE_SUCCESS' }),
    contentType: 'application/json',
    headers: {},
    timeoutMs: 2000,
    success: { status: '2xx', body: 'success' },
    leaseUntil: Date.now() + 60_000,
    first: true,
    ...overrides,
  };
}

/** A raw TCP server on 127.0.0.1, for receivers that misbehave below HTTP. */
async function rawServer(onConnection: (socket: Socket) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/notify`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Waits for the end of the request head, then hands the socket to `answer`. */
function afterRequestHead(answer: (socket: Socket) => void): (socket: Socket) => void {
  return (socket) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (seen.includes('\r\n\r\n')) {
        socket.off('data', onData);
        answer(socket);
      }
    };
    socket.on('data', onData);
  };
}

function expectFailure(result: SendResult, kind: 'timeout' | 'network' | 'blocked', code: string | RegExp) {
  if (result.kind === 'response') throw new Error(`expected ${kind}, got HTTP ${result.statusCode}`);
  expect(result.kind).toBe(kind);
  if (typeof code === 'string') expect(result.errorCode).toBe(code);
  else expect(result.errorCode).toMatch(code);
  return result;
}

function expectResponse(result: SendResult) {
  if (result.kind !== 'response') throw new Error(`expected a response, got ${result.kind} ${result.errorCode}: ${result.message}`);
  return result;
}

const opened: Sender[] = [];
const cleanups: Array<() => Promise<void>> = [];
let receiver: TestReceiver;

beforeAll(async () => {
  receiver = await TestReceiver.start();
});
afterEach(async () => {
  for (const sender of opened.splice(0)) await sender.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
afterAll(async () => {
  await receiver.close();
});

describe('a successful POST', () => {
  it('sends the body, content type, user agent, webhook and notifyd headers, and the producer headers', async () => {
    receiver.respondWith(() => ({ status: 200, body: 'success\n' }));
    const sender = senderWith();
    const first = job(receiver.url('/pay/notify'), { headers: { 'x-merchant': 'm-42' }, attempt: 1 });
    const result = expectResponse(await sender.send(first));
    expect(result).toMatchObject({ statusCode: 200, body: 'success\n', retryAfter: null });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);

    await sender.send({ ...first, attempt: 2 });
    const [a, b] = receiver.requestsFor(first.notificationId);
    expect(a).toMatchObject({ method: 'POST', path: '/pay/notify', body: first.body });
    expect(a!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'notifyd-test/1',
      'webhook-id': first.notificationId,
      'notifyd-attempt': '1',
      'x-merchant': 'm-42',
      'content-length': String(Buffer.byteLength(first.body)),
    });
    expect(Number(a!.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -1);
    // The receiver's dedupe key is the same on every retry.
    expect(b!.headers['webhook-id']).toBe(first.notificationId);
    expect(b!.headers['notifyd-attempt']).toBe('2');
  });

  it('reuses one keep-alive connection for consecutive sends to a host', async () => {
    let connections = 0;
    const server: HttpServer = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('success'));
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const sender = senderWith();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    for (let i = 0; i < 5; i++) expectResponse(await sender.send(job(url)));
    expect(connections).toBe(1);
  });

  it('waits for a slow answer longer than the idle keep-alive timeout (only idle sockets are closed)', async () => {
    receiver.respondWith(() => ({ body: 'success', delayMs: 4_500 }));
    const result = expectResponse(await senderWith().send(job(receiver.url(), { timeoutMs: 8_000 })));
    expect(result).toMatchObject({ statusCode: 200, body: 'success' });
  });

  it('sends form bodies as is', async () => {
    receiver.respondWith(() => ({ body: 'success' }));
    const sender = senderWith();
    const form = job(receiver.url(), { body: 'trade_status=TRADE_SUCCESS&out_trade_no=42', contentType: 'application/x-www-form-urlencoded' });
    await sender.send(form);
    const [seen] = receiver.requestsFor(form.notificationId);
    expect(seen!.body).toBe(form.body);
    expect(seen!.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });
});

describe('Standard Webhooks signature', () => {
  it('verifies with the standardwebhooks library, and a tampered body does not', async () => {
    receiver.respondWith(() => ({ body: 'success' }));
    const sent = job(receiver.url());
    await senderWith().send(sent);
    const [seen] = receiver.requestsFor(sent.notificationId);
    const headers = seen!.headers as Record<string, string>;
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+ v1,[A-Za-z0-9+/=]+$/);

    expect(new Webhook(SECRET).verify(seen!.body, headers)).toEqual(JSON.parse(sent.body));
    expect(() => new Webhook(SECRET).verify(seen!.body.replace('TRADE_SUCCESS', 'TRADE_CLOSED'), headers)).toThrow(/signature/i);
    expect(() => new Webhook(SECRET).verify(seen!.body, { ...headers, 'webhook-id': 'ntf_other' })).toThrow(/signature/i);
  });

  it('during a rotation, a receiver still holding only the previous secret verifies', async () => {
    receiver.respondWith(() => ({ body: 'success' }));
    const sent = job(receiver.url());
    await senderWith().send(sent);
    const [seen] = receiver.requestsFor(sent.notificationId);
    expect(new Webhook(PREVIOUS).verify(seen!.body, seen!.headers as Record<string, string>)).toEqual(JSON.parse(sent.body));
    const stranger = `whsec_${randomBytes(24).toString('base64')}`;
    expect(() => new Webhook(stranger).verify(seen!.body, seen!.headers as Record<string, string>)).toThrow();
  });

  it('sends no signature when no secret is configured, but still webhook-id and webhook-timestamp', async () => {
    receiver.respondWith(() => ({ body: 'success' }));
    const sent = job(receiver.url());
    await senderWith({ signing: { secret: null, previousSecrets: [] } }).send(sent);
    const [seen] = receiver.requestsFor(sent.notificationId);
    expect(seen!.headers['webhook-signature']).toBeUndefined();
    expect(seen!.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
  });
});

describe('receiver answers are data', () => {
  it('returns a 500 with its body', async () => {
    receiver.respondWith(() => ({ status: 500, body: 'database is down' }));
    const result = expectResponse(await senderWith().send(job(receiver.url())));
    expect(result).toMatchObject({ statusCode: 500, body: 'database is down', retryAfter: null });
  });

  it('captures Retry-After on a 503', async () => {
    receiver.respondWith(() => ({ status: 503, body: 'busy', headers: { 'retry-after': '120' } }));
    const result = expectResponse(await senderWith().send(job(receiver.url())));
    expect(result).toMatchObject({ statusCode: 503, retryAfter: '120' });
  });

  it('does not follow a redirect by default: the 302 is the answer', async () => {
    receiver.respondWith((req) => (req.path === '/moved' ? { status: 302, headers: { location: '/elsewhere' } } : { body: 'success' }));
    const sent = job(receiver.url('/moved'));
    const result = expectResponse(await senderWith().send(sent));
    expect(result.statusCode).toBe(302);
    expect(receiver.requestsFor(sent.notificationId)).toHaveLength(1);
  });

  it('with followRedirects, follows an allowed hop', async () => {
    receiver.respondWith((req) => (req.path === '/moved' ? { status: 307, headers: { location: '/final' } } : { body: 'success' }));
    const sent = job(receiver.url('/moved'));
    const result = expectResponse(await senderWith({ followRedirects: true }).send(sent));
    expect(result).toMatchObject({ statusCode: 200, body: 'success' });
    expect(receiver.requestsFor(sent.notificationId).map((r) => [r.method, r.path])).toEqual([
      ['POST', '/moved'],
      ['POST', '/final'],
    ]);
  });

  it('with followRedirects, a redirect to the cloud metadata address is blocked before any connection', async () => {
    receiver.respondWith(() => ({ status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' } }));
    const result = await senderWith({ followRedirects: true }).send(job(receiver.url()));
    expectFailure(result, 'blocked', 'BLOCKED_REDIRECT');
  });

  it('with followRedirects, a redirect to another scheme is blocked', async () => {
    receiver.respondWith(() => ({ status: 301, headers: { location: 'file:///etc/passwd' } }));
    expectFailure(await senderWith({ followRedirects: true }).send(job(receiver.url())), 'blocked', 'BLOCKED_REDIRECT');
  });
});

describe('the SSRF guard at connect time', () => {
  it('the default policy blocks loopback reached through a name (localhost), without sending', async () => {
    const sender = senderWith({ destinations: new DestinationPolicy({ allowPrivateNetworks: false, allowHosts: [] }) });
    const sent = job(`http://localhost:${receiver.port}/notify`);
    const result = expectFailure(await sender.send(sent), 'blocked', 'BLOCKED_ADDRESS');
    expect(result.message).toMatch(/localhost/);
    expect(receiver.requestsFor(sent.notificationId)).toHaveLength(0);
  });

  it('the default policy blocks a literal loopback address, without sending', async () => {
    const sender = senderWith({ destinations: new DestinationPolicy({ allowPrivateNetworks: false, allowHosts: [] }) });
    const sent = job(receiver.url());
    expectFailure(await sender.send(sent), 'blocked', 'BLOCKED_ADDRESS');
    expect(receiver.requestsFor(sent.notificationId)).toHaveLength(0);
  });

  it('allowPrivateNetworks lets localhost through', async () => {
    receiver.respondWith(() => ({ body: 'success' }));
    const sender = senderWith({ destinations: new DestinationPolicy({ allowPrivateNetworks: true, allowHosts: [] }) });
    expectResponse(await sender.send(job(`http://localhost:${receiver.port}/notify`)));
  });
});

describe('network failures', () => {
  it('connection refused → network ECONNREFUSED', async () => {
    const closed = await rawServer(() => {});
    await closed.close();
    const result = expectFailure(await senderWith().send(job(closed.url)), 'network', 'ECONNREFUSED');
    expect(result.message.length).toBeGreaterThan(0);
  });

  it('a receiver that never answers → timeout within timeoutMs', async () => {
    const silent = await rawServer(() => {});
    cleanups.push(silent.close);
    const result = expectFailure(await senderWith().send(job(silent.url, { timeoutMs: 300 })), 'timeout', 'ETIMEDOUT');
    expect(result.durationMs).toBeGreaterThanOrEqual(295);
    expect(result.durationMs).toBeLessThan(800);
  });

  it('a body dripped one byte at a time past the deadline → timeout, even though the socket never idles', async () => {
    const drip = await rawServer(
      afterRequestHead((socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n');
        const timer = setInterval(() => socket.write('1\r\ns\r\n'), 40);
        socket.on('close', () => clearInterval(timer));
      }),
    );
    cleanups.push(drip.close);
    const result = expectFailure(await senderWith().send(job(drip.url, { timeoutMs: 400 })), 'timeout', 'ETIMEDOUT');
    expect(result.message).toMatch(/body/);
    expect(result.durationMs).toBeLessThan(900);
  });

  it('an endless body is cut at maxResponseBytes: the status is reported and memory does not grow', async () => {
    let bytesWritten = 0;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const endless = await rawServer(
      afterRequestHead((socket) => {
        // Declares 10 GB and keeps writing until the client hangs up.
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10737418240\r\n\r\n');
        const pump = () => {
          while (!socket.destroyed && socket.write(chunk)) bytesWritten += chunk.length;
          if (!socket.destroyed) socket.once('drain', pump);
        };
        pump();
      }),
    );
    cleanups.push(endless.close);
    const sender = senderWith();
    global.gc?.();
    const before = process.memoryUsage();
    for (let i = 0; i < 5; i++) {
      const result = expectResponse(await sender.send(job(endless.url, { timeoutMs: 5000 })));
      expect(result.statusCode).toBe(200);
      expect(Buffer.byteLength(result.body)).toBe(MAX_RESPONSE_BYTES);
    }
    const after = process.memoryUsage();
    expect(after.rss - before.rss).toBeLessThan(64 * 1024 * 1024);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(16 * 1024 * 1024);
    // The server was cut off, not drained: it managed far less than the 10 GB it announced.
    expect(bytesWritten).toBeLessThan(512 * 1024 * 1024);
  });

  it('a body cut inside a multi-byte character stays valid UTF-8 and within the cap', async () => {
    receiver.respondWith(() => ({ status: 200, body: `a${'€'.repeat(MAX_RESPONSE_BYTES)}` }));
    const result = expectResponse(await senderWith().send(job(receiver.url())));
    expect(Buffer.byteLength(result.body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(result.body).not.toContain('\uFFFD');
    expect(result.body.startsWith('a€€')).toBe(true);
  });

  it('garbage instead of HTTP → network with a stable HPE_* code', async () => {
    const garbage = await rawServer(
      afterRequestHead((socket) => {
        socket.end('SSH-2.0-OpenSSH_9.6\r\nthis is not http\r\n\r\n');
      }),
    );
    cleanups.push(garbage.close);
    expectFailure(await senderWith().send(job(garbage.url)), 'network', /^HPE_[A-Z_]+$/);
  });

  it('https to a plain-HTTP receiver → network EPROTO', async () => {
    const result = await senderWith().send(job(`https://127.0.0.1:${receiver.port}/notify`));
    expectFailure(result, 'network', 'EPROTO');
  });

  it('https to an untrusted certificate → network with the TLS error code', async () => {
    const server = createHttpsServer({ key: SELF_SIGNED_KEY, cert: SELF_SIGNED_CERT }, (req, res) => res.end('success'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const port = (server.address() as AddressInfo).port;
    // Through a name, so the https agent also goes through the guard's lookup.
    expectFailure(await senderWith().send(job(`https://localhost:${port}/notify`)), 'network', 'DEPTH_ZERO_SELF_SIGNED_CERT');
    const strict = senderWith({ destinations: new DestinationPolicy({ allowPrivateNetworks: false, allowHosts: [] }) });
    expectFailure(await strict.send(job(`https://localhost:${port}/notify`)), 'blocked', 'BLOCKED_ADDRESS');
  });

  it('a connection reset mid-response → network ECONNRESET', async () => {
    const reset = await rawServer(
      afterRequestHead((socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nsucc');
        setTimeout(() => socket.resetAndDestroy(), 20);
      }),
    );
    cleanups.push(reset.close);
    expectFailure(await senderWith().send(job(reset.url)), 'network', 'ECONNRESET');
  });

  it('a connection closed before any answer → network ECONNRESET', async () => {
    const hangup = await rawServer(afterRequestHead((socket) => socket.destroy()));
    cleanups.push(hangup.close);
    expectFailure(await senderWith().send(job(hangup.url)), 'network', 'ECONNRESET');
  });

  it('the caller signal (shutdown) abandons an attempt at once', async () => {
    const silent = await rawServer(() => {});
    cleanups.push(silent.close);
    const controller = new AbortController();
    const pending = senderWith().send(job(silent.url, { timeoutMs: 10_000 }), controller.signal);
    setTimeout(() => controller.abort(), 50);
    const result = expectFailure(await pending, 'network', 'ABORTED');
    expect(result.durationMs).toBeLessThan(1000);
  });

  it('one shutdown signal shared by many attempts aborts them all, without a listener-leak warning', async () => {
    const silent = await rawServer(() => {});
    cleanups.push(silent.close);
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const sender = senderWith();
      const pending = Array.from({ length: 40 }, () => sender.send(job(silent.url, { timeoutMs: 10_000 }), controller.signal));
      setTimeout(() => controller.abort(), 50);
      for (const result of await Promise.all(pending)) expectFailure(result, 'network', 'ABORTED');
      // A signal that already fired is answered at once, before any connection.
      expectFailure(await sender.send(job(silent.url), controller.signal), 'network', 'ABORTED');
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
  });
});
