import { describe, expect, it } from 'vitest';
import type { AttemptJob } from '../../../src/domain/notification.js';
import { InFlightAttempts } from '../../../src/scheduler/in-flight.js';

function job(id: string, host: string, first = true): AttemptJob {
  return {
    notificationId: id,
    attempt: 1,
    url: `http://${host}/notify`,
    host,
    body: '{}',
    contentType: 'application/json',
    headers: {},
    timeoutMs: 1_000,
    success: { status: '2xx', body: 'success' },
    leaseUntil: 10_000,
    first,
  };
}

describe('InFlightAttempts: per-host slots', () => {
  it('counts slots left per host with attempts in flight, and applies a backed-off host its own limit', () => {
    const inFlight = new InFlightAttempts();
    inFlight.add(job('a', 'busy:80'));
    inFlight.add(job('b', 'busy:80', false));
    inFlight.add(job('c', 'dead:80'));
    expect(inFlight.hostSlotsLeft(4)).toEqual(new Map([['busy:80', 2], ['dead:80', 3]]));
    // Paused (0): no slot, whatever is in flight. Probing (1): one slot, already taken by c.
    expect(inFlight.hostSlotsLeft(4, new Map([['dead:80', 1], ['paused:80', 0]]))).toEqual(
      new Map([['busy:80', 2], ['dead:80', 0], ['paused:80', 0]]),
    );
    expect(inFlight.hostSlotsLeft(4, new Map([['idle:80', 1]])).get('idle:80')).toBe(1);
  });

  it('returns the attempt it removes (so its host can be told the outcome), and undefined for one it does not hold', () => {
    const inFlight = new InFlightAttempts();
    inFlight.add(job('a', 'h:80', false));
    expect(inFlight.remove('a', 1)?.host).toBe('h:80');
    expect(inFlight.remove('a', 1)).toBeUndefined();
    expect(inFlight.size).toBe(0);
    expect(inFlight.retries).toBe(0);
  });
});
