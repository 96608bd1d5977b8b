import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { performance } from 'node:perf_hooks';
import got, { type Got } from 'got';
import type { AttemptJob } from '../domain/notification.js';
import type { SendResult } from '../domain/outcome.js';
import type { Sender } from '../domain/ports.js';
import { AbortListeners } from './abort-listeners.js';
import { BLOCKED_ADDRESS, type DestinationPolicy } from './destination-policy.js';
import { ABORTED, BLOCKED_REDIRECT, classifyFailure } from './error-class.js';
import { createSigner } from './signing.js';

export interface SenderOptions {
  /** Response bytes read at most; past it the connection is dropped and the truncated body reported. */
  maxResponseBytes: number;
  followRedirects: boolean;
  userAgent: string;
  signing: { secret: string | null; previousSecrets: readonly string[] };
  destinations: DestinationPolicy;
  /** Connections per origin at most (the agent's pool); unlimited when absent. */
  maxSockets?: number;
}

/** Each hop is checked by the guard, so this only bounds loops. */
const MAX_REDIRECTS = 5;
/**
 * Idle keep-alive sockets are closed after this long (it only applies to idle
 * sockets: a slow answer in flight is not cut). Reusing a socket the receiver
 * has just closed fails the POST with ECONNRESET and costs the notification a
 * whole retry delay, so stay under the 5 s after which Node's own server drops
 * idle connections. Node's agent shortens it further to a receiver's
 * `Keep-Alive: timeout=N` hint minus a second, but only when a timeout is set.
 */
const FREE_SOCKET_TIMEOUT_MS = 4_000;

export function createGotSender(options: SenderOptions): Sender {
  return new GotSender(options);
}

class GotSender implements Sender {
  private readonly agents: { http: HttpAgent; https: HttpsAgent };
  private readonly client: Got;
  private readonly sign: ReturnType<typeof createSigner>;
  private readonly policy: DestinationPolicy;
  private readonly maxResponseBytes: number;
  private readonly abortListeners = new AbortListeners();

  constructor(options: SenderOptions) {
    this.policy = options.destinations;
    this.maxResponseBytes = options.maxResponseBytes;
    this.sign = createSigner(options.signing);
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets ?? Infinity,
      // LIFO keeps the few hottest sockets busy and lets the rest idle out, instead of cycling through all of them.
      scheduling: 'lifo' as const,
      timeout: FREE_SOCKET_TIMEOUT_MS,
    };
    this.agents = { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) };
    const policy = this.policy;
    this.client = got.extend({
      agent: this.agents,
      dnsLookup: policy.lookup,
      headers: { 'user-agent': options.userAgent },
      // The schedule is the domain's: got must never retry, throw on a status, or follow on its own.
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: options.followRedirects,
      maxRedirects: MAX_REDIRECTS,
      methodRewriting: false,
      // No Accept-Encoding is sent, so receivers answer uncompressed and a gzip bomb cannot inflate past the cap.
      decompress: false,
      http2: false,
      cache: undefined,
      enableUnixSockets: false,
      hooks: {
        beforeRedirect: [
          (next) => {
            const target = next.url as URL;
            const refusal =
              target.protocol !== 'http:' && target.protocol !== 'https:'
                ? `redirect to scheme ${target.protocol} refused`
                : this.policy.literalBlocked(target.hostname);
            if (refusal !== null) throw Object.assign(new Error(`redirect refused: ${refusal}`), { code: BLOCKED_REDIRECT });
          },
        ],
      },
    });
  }

  async send(job: AttemptJob, signal?: AbortSignal): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const fail = (kind: 'timeout' | 'network' | 'blocked', errorCode: string, message: string): SendResult => ({
      kind,
      errorCode,
      message,
      durationMs: elapsed(),
    });

    if (signal?.aborted) return fail('network', ABORTED, 'attempt abandoned before it started (shutting down)');
    let url: URL;
    try {
      url = new URL(job.url);
    } catch {
      return fail('blocked', 'ERR_INVALID_URL', `"${job.url}" is not a valid URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return fail('blocked', 'BLOCKED_SCHEME', `scheme ${url.protocol} is not allowed`);
    }
    // A literal IP never goes through the guard's lookup, so it is checked here, at send time too (the policy may have changed since enqueue).
    const literalRefusal = this.policy.literalBlocked(url.hostname);
    if (literalRefusal !== null) return fail('blocked', BLOCKED_ADDRESS, literalRefusal);

    const headers: Record<string, string> = {
      ...job.headers,
      'content-type': job.contentType,
      ...this.sign(job.notificationId, Math.floor(Date.now() / 1000), job.body),
      'notifyd-attempt': String(job.attempt),
    };

    return new Promise<SendResult>((resolve) => {
      let settled = false;
      let statusCode = 0;
      let retryAfter: string | null = null;
      const chunks: Buffer[] = [];
      let received = 0;

      let request: ReturnType<Got['stream']>;
      try {
        request = this.client.stream.post(job.url, { body: job.body, headers });
      } catch (error) {
        const failure = classifyFailure(error);
        resolve(fail(failure.kind, failure.errorCode, failure.message));
        return;
      }

      const finish = (result: SendResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        unsubscribe();
        resolve(result);
      };
      const respond = () =>
        finish({ kind: 'response', statusCode, body: utf8Text(chunks, received), retryAfter, durationMs: elapsed() });

      // got's per-phase timeouts reset on every byte, so a receiver dripping one byte a second would hold the attempt forever: one deadline covers it all.
      const deadline = setTimeout(() => {
        const phase = statusCode === 0 ? 'waiting for the response' : 'reading the response body';
        finish(fail('timeout', 'ETIMEDOUT', `no complete answer within ${job.timeoutMs} ms (${phase})`));
        request.destroy();
      }, job.timeoutMs);
      const unsubscribe = signal
        ? this.abortListeners.subscribe(signal, () => {
            finish(fail('network', ABORTED, 'attempt abandoned (shutting down)'));
            request.destroy();
          })
        : () => {};

      request.once('response', (response: { statusCode: number; headers: Record<string, string | string[] | undefined> }) => {
        statusCode = response.statusCode;
        const header = response.headers['retry-after'];
        retryAfter = typeof header === 'string' ? header : null;
      });
      request.on('data', (chunk: Buffer) => {
        if (settled) return;
        const room = this.maxResponseBytes - received;
        if (chunk.length <= room) {
          chunks.push(chunk);
          received += chunk.length;
          return;
        }
        // Over the cap: keep what fits and drop the connection, so a 10 GB or endless body costs maxResponseBytes of memory.
        chunks.push(chunk.subarray(0, room));
        received += room;
        respond();
        request.destroy();
      });
      request.once('end', respond);
      // Stays attached after settling: errors from a deliberately destroyed request must not go unhandled.
      request.on('error', (error: Error) => {
        if (settled) return;
        const failure = classifyFailure(error);
        finish(fail(failure.kind, failure.errorCode, failure.message));
      });
    });
  }

  async close(): Promise<void> {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

/** Decodes the bytes read; a cut through a multi-byte character drops that character rather than adding a U+FFFD. */
function utf8Text(chunks: Buffer[], length: number): string {
  if (length === 0) return '';
  const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
  return bytes.subarray(0, utf8Boundary(bytes)).toString('utf8');
}

function utf8Boundary(bytes: Buffer): number {
  let end = bytes.length;
  // Step back over continuation bytes (10xxxxxx) to the lead byte of the last character.
  let lead = end - 1;
  while (lead > 0 && end - lead < 4 && (bytes[lead]! & 0xc0) === 0x80) lead--;
  const first = bytes[lead]!;
  const size = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1;
  if (lead + size > end) end = lead;
  return end;
}
