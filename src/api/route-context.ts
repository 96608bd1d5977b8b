import type { Config } from '../config.js';
import type { NotificationStore } from '../domain/ports.js';
import type { OpsViews } from '../ops/ops.js';

/** What the route modules need, resolved once by buildApp. */
export interface RouteContext {
  store: NotificationStore;
  config: Config;
  destinations: { checkUrl(url: string | URL): void };
  now: () => number;
  /** Wakes the scheduler after new due work; never throws. */
  wake: () => void;
  readiness: (() => Promise<Record<string, string>>) | undefined;
  /** Metrics and headline numbers; the routes also count enqueues, replays and cancels on `ops.metrics`. */
  ops: OpsViews;
}
