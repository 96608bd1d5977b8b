import { describe, expect, it } from 'vitest';
import { HostBackoff } from '../../../src/domain/host-backoff.js';

const policy = { afterFailures: 3, initialMs: 1_000, maxMs: 4_000 };
const HOST = 'merchant.example:443';

function failTimes(backoff: HostBackoff, n: number, at: number) {
  return Array.from({ length: n }, () => backoff.record(HOST, 'network', at));
}

describe('HostBackoff: the per-host circuit breaker', () => {
  it('leaves a host alone until it has refused `afterFailures` connections in a row', () => {
    const backoff = new HostBackoff(policy);
    expect(failTimes(backoff, 2, 0)).toEqual([null, null]);
    expect(backoff.allowances(0).get(HOST)).toBeUndefined();
    expect(backoff.record(HOST, 'network', 5)).toEqual({ kind: 'paused', host: HOST, failures: 3, pauseMs: 1_000, until: 1_005, probeFailed: false });
    expect(backoff.allowances(5).get(HOST)).toBe(0);
    expect(backoff.allowances(1_004).get(HOST)).toBe(0);
    expect(backoff.nextResumeAt(5)).toBe(1_005);
  });

  it('counts failures in a row only: an answer in between starts the count again', () => {
    const backoff = new HostBackoff(policy);
    failTimes(backoff, 2, 0);
    expect(backoff.record(HOST, 'http_error', 1)).toBeNull(); // a 500 is an answer: the host is up
    expect(failTimes(backoff, 2, 2)).toEqual([null, null]);
    expect(backoff.allowances(3).get(HOST)).toBeUndefined();
  });

  it('does not count timeouts (the per-host cap bounds those) or blocked attempts (they never reached the host)', () => {
    const backoff = new HostBackoff(policy);
    for (let i = 0; i < 10; i += 1) {
      backoff.record(HOST, 'timeout', i);
      backoff.record(HOST, 'blocked', i);
    }
    expect(backoff.allowances(10).get(HOST)).toBeUndefined();
    // A blocked attempt does not reset a run of refusals either.
    failTimes(backoff, 2, 11);
    backoff.record(HOST, 'blocked', 12);
    expect(backoff.record(HOST, 'network', 13)?.kind).toBe('paused');
  });

  it('allows one probe when the pause ends; a failed probe doubles the pause up to maxMs', () => {
    const backoff = new HostBackoff(policy);
    failTimes(backoff, 3, 0); // paused until 1,000
    expect(backoff.allowances(1_000).get(HOST)).toBe(1);
    expect(backoff.nextResumeAt(1_000)).toBeNull(); // nothing left to wake for: the probe is due
    expect(backoff.record(HOST, 'network', 1_010)).toMatchObject({ kind: 'paused', pauseMs: 2_000, until: 3_010, probeFailed: true });
    expect(backoff.record(HOST, 'network', 3_020)).toMatchObject({ pauseMs: 4_000, until: 7_020 });
    expect(backoff.record(HOST, 'network', 7_030)).toMatchObject({ pauseMs: 4_000, until: 11_030 }); // capped
    expect(backoff.backedOff()).toEqual([{ host: HOST, since: 0, nextProbeAt: 11_030, failures: 6 }]);
  });

  it('ignores failures reported during a pause by attempts that started before it', () => {
    const backoff = new HostBackoff(policy);
    failTimes(backoff, 3, 0);
    expect(failTimes(backoff, 5, 100)).toEqual([null, null, null, null, null]);
    expect(backoff.allowances(999).get(HOST)).toBe(0);
    expect(backoff.nextResumeAt(100)).toBe(1_000);
  });

  it('ends the back-off at the first answer, and says for how long the host was paused', () => {
    const backoff = new HostBackoff(policy);
    failTimes(backoff, 3, 0);
    backoff.record(HOST, 'network', 1_000); // failed probe
    expect(backoff.record(HOST, 'success', 3_500)).toEqual({ kind: 'resumed', host: HOST, pausedForMs: 3_500 });
    expect(backoff.allowances(3_500).get(HOST)).toBeUndefined();
    expect(backoff.backedOff()).toEqual([]);
    // And a later outage starts from the first pause again.
    expect(failTimes(backoff, 3, 4_000).at(-1)).toMatchObject({ pauseMs: 1_000, probeFailed: false });
  });

  it('keeps hosts apart, and lists the backed-off ones longest first', () => {
    const backoff = new HostBackoff(policy);
    failTimes(backoff, 3, 50);
    for (let i = 0; i < 3; i += 1) backoff.record('other.example:443', 'network', 10);
    backoff.record('healthy.example:443', 'network', 20);
    expect(backoff.allowances(60)).toEqual(new Map([[HOST, 0], ['other.example:443', 0]]));
    expect(backoff.backedOff().map((p) => p.host)).toEqual(['other.example:443', HOST]);
    expect(backoff.nextResumeAt(60)).toBe(1_010);
  });

  it('is off when afterFailures is 0', () => {
    const backoff = new HostBackoff({ ...policy, afterFailures: 0 });
    expect(failTimes(backoff, 100, 0).every((c) => c === null)).toBe(true);
    expect(backoff.allowances(0).get(HOST)).toBeUndefined();
    expect(backoff.enabled).toBe(false);
  });
});
