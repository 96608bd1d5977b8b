import { onTestFinished } from 'vitest';
import { payloadFingerprint } from '../../../src/domain/idempotency.js';
import type { NewNotification } from '../../../src/domain/notification.js';
import type { AttemptResult } from '../../../src/domain/outcome.js';
import { DEFAULT_SUCCESS_RULE } from '../../../src/domain/success-rule.js';
import { openSqliteNotificationStore, type LedgerOptions, type SqliteNotificationStore } from '../../../src/ledger/index.js';
import { tempDir } from '../../helpers/temp.js';

export const T0 = 1_764_000_000_000;

export interface TempLedger {
  store: SqliteNotificationStore;
  path: string;
  dir: ReturnType<typeof tempDir>;
  reopen: (options?: Partial<LedgerOptions>) => SqliteNotificationStore;
}

/**
 * A ledger in a fresh temp dir. Closed when the test ends; the directory is
 * removed only when the test passed, so a failure leaves the file to inspect.
 */
export function openTempLedger(options: Partial<LedgerOptions> = {}): TempLedger {
  const dir = tempDir('notifyd-ledger-');
  const path = dir.file('ledger.db');
  const opened: SqliteNotificationStore[] = [];
  const open = (more: Partial<LedgerOptions> = {}) => {
    const store = openSqliteNotificationStore({
      path,
      synchronous: 'normal',
      busyTimeoutMs: 5_000,
      groupCommitMaxWaitMs: 0,
      ...options,
      ...more,
    });
    opened.push(store);
    return store;
  };
  const store = open();
  onTestFinished(async ({ task }) => {
    for (const s of opened) await s.close();
    if (task.result?.state === 'pass') dir.cleanup();
    else console.error(`ledger kept for inspection: ${path}`);
  });
  return { store, path, dir, reopen: open };
}

export function input(overrides: Partial<NewNotification> = {}): NewNotification {
  const url = overrides.url ?? 'https://merchant.example.com/alipay/notify';
  const body = overrides.body ?? '{"out_trade_no":"20261124-0001","trade_status":"TRADE_SUCCESS"}';
  return {
    url,
    host: new URL(url).host,
    body,
    contentType: 'application/json',
    headers: { 'x-merchant': 'm-42' },
    idempotencyKey: null,
    payloadHash: payloadFingerprint({ url, body }),
    delaysMs: [60_000, 600_000],
    success: DEFAULT_SUCCESS_RULE,
    timeoutMs: 10_000,
    metadata: { merchant: 'm-42' },
    ...overrides,
  };
}

export function result(
  notificationId: string,
  attempt: number,
  outcome: AttemptResult['outcome'],
  more: Partial<AttemptResult> = {},
): AttemptResult {
  const statusCode = outcome === 'success' || outcome === 'rejected' ? 200 : outcome === 'http_error' ? 500 : null;
  return {
    notificationId,
    attempt,
    startedAt: T0,
    durationMs: 12,
    outcome,
    statusCode,
    error: outcome === 'success' ? null : `${outcome} error`,
    responseExcerpt: statusCode === null ? null : outcome === 'success' ? 'success' : 'nope',
    retryAfterMs: null,
    ...more,
  };
}

export const noSlots = new Map<string, number>();

/** Leases everything due at `now` with generous limits. */
export function leaseAll(store: SqliteNotificationStore, now: number, more: { limit?: number; perHostLimit?: number } = {}) {
  return store.leaseDue({
    now,
    limit: more.limit ?? 1_000,
    leaseMs: 30_000,
    hostSlotsLeft: noSlots,
    perHostLimit: more.perHostLimit ?? 1_000,
  });
}
