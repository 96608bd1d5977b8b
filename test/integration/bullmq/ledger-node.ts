import type { Logger } from 'pino';
import type { Config } from '../../../src/config.js';
import { payloadFingerprint } from '../../../src/domain/idempotency.js';
import type { NewNotification } from '../../../src/domain/notification.js';
import type { AppliedResult } from '../../../src/domain/ports.js';
import { DEFAULT_SUCCESS_RULE } from '../../../src/domain/success-rule.js';
import { createBullmqExecutor } from '../../../src/executors/bullmq/index.js';
import { openSqliteNotificationStore, type SqliteNotificationStore } from '../../../src/ledger/index.js';
import { Scheduler } from '../../../src/scheduler/scheduler.js';
import { tempDir } from '../../helpers/temp.js';
import { sleep } from './fixtures.js';

export interface LedgerNode {
  store: SqliteNotificationStore;
  scheduler: Scheduler;
  /** Every result the scheduler committed, with whether it changed anything (false: a duplicate). */
  applied: AppliedResult[];
  /** Enqueues `count` notifications to `url` straight into the ledger (no HTTP: thousands in a second), then wakes the scheduler. */
  enqueue(url: string, count: number, options?: { delaysMs?: number[]; timeoutMs?: number }): Promise<string[]>;
  /** Polls the ledger until `predicate` holds on its counts. */
  waitForCounts(predicate: (counts: Awaited<ReturnType<SqliteNotificationStore['counts']>>) => boolean, timeoutMs: number): Promise<void>;
  /** Attempts recorded, and notifications whose attempt numbers are not exactly 1..attempts (there must be none). */
  audit(): { attemptRows: number; attemptsCounted: number; gaps: number };
  close(): Promise<void>;
}

/**
 * A ledger node as the daemon wires it (SQLite store, the scheduler with the
 * dispatch window as its concurrency, the bullmq executor), minus the HTTP
 * API: these tests are about delivery, and enqueue straight into the ledger.
 */
export async function startLedgerNode(options: { config: Config; logger: Logger; withLocalWorker?: boolean }): Promise<LedgerNode> {
  const { config, logger } = options;
  const dir = tempDir('notifyd-bullmq-');
  const store = openSqliteNotificationStore({
    path: dir.file('notifyd.db'),
    synchronous: 'normal',
    busyTimeoutMs: config.ledger.busyTimeoutMs,
    groupCommitMaxWaitMs: config.ledger.groupCommitMaxWaitMs,
  });
  const executor = await createBullmqExecutor({
    config,
    logger,
    withLocalWorker: options.withLocalWorker ?? true,
    onRecordError: (error) => logger.error({ err: error }, 'could not record results'),
  });
  const applied: AppliedResult[] = [];
  const scheduler = new Scheduler({
    onApplied: (batch) => applied.push(...batch),
    store,
    executor,
    concurrency: config.redis.dispatchWindow,
    perHostConcurrency: config.delivery.perHostConcurrency,
    leaseMarginMs: config.delivery.leaseMarginMs,
    logger: logger.child({ component: 'scheduler' }),
  });
  scheduler.start();

  return {
    store,
    scheduler,
    applied,
    async enqueue(url, count, enqueueOptions = {}) {
      const host = new URL(url).host;
      const now = Date.now();
      const results = await Promise.all(
        Array.from({ length: count }, (_, i) => {
          const body = JSON.stringify({ seq: i });
          const input: NewNotification = {
            url,
            host,
            body,
            contentType: 'application/json',
            headers: {},
            idempotencyKey: null,
            payloadHash: payloadFingerprint({ url, body }),
            delaysMs: enqueueOptions.delaysMs ?? [200, 400],
            success: DEFAULT_SUCCESS_RULE,
            timeoutMs: enqueueOptions.timeoutMs ?? config.delivery.timeoutMs,
            metadata: null,
          };
          return store.enqueue(input, now);
        }),
      );
      scheduler.wake();
      return results.map((r) => r.notification.id);
    },
    async waitForCounts(predicate, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let counts = await store.counts();
      while (!predicate(counts)) {
        if (Date.now() > deadline) throw new Error(`ledger did not reach the expected counts in ${timeoutMs} ms; last: ${JSON.stringify(counts)}`);
        await sleep(100);
        counts = await store.counts();
      }
    },
    audit() {
      const attemptRows = (store.db.prepare('SELECT count(*) AS n FROM attempts').get() as { n: number }).n;
      const attemptsCounted = (store.db.prepare('SELECT coalesce(sum(attempts), 0) AS n FROM notifications').get() as { n: number }).n;
      const gaps = (
        store.db
          .prepare(
            `SELECT count(*) AS n FROM notifications n
             WHERE n.attempts <> (SELECT count(*) FROM attempts a WHERE a.notification_id = n.id)
                OR n.attempts <> coalesce((SELECT max(a.n) FROM attempts a WHERE a.notification_id = n.id), 0)`,
          )
          .get() as { n: number }
      ).n;
      return { attemptRows, attemptsCounted, gaps };
    },
    async close() {
      await scheduler.stop(config.delivery.shutdownGraceMs);
      await store.close();
      dir.cleanup();
    },
  };
}
