import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';

/** One POST as the receiver saw it: the notification id and the attempt number notifyd sent. */
export interface Seen {
  id: string;
  attempt: number;
  body: string;
}

/**
 * What the receiver does with a request: an answer, or 'handled' when the
 * behaviour took the raw response or socket over (reset, hang, drip…).
 */
export type Behaviour = (seen: Seen, countForId: number, res: ServerResponse, req: IncomingMessage) =>
  | { status: number; body?: string | Buffer; headers?: Record<string, string>; delayMs?: number; after?: Promise<unknown> }
  | 'handled';

/**
 * A receiver for chaos runs: counts POSTs per `webhook-id` without keeping
 * the requests (tens of thousands of them), answers as its behaviour says,
 * and can report how many requests it is answering right now.
 */
export class ChaosReceiver {
  /** POSTs seen per notification id. */
  readonly seen = new Map<string, number>();
  total = 0;
  /** Requests received and not yet answered (or abandoned). */
  open = 0;
  private readonly sockets = new Set<Socket>();
  private server!: Server;

  private constructor(private behaviour: Behaviour) {}

  static async start(behaviour: Behaviour): Promise<ChaosReceiver> {
    const receiver = new ChaosReceiver(behaviour);
    receiver.server = createServer((req, res) => void receiver.handle(req, res));
    // Longer than notifyd's idle-socket timeout (4 s), as real servers' are, so a reused socket is never one we just closed.
    receiver.server.keepAliveTimeout = 10_000;
    receiver.server.on('connection', (socket) => {
      receiver.sockets.add(socket);
      socket.on('close', () => receiver.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/notify'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  respondWith(behaviour: Behaviour): void {
    this.behaviour = behaviour;
  }

  count(id: string): number {
    return this.seen.get(id) ?? 0;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.open += 1;
    let closed = false;
    const done = () => {
      if (closed) return;
      closed = true;
      this.open -= 1;
    };
    res.once('close', done);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const id = String(req.headers['webhook-id'] ?? '');
      const n = (this.seen.get(id) ?? 0) + 1;
      this.seen.set(id, n);
      this.total += 1;
      const seen: Seen = { id, attempt: Number(req.headers['notifyd-attempt'] ?? 0), body: Buffer.concat(chunks).toString('utf8') };
      const answer = this.behaviour(seen, n, res, req);
      if (answer === 'handled') return;
      if (answer.after) await answer.after;
      if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
      if (res.destroyed) return;
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.body ?? '');
    } catch {
      // The client went away mid-request (notifyd killed): nothing to answer.
      res.destroy();
    }
  }
}
