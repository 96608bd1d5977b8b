import type { AttemptOutcome } from './outcome.js';

export interface HostBackoffPolicy {
  /** Consecutive connection failures (refused, DNS, reset) to one host that start a back-off; 0 turns it off. */
  afterFailures: number;
  /** The first pause; each failed probe doubles it. */
  initialMs: number;
  /** The longest pause: a receiver that comes back is noticed within this. */
  maxMs: number;
}

export const DEFAULT_HOST_BACKOFF: HostBackoffPolicy = { afterFailures: 20, initialMs: 1_000, maxMs: 30_000 };

interface HostState {
  /** Connection failures in a row since the host last answered. */
  failures: number;
  /** While backing off: no attempt to the host before this time, then one probe. Null: not backing off. */
  pausedUntil: number | null;
  pauseMs: number;
  /** When the current back-off began (its first pause); null when not backing off. */
  since: number | null;
}

/** A host being backed off, as operators see it (GET /v1/stats, the metrics). */
export interface PausedHost {
  host: string;
  /** When the back-off began (ms since the epoch). */
  since: number;
  /** When the next probe may go (in the past: the probe is due or in flight). */
  nextProbeAt: number;
  /** Connection failures in a row. */
  failures: number;
}

/** What changed for a host, for the log and the metrics. */
export type HostBackoffChange =
  | { kind: 'paused'; host: string; failures: number; pauseMs: number; until: number; probeFailed: boolean }
  | { kind: 'resumed'; host: string; pausedForMs: number };

/**
 * A circuit breaker per receiver host, pure (the caller passes the time).
 *
 * A receiver that refuses connections fails every attempt at once, so its
 * backlog of due retries would be worked off as fast as the CPU allows —
 * thousands of POSTs a second that cannot succeed, taking the event loop from
 * everyone else's first attempts. After `afterFailures` connection failures
 * in a row the host is paused: none of its attempts is leased until the pause
 * ends, then a single probe goes. A failed probe doubles the pause (up to
 * `maxMs`); any answer from the host (a success, or any HTTP status) ends the
 * back-off at once. Rows stay pending in the ledger meanwhile: nothing is
 * dropped and no attempt is used up, delivery is only later.
 *
 * Only connection-level failures count: a receiver that answers 500 or times
 * out is alive, and the per-host concurrency cap already bounds what it costs.
 */
export class HostBackoff {
  private readonly hosts = new Map<string, HostState>();

  constructor(private readonly policy: HostBackoffPolicy = DEFAULT_HOST_BACKOFF) {}

  get enabled(): boolean {
    return this.policy.afterFailures > 0;
  }

  /** Records an attempt's outcome for its host; returns what changed, if anything. */
  record(host: string, outcome: AttemptOutcome, now: number): HostBackoffChange | null {
    if (!this.enabled) return null;
    const state = this.hosts.get(host);
    if (outcome !== 'network') {
      // Blocked attempts never reached the host: they say nothing about it.
      if (outcome === 'blocked' || state === undefined) return null;
      this.hosts.delete(host);
      return state.since === null ? null : { kind: 'resumed', host, pausedForMs: now - state.since };
    }
    if (state === undefined) {
      this.forgetIdleHosts();
      const fresh: HostState = { failures: 1, pausedUntil: null, pauseMs: 0, since: null };
      this.hosts.set(host, fresh);
      return this.policy.afterFailures <= 1 ? this.pause(host, fresh, now, this.policy.initialMs) : null;
    }
    state.failures += 1;
    if (state.pausedUntil === null) {
      return state.failures >= this.policy.afterFailures ? this.pause(host, state, now, this.policy.initialMs) : null;
    }
    // Attempts started before the pause report in while it runs: they add nothing.
    if (now < state.pausedUntil) return null;
    // The probe failed: pause again, twice as long.
    return this.pause(host, state, now, Math.min(this.policy.maxMs, state.pauseMs * 2));
  }

  /**
   * The hosts being backed off, each with how many attempts to it may be in
   * flight now: 0 while paused, 1 for the probe once the pause is over. A host
   * absent is not backed off (the per-host cap applies).
   */
  allowances(now: number): Map<string, number> {
    const result = new Map<string, number>();
    for (const [host, state] of this.hosts) {
      if (state.pausedUntil !== null) result.set(host, now < state.pausedUntil ? 0 : 1);
    }
    return result;
  }

  /** The earliest end of a pause still running, so a sleeping scheduler wakes for the probe. */
  nextResumeAt(now: number): number | null {
    let earliest: number | null = null;
    for (const state of this.hosts.values()) {
      const until = state.pausedUntil;
      if (until !== null && until > now && (earliest === null || until < earliest)) earliest = until;
    }
    return earliest;
  }

  /** The hosts being backed off (paused, or waiting for their probe's answer), longest first. */
  backedOff(): PausedHost[] {
    const list: PausedHost[] = [];
    for (const [host, state] of this.hosts) {
      if (state.pausedUntil === null || state.since === null) continue;
      list.push({ host, since: state.since, nextProbeAt: state.pausedUntil, failures: state.failures });
    }
    return list.sort((a, b) => a.since - b.since);
  }

  private pause(host: string, state: HostState, now: number, pauseMs: number): HostBackoffChange {
    const probeFailed = state.pausedUntil !== null;
    state.pauseMs = pauseMs;
    state.pausedUntil = now + pauseMs;
    state.since ??= now;
    return { kind: 'paused', host, failures: state.failures, pauseMs, until: state.pausedUntil, probeFailed };
  }

  /**
   * Keeps the map bounded: hosts that failed a few times and were never heard
   * of again (not paused) are forgotten first; the count restarts if they fail again.
   */
  private forgetIdleHosts(): void {
    if (this.hosts.size < MAX_TRACKED_HOSTS) return;
    for (const [host, state] of this.hosts) if (state.pausedUntil === null) this.hosts.delete(host);
  }
}

const MAX_TRACKED_HOSTS = 10_000;
