import type { Logger } from 'pino';
import type { Role } from './config.js';
import type { NotificationStore } from './domain/ports.js';

/** A running daemon of any role, as `notifyd start` and the tests hold it. */
export interface DaemonHandle {
  readonly role: Role;
  /** The API's base URL, e.g. http://127.0.0.1:8080; null for a worker, which serves no API. */
  readonly url: string | null;
  readonly logger: Logger;
  /** The ledger, on roles that own it. */
  readonly store: NotificationStore | null;
  /** Graceful: stop HTTP, stop taking work, let in-flight attempts finish within the grace period, close. */
  close(): Promise<void>;
}
