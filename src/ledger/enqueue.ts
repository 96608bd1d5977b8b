import { NotifydError } from '../domain/errors.js';
import type { Notification } from '../domain/notification.js';
import { rowToNotification, valueAt, type NotificationValues } from './rows.js';
import type { LedgerStatements } from './statements.js';

const IDEMPOTENCY_KEY = valueAt('idempotency_key');
const PAYLOAD_HASH = valueAt('payload_hash');

/**
 * What storing a new notification did. A created row is the caller's own, so
 * nothing comes back (the writer thread sends back a flag, not the row).
 */
export type StoredEnqueue = { created: true } | { created: false; existing: Notification };

/**
 * Stores a new notification's row (its values, by position); runs inside a
 * write transaction. A repeated idempotency key returns the notification it
 * first created when the payload is the same, and is a conflict (nothing
 * stored) when it is not. The INSERT is its only change, after the checks:
 * it runs without a savepoint (write-ops.ts, isAtomicWrite).
 */
export function enqueueNotification(statements: LedgerStatements, values: NotificationValues): StoredEnqueue {
  const idempotencyKey = values[IDEMPOTENCY_KEY];
  if (idempotencyKey !== null) {
    const existing = statements.selectByIdempotencyKey.get(idempotencyKey);
    if (existing !== undefined) {
      if (existing.payload_hash === values[PAYLOAD_HASH]) {
        return { created: false, existing: rowToNotification(existing) };
      }
      throw new NotifydError(
        'idempotency_conflict',
        `idempotencyKey ${JSON.stringify(idempotencyKey)} was already used for notification ${existing.id} with a different payload`,
        { field: 'idempotencyKey', details: { notificationId: existing.id } },
      );
    }
  }
  statements.insertNotification.run(values);
  return { created: true };
}
