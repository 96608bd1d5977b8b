import Database from 'better-sqlite3';
import { decideNextStep } from '../domain/next-step.js';
import type { DeadReason, NotificationStatus } from '../domain/notification-status.js';
import { RESPONSE_EXCERPT_BYTES, type AttemptOutcome } from '../domain/outcome.js';
import { bodyMatches, statusMatches, type SuccessRule } from '../domain/success-rule.js';
import type { SqliteDatabase } from './database.js';
import type { NotificationRow } from './rows.js';

/**
 * `notifyd verify`: the ledger's invariants, checked over a better-sqlite3
 * connection in one read transaction (a consistent snapshot, safe beside a
 * running daemon in WAL mode). Each broken invariant is one violation naming
 * the notification, so an operator after an incident (and every chaos test)
 * sees exactly which rows are wrong and why.
 *
 * A *round* is the attempts since the last replay: `round_start` is the
 * attempt count when the round began (0 for a new notification; replay —
 * forced for a delivered row, plain for a dead one — sets it to `attempts`).
 * The rule for a round is the domain's own (decideNextStep): every attempt
 * but the last must have led to "retry", and the last decides the status.
 * Earlier rounds are history: a force-replayed delivered row legitimately
 * holds a success in an earlier round, so "exactly one success" is checked
 * per last round, and over the whole history as "at most one per round".
 */

export const Invariants = {
  /** `attempts` equals the number of history rows. */
  attempts_count: 'attempts column = number of history rows',
  /** History rows are numbered 1..attempts with no gap or repeat. */
  attempts_contiguous: 'attempt numbers contiguous 1..attempts',
  /** 0 ≤ round_start ≤ attempts; a notification never replayed is in round one. */
  round_bounds: 'round_start within 0..attempts, 0 unless replayed',
  /** Successes over the whole history ≤ rounds (replays + 1): one success ends a round. */
  successes_per_round: 'at most one success per round',
  /** Every attempt of the last round but the last led to a retry (the domain's decision). */
  round_sequence: 'only the last attempt of a round may end it',
  /** delivered ⇒ the last attempt succeeded (the only success of its round), delivered_at set, no schedule. */
  delivered: 'delivered ⇒ last attempt succeeded, exactly one success in its last round',
  /** dead ⇒ the last attempt ended the round with the recorded reason: exhausted, gone (410) or blocked. */
  dead: 'dead ⇒ schedule exhausted in its round, or 410, or blocked, matching dead_reason',
  /** pending ⇒ next_attempt_at set and the round still open (no attempt ended it). */
  pending: 'pending ⇒ next_attempt_at set, round still open',
  /** cancelled ⇒ cancelled_at set, nothing scheduled. */
  cancelled: 'cancelled ⇒ cancelled_at set, nothing scheduled',
  /** A held lease is on a pending row and is its next_attempt_at, so an expired lease is due again. */
  lease_shape: 'a lease is held only by a pending row, as its next_attempt_at',
  /** A lease lasts at most timeout + leaseMarginMs from when it was taken (checked when the margin is known). */
  lease_length: 'lease ≤ timeout + delivery.leaseMarginMs',
  /** With the daemon stopped, no lease is older than its deadline plus the grace. */
  lease_stale: 'no lease past its deadline + grace while the daemon is stopped',
  /** Recorded outcomes agree with the notification's success rule (status code, and the body when fully excerpted). */
  outcome_class: "each attempt's outcome agrees with the success rule",
  /** No history row without its notification. */
  orphan_attempts: 'no attempt without its notification',
} as const;
export type Invariant = keyof typeof Invariants;

export interface Violation {
  invariant: Invariant;
  /** The notification concerned (for orphan attempts: the missing notification's id). */
  id: string;
  message: string;
}

export interface VerifyOptions {
  /** The clock for lease checks (ms since the epoch); default Date.now(). */
  now?: number;
  /** The daemon owning this ledger is not running: leases left behind are judged (lease_stale). */
  stopped?: boolean;
  /** How long past its deadline a lease may still be held while stopped (default 10 s). */
  leaseGraceMs?: number;
  /** `delivery.leaseMarginMs` when known: bounds a lease's length (lease_length). */
  leaseMarginMs?: number;
  /** Violations kept in the report, at most (the counts stay exact); default 1000. */
  maxViolations?: number;
}

export interface VerifyReport {
  ok: boolean;
  /** The mode the lease checks ran in. */
  stopped: boolean;
  checkedAt: number;
  notifications: number;
  attempts: number;
  byStatus: Record<NotificationStatus, number>;
  /** Leases held when checked (attempts in flight, or left behind by a crash). */
  leasesHeld: number;
  violationCount: number;
  violationsByInvariant: Partial<Record<Invariant, number>>;
  /** The first `maxViolations` violations, in id order. */
  violations: Violation[];
}

export const DEFAULT_LEASE_GRACE_MS = 10_000;
export const DEFAULT_MAX_VIOLATIONS = 1_000;

/** A notification's columns joined with one of its attempts (LEFT JOIN: the attempt columns are null when it has none). */
type JoinedRow = Pick<
  NotificationRow,
  | 'id'
  | 'status'
  | 'attempts'
  | 'round_start'
  | 'replays'
  | 'delays_ms'
  | 'success'
  | 'timeout_ms'
  | 'next_attempt_at'
  | 'lease_until'
  | 'delivered_at'
  | 'dead_at'
  | 'dead_reason'
  | 'cancelled_at'
  | 'updated_at'
> & {
  n: number | null;
  outcome: AttemptOutcome | null;
  status_code: number | null;
  response_excerpt: string | null;
};

interface HistoryEntry {
  n: number;
  outcome: AttemptOutcome;
  statusCode: number | null;
  responseExcerpt: string | null;
}

// One pass over both tables, joined on the attempts primary key and ordered by
// it, so neither side is sorted in a temp b-tree and memory stays one
// notification's history.
const JOINED_SQL = `
  SELECT n.id, n.status, n.attempts, n.round_start, n.replays, n.delays_ms, n.success, n.timeout_ms,
         n.next_attempt_at, n.lease_until, n.delivered_at, n.dead_at, n.dead_reason, n.cancelled_at, n.updated_at,
         a.n, a.outcome, a.status_code, a.response_excerpt
  FROM notifications n LEFT JOIN attempts a ON a.notification_id = n.id
  ORDER BY n.id, a.n`;

const ORPHANS_SQL = `
  SELECT notification_id AS id, count(*) AS n FROM attempts
  WHERE notification_id NOT IN (SELECT id FROM notifications) GROUP BY notification_id ORDER BY notification_id`;

/** Checks every invariant over the ledger behind `db`; never writes. */
export function verifyLedger(db: SqliteDatabase, options: VerifyOptions = {}): VerifyReport {
  const now = options.now ?? Date.now();
  const stopped = options.stopped ?? false;
  const grace = options.leaseGraceMs ?? DEFAULT_LEASE_GRACE_MS;
  const maxViolations = options.maxViolations ?? DEFAULT_MAX_VIOLATIONS;
  const report: VerifyReport = {
    ok: true,
    stopped,
    checkedAt: now,
    notifications: 0,
    attempts: 0,
    byStatus: { pending: 0, delivered: 0, dead: 0, cancelled: 0 },
    leasesHeld: 0,
    violationCount: 0,
    violationsByInvariant: {},
    violations: [],
  };
  const add = (invariant: Invariant, id: string, message: string) => {
    report.violationCount += 1;
    report.violationsByInvariant[invariant] = (report.violationsByInvariant[invariant] ?? 0) + 1;
    if (report.violations.length < maxViolations) report.violations.push({ invariant, id, message });
  };
  const context: CheckContext = { now, stopped, grace, leaseMarginMs: options.leaseMarginMs ?? null, add };

  const scan = db.transaction(() => {
    let current: JoinedRow | null = null;
    let history: HistoryEntry[] = [];
    const finish = () => {
      if (current === null) return;
      report.notifications += 1;
      report.attempts += history.length;
      report.byStatus[current.status] = (report.byStatus[current.status] ?? 0) + 1;
      if (current.lease_until !== null) report.leasesHeld += 1;
      checkNotification(current, history, context);
    };
    for (const row of db.prepare(JOINED_SQL).iterate() as IterableIterator<JoinedRow>) {
      if (current === null || row.id !== current.id) {
        finish();
        current = row;
        history = [];
      }
      if (row.n !== null && row.outcome !== null) {
        history.push({ n: row.n, outcome: row.outcome, statusCode: row.status_code, responseExcerpt: row.response_excerpt });
      }
    }
    finish();
    for (const orphan of db.prepare(ORPHANS_SQL).all() as Array<{ id: string; n: number }>) {
      report.attempts += orphan.n;
      add('orphan_attempts', orphan.id, `${orphan.n} attempt row(s) for a notification that does not exist`);
    }
  });
  scan.deferred();
  report.ok = report.violationCount === 0;
  return report;
}

interface CheckContext {
  now: number;
  stopped: boolean;
  grace: number;
  leaseMarginMs: number | null;
  add: (invariant: Invariant, id: string, message: string) => void;
}

/** What the domain decides after one attempt of a round, without the timing (only the kind matters here). */
type Decision = 'retry' | 'delivered' | DeadReason;

function decide(entry: HistoryEntry, roundAttempt: number, delaysMs: readonly number[]): Decision {
  const step = decideNextStep({
    result: { outcome: entry.outcome, statusCode: entry.statusCode, retryAfterMs: null },
    roundAttempt,
    delaysMs,
    now: 0,
    jitter: 0,
  });
  return step.kind === 'dead' ? step.reason : step.kind;
}

function checkNotification(row: JoinedRow, history: readonly HistoryEntry[], ctx: CheckContext): void {
  const { id } = row;
  const add = (invariant: Invariant, message: string) => ctx.add(invariant, id, message);

  // --- history shape
  if (row.attempts !== history.length) {
    add('attempts_count', `attempts is ${row.attempts} but the history holds ${history.length} row(s)`);
  }
  const gaps = history.filter((entry, i) => entry.n !== i + 1);
  if (gaps.length > 0) {
    add('attempts_contiguous', `attempt numbers are ${summarize(history.map((e) => e.n))}, expected 1..${history.length}`);
  }
  if (row.round_start < 0 || row.round_start > row.attempts) {
    add('round_bounds', `round_start ${row.round_start} is outside 0..${row.attempts}`);
  } else if (row.replays === 0 && row.round_start !== 0) {
    add('round_bounds', `round_start is ${row.round_start} but the notification was never replayed`);
  }
  const successes = history.filter((e) => e.outcome === 'success').length;
  if (successes > row.replays + 1) {
    add('successes_per_round', `${successes} successful attempts over ${row.replays + 1} round(s)`);
  }

  let rule: SuccessRule | null = null;
  let delays: number[] | null = null;
  try {
    rule = JSON.parse(row.success) as SuccessRule;
    delays = JSON.parse(row.delays_ms) as number[];
  } catch {
    add('outcome_class', 'success rule or schedule is not valid JSON');
  }
  if (rule !== null) checkOutcomes(history, rule, add);

  // --- the last round, as the domain decides it
  const round = history.filter((e) => e.n > row.round_start);
  // Numbered as the domain numbered them when deciding: attempt − round_start.
  const decisions = delays === null ? [] : round.map((entry) => decide(entry, entry.n - row.round_start, delays));
  const early = decisions.slice(0, -1).findIndex((d) => d !== 'retry');
  if (delays !== null && round.length > delays.length + 1) {
    add('round_sequence', `${round.length} attempts in the last round; the schedule allows ${delays.length + 1}`);
  } else if (early >= 0) {
    add(
      'round_sequence',
      `attempt ${round[early]!.n} (${describe(round[early]!)}) ended the round (${decisions[early]}) yet attempt ${round[early + 1]!.n} followed in the same round`,
    );
  }
  const last = round[round.length - 1];
  const finalDecision = decisions[decisions.length - 1] ?? null;

  switch (row.status) {
    case 'delivered': {
      const roundSuccesses = round.filter((e) => e.outcome === 'success').length;
      if (last === undefined) add('delivered', 'delivered with no attempt in its last round');
      else if (last.outcome !== 'success') add('delivered', `delivered but its last attempt (${last.n}) was ${describe(last)}`);
      if (last !== undefined && roundSuccesses !== 1) add('delivered', `${roundSuccesses} successful attempts in its last round, expected exactly 1`);
      if (row.delivered_at === null) add('delivered', 'delivered_at is not set');
      if (row.next_attempt_at !== null) add('delivered', 'delivered but next_attempt_at is set');
      if (row.dead_at !== null || row.dead_reason !== null || row.cancelled_at !== null) {
        add('delivered', 'delivered but dead_at, dead_reason or cancelled_at is set');
      }
      break;
    }
    case 'dead': {
      if (last === undefined) add('dead', 'dead with no attempt in its last round');
      else if (finalDecision !== null && finalDecision !== row.dead_reason) {
        const expected = finalDecision === 'retry' ? 'a retry (the schedule was not exhausted)' : finalDecision === 'delivered' ? 'delivered' : `dead (${finalDecision})`;
        add('dead', `dead_reason is ${row.dead_reason ?? 'null'} but after attempt ${last.n} (${describe(last)}, ${round.length} of ${(delays?.length ?? 0) + 1} in its round) the domain decides ${expected}`);
      }
      if (row.dead_reason === null) add('dead', 'dead_reason is not set');
      if (row.dead_at === null) add('dead', 'dead_at is not set');
      if (row.next_attempt_at !== null) add('dead', 'dead but next_attempt_at is set');
      if (row.delivered_at !== null || row.cancelled_at !== null) add('dead', 'dead but delivered_at or cancelled_at is set');
      break;
    }
    case 'pending': {
      if (row.next_attempt_at === null) add('pending', 'pending but next_attempt_at is not set: it would never be attempted');
      if (finalDecision !== null && finalDecision !== 'retry') {
        add('pending', `pending but attempt ${last!.n} (${describe(last!)}) ended its round (${finalDecision})`);
      }
      if (row.delivered_at !== null || row.dead_at !== null || row.dead_reason !== null || row.cancelled_at !== null) {
        add('pending', 'pending but delivered_at, dead_at, dead_reason or cancelled_at is set');
      }
      break;
    }
    case 'cancelled': {
      // An attempt in flight when it was cancelled is recorded after it, so the last attempt may be anything.
      if (row.cancelled_at === null) add('cancelled', 'cancelled_at is not set');
      if (row.next_attempt_at !== null) add('cancelled', 'cancelled but next_attempt_at is set');
      break;
    }
    default:
      add('pending', `unknown status ${JSON.stringify(row.status)}`);
  }

  // --- leases
  if (row.lease_until !== null) {
    if (row.status !== 'pending') add('lease_shape', `${row.status} but holds a lease until ${iso(row.lease_until)}`);
    else if (row.next_attempt_at !== row.lease_until) {
      add('lease_shape', `lease until ${iso(row.lease_until)} but next_attempt_at is ${row.next_attempt_at === null ? 'null' : iso(row.next_attempt_at)}: an expired lease would not come due`);
    }
    if (ctx.leaseMarginMs !== null && row.lease_until - row.updated_at > row.timeout_ms + ctx.leaseMarginMs) {
      add('lease_length', `lease of ${row.lease_until - row.updated_at} ms exceeds timeout ${row.timeout_ms} ms + lease margin ${ctx.leaseMarginMs} ms`);
    }
    if (ctx.stopped && row.lease_until + ctx.grace < ctx.now) {
      add(
        'lease_stale',
        `attempt ${row.attempts + 1} leased until ${iso(row.lease_until)} (${Math.round((ctx.now - row.lease_until) / 1000)} s ago) has no result and the daemon is stopped: it was not shut down gracefully; the next start re-runs it, so its receiver may see it twice`,
      );
    }
  }
}

/** outcome_class: the recorded outcome is what the success rule makes of the recorded answer. */
function checkOutcomes(history: readonly HistoryEntry[], rule: SuccessRule, add: (invariant: Invariant, message: string) => void): void {
  for (const entry of history) {
    const { outcome, statusCode } = entry;
    const answered = outcome === 'success' || outcome === 'rejected' || outcome === 'http_error';
    if (answered !== (statusCode !== null)) {
      add('outcome_class', `attempt ${entry.n} is ${outcome} with status code ${statusCode ?? 'null'}`);
      continue;
    }
    if (statusCode === null) continue;
    const statusOk = statusMatches(rule, statusCode);
    if ((outcome === 'http_error') === statusOk) {
      add('outcome_class', `attempt ${entry.n} is ${outcome} but status ${statusCode} ${statusOk ? 'matches' : 'does not match'} the success rule`);
      continue;
    }
    // The excerpt is the whole body only when it is shorter than the excerpt size (minus a cut multi-byte character).
    const excerpt = entry.responseExcerpt;
    if (outcome === 'http_error' || excerpt === null || Buffer.byteLength(excerpt) > RESPONSE_EXCERPT_BYTES - 4) continue;
    const bodyOk = bodyMatches(rule, excerpt);
    if ((outcome === 'success') !== bodyOk) {
      add('outcome_class', `attempt ${entry.n} is ${outcome} but its body ${JSON.stringify(excerpt.slice(0, 40))} ${bodyOk ? 'matches' : 'does not match'} the success rule`);
    }
  }
}

function describe(entry: HistoryEntry): string {
  return entry.statusCode === null ? entry.outcome : `${entry.outcome} ${entry.statusCode}`;
}

function summarize(ns: readonly number[]): string {
  return ns.length > 12 ? `${ns.slice(0, 12).join(',')},… (${ns.length})` : ns.join(',') || '(none)';
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Whether another connection (a running daemon) holds the ledger open. A
 * WAL-mode connection keeps a shared lock on the database file for as long
 * as it is open, so an exclusive lock taken without waiting succeeds only
 * when nobody else has it open. The probe connection writes nothing itself;
 * closing it, as the last connection, checkpoints the WAL like any clean
 * close (the recovery SQLite runs after a crash anyway).
 */
export function ledgerInUse(path: string): boolean {
  const probe = new Database(path, { fileMustExist: true, timeout: 0 });
  try {
    // Exclusive locking mode before the first read: no shared-memory index, a plain file lock.
    probe.pragma('locking_mode = EXCLUSIVE');
    probe.exec('BEGIN EXCLUSIVE');
    probe.exec('COMMIT');
    return false;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) return true;
    throw error;
  } finally {
    try {
      probe.close();
    } catch {
      // A failed checkpoint on close (a full disk) is not the probe's business.
    }
  }
}

/** Opens a ledger file for verification: read-only, never created. */
export function openLedgerForVerify(path: string): SqliteDatabase {
  return new Database(path, { readonly: true, fileMustExist: true });
}
