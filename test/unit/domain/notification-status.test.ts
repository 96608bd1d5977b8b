import { describe, expect, it } from 'vitest';
import { thrownNotifydError } from '../../helpers/errors.js';
import {
  DeadReason,
  NotificationStatus,
  NotificationStatuses,
  NotifydError,
  assertCanCancel,
  assertCanReplay,
  isNotificationStatus,
} from '../../../src/domain/index.js';

// DESIGN.md, HTTP API: "status is one of pending, delivered, dead, cancelled".
const ALL = ['pending', 'delivered', 'dead', 'cancelled'] as const;

describe('notification statuses', () => {
  it('are exactly the four the API documents', () => {
    expect([...NotificationStatuses].sort()).toEqual([...ALL].sort());
    expect(Object.values(NotificationStatus).sort()).toEqual([...ALL].sort());
  });

  it('isNotificationStatus accepts each status and nothing else', () => {
    for (const status of ALL) expect(isNotificationStatus(status)).toBe(true);
    for (const other of ['', 'Pending', 'PENDING', 'leased', 'failed', 'canceled', 'toString', '__proto__']) {
      expect(isNotificationStatus(other)).toBe(false);
    }
  });

  it('dead reasons are exhausted, gone and blocked', () => {
    expect(Object.values(DeadReason).sort()).toEqual(['blocked', 'exhausted', 'gone']);
  });
});

describe('replay', () => {
  it('dead → pending is allowed, with or without force', () => {
    expect(() => assertCanReplay('ntf_1', 'dead', false)).not.toThrow();
    expect(() => assertCanReplay('ntf_1', 'dead', true)).not.toThrow();
  });

  it('delivered → pending only with force', () => {
    expect(() => assertCanReplay('ntf_1', 'delivered', true)).not.toThrow();
    const error = thrownNotifydError(() => assertCanReplay('ntf_1', 'delivered', false));
    expect(error.code).toBe('invalid_state');
    expect(error.statusCode).toBe(409);
    expect(error.message).toContain('ntf_1');
    expect(error.message).toMatch(/force/);
    expect(error.details).toEqual({ status: 'delivered' });
  });

  it.each(['pending', 'cancelled'] as const)('%s cannot be replayed, even with force', (status) => {
    for (const force of [false, true]) {
      const error = thrownNotifydError(() => assertCanReplay('ntf_2', status, force));
      expect(error.code).toBe('invalid_state');
      expect(error.statusCode).toBe(409);
      expect(error.message).toContain(status);
      // Forcing would not help, so the message must not suggest it.
      expect(error.message).not.toMatch(/force/);
    }
  });
});

describe('cancel', () => {
  it('pending → cancelled is allowed', () => {
    expect(() => assertCanCancel('ntf_3', 'pending')).not.toThrow();
  });

  it.each(['delivered', 'dead', 'cancelled'] as const)('%s cannot be cancelled', (status) => {
    const error = thrownNotifydError(() => assertCanCancel('ntf_3', status));
    expect(error.code).toBe('invalid_state');
    expect(error.statusCode).toBe(409);
    expect(error.message).toContain('ntf_3');
    expect(error.message).toContain(status);
    expect(error.details).toEqual({ status });
  });
});

describe('the whole transition table', () => {
  // DESIGN.md: replay = dead (or, with force, delivered) → pending; cancel = pending → cancelled.
  const replayAllowed = (from: string, force: boolean) => from === 'dead' || (from === 'delivered' && force);
  const cancelAllowed = (from: string) => from === 'pending';

  for (const from of ALL) {
    for (const force of [false, true]) {
      it(`replay from ${from}${force ? ' (force)' : ''}: ${replayAllowed(from, force) ? 'allowed' : 'refused'}`, () => {
        const call = () => assertCanReplay('ntf_x', from, force);
        if (replayAllowed(from, force)) expect(call).not.toThrow();
        else expect(call).toThrow(expect.objectContaining({ code: 'invalid_state' }));
      });
    }
    it(`cancel from ${from}: ${cancelAllowed(from) ? 'allowed' : 'refused'}`, () => {
      const call = () => assertCanCancel('ntf_x', from);
      if (cancelAllowed(from)) expect(call).not.toThrow();
      else expect(call).toThrow(expect.objectContaining({ code: 'invalid_state' }));
    });
  }
});
