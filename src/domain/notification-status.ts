import { NotifydError } from './errors.js';

/**
 * A notification's life:
 *
 *   pending ──success──▶ delivered ──replay(force)──▶ pending
 *      │ ──exhausted / 410 / blocked──▶ dead ──replay──▶ pending
 *      └──cancel──▶ cancelled
 *
 * `pending` covers both "waiting for its next attempt" and "attempt in
 * flight" (leased): the lease is a deadline on the row, not another state.
 */
export const NotificationStatus = {
  pending: 'pending',
  delivered: 'delivered',
  dead: 'dead',
  cancelled: 'cancelled',
} as const;
export type NotificationStatus = (typeof NotificationStatus)[keyof typeof NotificationStatus];
export const NotificationStatuses = Object.values(NotificationStatus);

export function isNotificationStatus(value: string): value is NotificationStatus {
  return (NotificationStatuses as readonly string[]).includes(value);
}

/** Why a notification is dead. */
export const DeadReason = {
  exhausted: 'exhausted',
  gone: 'gone',
  blocked: 'blocked',
} as const;
export type DeadReason = (typeof DeadReason)[keyof typeof DeadReason];

/** Replay: dead → pending; delivered → pending only when forced. Throws otherwise. */
export function assertCanReplay(id: string, status: NotificationStatus, force: boolean): void {
  if (status === 'dead') return;
  if (status === 'delivered' && force) return;
  const hint = status === 'delivered' ? ' (pass {"force":true} to deliver it again)' : '';
  throw new NotifydError('invalid_state', `notification ${id} is ${status} and cannot be replayed${hint}`, {
    details: { status },
  });
}

/** "Retry now": a pending notification's next attempt moves to now. A dead one is replayed instead. Throws otherwise. */
export function assertCanRetryNow(id: string, status: NotificationStatus): void {
  assertPending(id, status, 'retried now', status === 'dead' ? '; replay a dead letter instead' : '');
}

/** Cancel: pending → cancelled. Throws otherwise. */
export function assertCanCancel(id: string, status: NotificationStatus): void {
  assertPending(id, status, 'cancelled');
}

function assertPending(id: string, status: NotificationStatus, action: string, hint = ''): void {
  if (status === 'pending') return;
  throw new NotifydError('invalid_state', `notification ${id} is ${status}; only pending notifications can be ${action}${hint}`, {
    details: { status },
  });
}
