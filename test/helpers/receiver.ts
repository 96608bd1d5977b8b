import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  at: number;
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Answer = { status?: number; body?: string; headers?: Record<string, string>; delayMs?: number };
/** Decides the answer to each request; may also take over the raw response (hang, reset…). */
export type Responder = (req: ReceivedRequest, res: ServerResponse, raw: IncomingMessage) => Answer | 'handled' | Promise<Answer | 'handled'>;

/**
 * A real HTTP receiver on 127.0.0.1 whose answers the test sets (modelled on
 * Svix's TestReceiver). Records every request.
 */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  private responder: Responder = () => ({ status: 200, body: 'success' });
  private waiters: Array<{ predicate: () => boolean; resolve: () => void }> = [];
  private readonly sockets = new Set<import('node:net').Socket>();

  private constructor(private readonly server: Server) {}

  /** `port`: listen on that port (a receiver coming back where one was closed); default a free one. */
  static async start(responder?: Responder, options: { port?: number } = {}): Promise<TestReceiver> {
    let receiver!: TestReceiver;
    const server = createServer((raw, res) => void receiver.handle(raw, res));
    receiver = new TestReceiver(server);
    if (responder) receiver.respondWith(responder);
    server.on('connection', (socket) => {
      receiver.sockets.add(socket);
      socket.on('close', () => receiver.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', resolve);
    });
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/notify'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  respondWith(responder: Responder): void {
    this.responder = responder;
  }

  /** How many POSTs each notification (`webhook-id`) got. */
  postsPerId(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.requests) {
      const id = String(r.headers['webhook-id']);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  /** Requests whose `webhook-id` header is `id`. */
  requestsFor(id: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.headers['webhook-id'] === id);
  }

  /** Resolves when `predicate` holds (checked after each request), or rejects after `timeoutMs`. */
  waitFor(predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs = 10_000): Promise<void> {
    if (predicate(this.requests)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`receiver: condition not met within ${timeoutMs} ms (${this.requests.length} requests seen)`));
      }, timeoutMs);
      const waiter = {
        predicate: () => predicate(this.requests),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of raw) chunks.push(chunk as Buffer);
    const req: ReceivedRequest = {
      at: Date.now(),
      method: raw.method ?? '',
      path: raw.url ?? '',
      headers: raw.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    this.requests.push(req);
    this.waiters = this.waiters.filter((w) => (w.predicate() ? (w.resolve(), false) : true));
    const answer = await this.responder(req, res, raw);
    if (answer === 'handled') return;
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    if (res.destroyed) return;
    res.writeHead(answer.status ?? 200, { 'content-type': 'text/plain', ...answer.headers });
    res.end(answer.body ?? '');
  }
}
