import { NotifydError } from '../domain/errors.js';
import type { NewNotification } from '../domain/notification.js';
import type { EnqueueResult } from '../domain/ports.js';
import { newNotification, notificationToRow, rowToNotification } from './rows.js';
import type { LedgerStatements } from './statements.js';

/**
 * Stores a new notification; runs inside a write transaction. A repeated
 * idempotency key returns the notification it first created when the
 * payload is the same, and is a conflict (nothing stored) when it is not.
 */
export function enqueueNotification(
  statements: LedgerStatements,
  id: string,
  input: NewNotification,
  now: number,
): EnqueueResult {
  if (input.idempotencyKey !== null) {
    const existing = statements.selectByIdempotencyKey.get(input.idempotencyKey);
    if (existing !== undefined) {
      if (existing.payload_hash === input.payloadHash) {
        return { notification: rowToNotification(existing), created: false };
      }
      throw new NotifydError(
        'idempotency_conflict',
        `idempotencyKey ${JSON.stringify(input.idempotencyKey)} was already used for notification ${existing.id} with a different payload`,
        { field: 'idempotencyKey', details: { notificationId: existing.id } },
      );
    }
  }
  const notification = newNotification(id, input, now);
  statements.insertNotification.run(notificationToRow(notification));
  return { notification, created: true };
}
