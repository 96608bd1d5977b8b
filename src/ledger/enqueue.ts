import { NotifydError } from '../domain/errors.js';
import type { Notification } from '../domain/notification.js';
import { rowToNotification, type NotificationRow } from './rows.js';
import type { LedgerStatements } from './statements.js';

/**
 * What storing a new notification did. A created row is the caller's own, so
 * nothing comes back (the writer thread sends back a flag, not the row).
 */
export type StoredEnqueue = { created: true } | { created: false; existing: Notification };

/**
 * Stores a new notification's row; runs inside a write transaction. A
 * repeated idempotency key returns the notification it first created when
 * the payload is the same, and is a conflict (nothing stored) when it is not.
 */
export function enqueueNotification(statements: LedgerStatements, row: NotificationRow): StoredEnqueue {
  if (row.idempotency_key !== null) {
    const existing = statements.selectByIdempotencyKey.get(row.idempotency_key);
    if (existing !== undefined) {
      if (existing.payload_hash === row.payload_hash) {
        return { created: false, existing: rowToNotification(existing) };
      }
      throw new NotifydError(
        'idempotency_conflict',
        `idempotencyKey ${JSON.stringify(row.idempotency_key)} was already used for notification ${existing.id} with a different payload`,
        { field: 'idempotencyKey', details: { notificationId: existing.id } },
      );
    }
  }
  statements.insertNotification.run(row);
  return { created: true };
}
