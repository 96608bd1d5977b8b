import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { NotifydError } from '../../domain/errors.js';
import { closableWhileDown } from './close-while-down.js';

/**
 * The ioredis connections of one process, made here rather than by BullMQ so
 * that one place decides how they behave while Redis is down:
 * - every client reconnects forever, at most 2 s apart (a Redis restart is a
 *   fault to ride out, not a reason to exit);
 * - the ledger node's producer fails fast (no offline queue, a command
 *   timeout), so `dispatch` throws instead of hanging and the scheduler's
 *   lease expiry takes over;
 * - Workers and the outcome producer queue their commands until Redis is
 *   back (BullMQ requires `maxRetriesPerRequest: null` for Workers), so an
 *   outcome computed during a blip is still delivered;
 * - "Redis connection lost", "Redis unreachable at …, retrying" and "Redis
 *   reachable again" are logged once per outage, not once per client per
 *   reconnect attempt.
 * BullMQ does not close connections it was handed, so `close()` does.
 */
export class RedisClients {
  readonly displayUrl: string;
  private readonly clients = new Set<Redis>();
  /** Set from the first sign of trouble until a client is ready again. */
  private outage: { since: number; unreachableLogged: boolean } | null = null;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {
    this.displayUrl = redactRedisUrl(url);
  }

  /** For a Queue that must not hang while Redis is down (the ledger node's dispatch, readiness). */
  failFast(name: string): Redis {
    return this.create(name, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: FAIL_FAST_COMMAND_TIMEOUT_MS });
  }

  /** For the outcome producer: commands wait for Redis to come back. */
  patient(name: string): Redis {
    return this.create(name, PATIENT);
  }

  /**
   * For a BullMQ Worker. A Worker shares the client it is given for its
   * commands and duplicates it for its blocking connection, which it owns.
   * The duplicate is made here too, so it is as patient, as logged, and as
   * closable while Redis is down as the rest.
   */
  forWorker(name: string): Redis {
    const client = this.create(name, PATIENT);
    client.duplicate = (override) => this.create(`${name}:blocking`, { ...PATIENT, ...override });
    return client;
  }

  /** False from a connection error until a client is ready again. */
  get reachable(): boolean {
    return this.outage === null;
  }

  /** Throws `redis_unavailable` unless `client` is connected and answers a PING promptly. */
  async check(client: Redis, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    if (client.status !== 'ready') throw this.unavailable();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.ping(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no PING answer within ${timeoutMs} ms`)), timeoutMs))),
      ]);
    } catch (cause) {
      throw this.unavailable(cause);
    } finally {
      clearTimeout(timer);
    }
  }

  unavailable(cause?: unknown): NotifydError {
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    return new NotifydError('redis_unavailable', `Redis unreachable at ${this.displayUrl}${why}`, cause === undefined ? {} : { cause });
  }

  /** Resolves when `client` is ready, or after `timeoutMs` regardless (start-up must not block on Redis). */
  async waitReady(client: Redis, timeoutMs: number): Promise<boolean> {
    if (client.status === 'ready') return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      const onReady = () => done(true);
      const done = (ready: boolean) => {
        clearTimeout(timer);
        client.off('ready', onReady);
        resolve(ready);
      };
      client.on('ready', onReady);
    });
  }

  /** Drops every connection at once, without waiting for replies (see bounded-close.ts). */
  disconnectAll(): void {
    for (const client of this.clients) client.disconnect();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.clients].map(async (client) => {
        // QUIT waits for replies in flight; when Redis is gone it would wait for a reconnect that never comes.
        if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
        else client.disconnect();
      }),
    );
    this.clients.clear();
  }

  private create(name: string, options: RedisOptions): Redis {
    if (this.closed) throw new Error('Redis clients are closed');
    const client = new Redis(this.url, {
      connectionName: `notifyd:${name}`,
      ...options,
      retryStrategy: (times) => Math.min(times * 250, MAX_RECONNECT_DELAY_MS),
      // Reconnect after a failover makes the replica read-only: drop the connection and retry.
      reconnectOnError: (error) => error.message.startsWith('READONLY'),
    });
    client.on('error', (error: Error) => this.onError(error));
    client.on('ready', () => this.onReady());
    client.on('reconnecting', () => this.onReconnecting());
    client.on('end', () => this.clients.delete(client));
    this.clients.add(client);
    return closableWhileDown(client);
  }

  /** A connection that was up dropped (Redis restarted, network cut): ioredis schedules a reconnect. */
  private onReconnecting(): void {
    if (this.closed || this.outage !== null) return;
    this.outage = { since: Date.now(), unreachableLogged: false };
    this.logger.warn({ redis: this.displayUrl }, `Redis connection lost at ${this.displayUrl}, reconnecting`);
  }

  /** A connection attempt failed: said once per outage, however many clients and attempts fail. */
  private onError(error: Error): void {
    if (this.closed) return;
    this.outage ??= { since: Date.now(), unreachableLogged: false };
    if (this.outage.unreachableLogged) return;
    this.outage.unreachableLogged = true;
    this.logger.error(
      { redis: this.displayUrl, error: error.message, code: (error as { code?: string }).code },
      `Redis unreachable at ${this.displayUrl}, retrying`,
    );
  }

  private onReady(): void {
    if (this.outage === null) return;
    const downMs = Date.now() - this.outage.since;
    this.outage = null;
    this.logger.warn({ redis: this.displayUrl, downMs }, `Redis reachable again at ${this.displayUrl}`);
  }
}

/** BullMQ requires `maxRetriesPerRequest: null` for Workers: a command waits out a reconnect. */
const PATIENT: RedisOptions = { maxRetriesPerRequest: null };
/** How long a fail-fast command may take before `dispatch` gives up on it. */
const FAIL_FAST_COMMAND_TIMEOUT_MS = 5_000;
const READY_TIMEOUT_MS = 2_000;
const MAX_RECONNECT_DELAY_MS = 2_000;

/** `redis://user:secret@host:6379/0` → `redis://user:***@host:6379/0`: URLs reach the logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable redis url)';
  }
}
