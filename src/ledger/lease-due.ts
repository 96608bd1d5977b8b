import type { AttemptJob } from '../domain/notification.js';
import type { LeaseRequest } from '../domain/ports.js';
import type { SuccessRule } from '../domain/success-rule.js';
import type { DueClass, LedgerStatements } from './statements.js';

/**
 * How many index entries the time-ordered walk may look at per slot to fill.
 * Past that, the due rows ahead are mostly for saturated hosts and the
 * per-host path takes over, so a backlog of a million rows for one dead
 * receiver costs a lease a bounded walk, not a million rows.
 */
const SCAN_PER_SLOT = 4;
const MIN_SCAN = 256;

interface Candidate {
  rid: number;
  host: string;
  at: number;
}

/**
 * Leases due attempts; runs inside a write transaction. First attempts of a
 * round are chosen before retries, each class oldest due first, never more
 * per host than its slots. Then one UPDATE … RETURNING writes the lease
 * deadline (now + leaseMs + the row's timeout) into next_attempt_at and
 * lease_until.
 */
export function leaseDue(statements: LedgerStatements, request: LeaseRequest): AttemptJob[] {
  const { now, leaseMs, perHostLimit } = request;
  const limit = Math.floor(request.limit);
  if (!(limit > 0)) return [];
  const slots = new HostSlots(request.hostSlotsLeft, perHostLimit);
  const [firstClass, retryClass] = statements.due;
  // Both classes are chosen within the same host slots; the final pick is a
  // subset of the two, so no host ever gets more than its slots.
  const firsts = chooseDue(firstClass, now, limit, slots);
  const retryLimit = Math.max(0, Math.min(limit, Math.floor(request.maxRetries ?? limit)));
  const retries = retryLimit > 0 ? chooseDue(retryClass, now, retryLimit, slots) : [];
  // Retries take what first attempts leave, and at least their reserve even
  // under a flood of new notifications, so due retries are never starved.
  const retryReserve = Math.min(Math.floor(request.retryReserve ?? 0), retryLimit);
  const retryCount = Math.min(retries.length, Math.max(limit - firsts.length, retryReserve));
  const chosen = [...firsts.slice(0, limit - retryCount), ...retries.slice(0, retryCount)];
  if (chosen.length === 0) return [];

  const rows = statements.lease.all({ ids: JSON.stringify(chosen), now, leaseMs });
  const order = new Map(chosen.map((rid, i) => [rid, i]));
  rows.sort((a, b) => (order.get(a.rid) ?? 0) - (order.get(b.rid) ?? 0));
  return rows.map((row) => ({
    notificationId: row.id,
    attempt: row.attempts + 1,
    url: row.url,
    host: row.host,
    body: row.body,
    contentType: row.content_type,
    headers: JSON.parse(row.headers) as Record<string, string>,
    timeoutMs: row.timeout_ms,
    success: JSON.parse(row.success) as SuccessRule,
    leaseUntil: row.lease_until,
    first: row.attempts === row.round_start,
  }));
}

/** Chooses up to `remaining` rows of one class, taking slots from `slots`. */
function chooseDue(due: DueClass, now: number, remaining: number, slots: HostSlots): number[] {
  const scan = Math.max(MIN_SCAN, remaining * SCAN_PER_SLOT);
  const saturated = slots.saturated();
  const trial = slots.copy();
  // The walk yields rows oldest due first (its ORDER BY is the index's order):
  // take them as they come and stop once the slots are filled, rather than
  // reading all `scan` entries (≈1 µs each) to use a few of them.
  const chosen: number[] = [];
  let walked = 0;
  for (const row of due.walk.iterate({ now, scan, saturated: JSON.stringify(saturated) })) {
    walked += 1;
    if (trial.left(row.host) <= 0) continue;
    trial.use(row.host);
    chosen.push(row.rid);
    if (chosen.length === remaining) break;
  }
  if (chosen.length === remaining) {
    slots.adopt(trial);
    return chosen;
  }

  // Not filled: either nothing more is due, or saturated hosts' rows used up
  // the walk. Only the latter needs the per-host path.
  const cutShort = walked >= scan || (saturated.length > 0 && due.beyond.get({ now, scan }) !== undefined);
  if (!cutShort) {
    slots.adopt(trial);
    return chosen;
  }
  return take(sortByDue(perHostCandidates(due, now, remaining, slots)), remaining, slots);
}

/**
 * The fallback: a loose index scan over the (host, next_attempt_at) index
 * takes each unsaturated host's oldest due row (one seek per host with work
 * in this class, never a walk through a backlog). Only hosts whose oldest row
 * ranks among the first `remaining` can contribute more, so only those are
 * asked for more rows.
 */
function perHostCandidates(due: DueClass, now: number, remaining: number, slots: HostSlots): Candidate[] {
  const heads: Candidate[] = [];
  // Hosts are never empty (they come from a parsed URL), so '' sorts before all of them.
  let after = '';
  for (;;) {
    const head = due.nextHost.get({ after });
    if (head === undefined) break;
    after = head.host;
    if (slots.left(head.host) > 0 && head.at <= now) heads.push(head);
  }
  const candidates: Candidate[] = [];
  for (const head of sortByDue(heads).slice(0, remaining)) {
    const n = Math.min(slots.left(head.host), remaining);
    if (n === 1) {
      candidates.push(head);
      continue;
    }
    for (const row of due.hostDue.all({ host: head.host, now, n })) {
      candidates.push({ rid: row.rid, host: head.host, at: row.at });
    }
  }
  return candidates;
}

function take(candidates: readonly Candidate[], remaining: number, slots: HostSlots): number[] {
  const chosen: number[] = [];
  for (const row of candidates) {
    if (chosen.length >= remaining) break;
    if (slots.left(row.host) <= 0) continue;
    slots.use(row.host);
    chosen.push(row.rid);
  }
  return chosen;
}

// Stable, so rows due at the same millisecond keep index order.
function sortByDue(rows: Candidate[]): Candidate[] {
  return rows.sort((a, b) => a.at - b.at);
}

/** Per-host slots for one lease: a host absent from the request may start `perHostLimit`. */
class HostSlots {
  private readonly counts: Map<string, number>;

  constructor(
    hostSlotsLeft: ReadonlyMap<string, number>,
    private readonly perHostLimit: number,
  ) {
    this.counts = new Map(hostSlotsLeft);
  }

  left(host: string): number {
    return this.counts.get(host) ?? this.perHostLimit;
  }

  use(host: string): void {
    this.counts.set(host, this.left(host) - 1);
  }

  saturated(): string[] {
    return [...this.counts].filter(([, left]) => left <= 0).map(([host]) => host);
  }

  copy(): HostSlots {
    return new HostSlots(this.counts, this.perHostLimit);
  }

  adopt(other: HostSlots): void {
    this.counts.clear();
    for (const [host, left] of other.counts) this.counts.set(host, left);
  }
}
