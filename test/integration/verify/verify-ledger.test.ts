import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { AttemptResult } from '../../../src/domain/outcome.js';
import type { SqliteNotificationStore } from '../../../src/ledger/index.js';
import { verifyLedger, type Invariant, type VerifyReport } from '../../../src/ledger/verify-ledger.js';
import { NOTIFYD_BIN } from '../../helpers/child-daemon.js';
import { input, leaseAll, openTempLedger, result, T0 } from '../ledger/ledger-fixture.js';

/**
 * `verifyLedger` and `notifyd verify` over ledgers built through the real
 * store (enqueue, lease, apply results, replay, cancel), then broken one
 * column at a time with plain SQL, as a bug or a bad manual fix would.
 */

const DELAYS = [1_000, 2_000]; // three attempts per round
const HOUR = 3_600_000;

/** Leases `id` alone (the others are handed back) and applies `outcome` as its next attempt. */
async function attempt(store: SqliteNotificationStore, id: string, at: number, outcome: AttemptResult['outcome'], more: Partial<AttemptResult> = {}) {
  const jobs = await leaseAll(store, at);
  const job = jobs.find((j) => j.notificationId === id);
  if (!job) throw new Error(`${id} not due at ${at}`);
  await store.releaseLeases(jobs.filter((j) => j !== job).map((j) => j.notificationId), at);
  await store.applyResults([result(id, job.attempt, outcome, { startedAt: at, ...more })], at);
  return job.attempt;
}

/** A ledger holding every legitimate shape a notification can take, by name. */
async function lifecycleLedger() {
  const ledger = openTempLedger();
  const { store } = ledger;
  const ids: Record<string, string> = {};
  const enqueue = async (name: string, more: Parameters<typeof input>[0] = {}) => {
    ids[name] = (await store.enqueue(input({ delaysMs: DELAYS, url: `https://r.example.com/${name}`, ...more }), T0)).notification.id;
    return ids[name]!;
  };
  let t = T0;
  const later = () => (t += HOUR);

  await attempt(store, await enqueue('deliveredFirst'), later(), 'success');
  const retried = await enqueue('deliveredAfterFailures');
  await attempt(store, retried, later(), 'http_error');
  await attempt(store, retried, later(), 'timeout');
  await attempt(store, retried, later(), 'success');
  const exhausted = await enqueue('deadExhausted');
  for (const outcome of ['http_error', 'rejected', 'network'] as const) await attempt(store, exhausted, later(), outcome);
  await attempt(store, await enqueue('deadGone'), later(), 'http_error', { statusCode: 410 });
  await attempt(store, await enqueue('deadBlocked'), later(), 'blocked', { error: 'BLOCKED_ADDRESS: private' });
  await attempt(store, await enqueue('pendingRetry'), later(), 'rejected');
  await enqueue('pendingNew');
  const leased = await enqueue('pendingLeased');
  const cancelled = await enqueue('cancelled');
  await store.cancel(cancelled, later());
  // Cancelled while its attempt was in flight: the success is recorded, the status stays cancelled.
  const cancelledInFlight = await enqueue('cancelledInFlight');
  await attempt(store, cancelledInFlight, later(), 'http_error');
  const jobs = await leaseAll(store, later());
  await store.releaseLeases(jobs.filter((j) => j.notificationId !== cancelledInFlight).map((j) => j.notificationId), t);
  await store.cancel(cancelledInFlight, t);
  await store.applyResults([result(cancelledInFlight, 2, 'success', { startedAt: t })], t);
  // Dead, replayed, delivered in its second round.
  const replayed = await enqueue('replayedDead');
  await attempt(store, replayed, later(), 'http_error', { statusCode: 410 });
  await store.replay(replayed, { force: false }, later());
  await attempt(store, replayed, later(), 'http_error');
  await attempt(store, replayed, later(), 'success');
  // Delivered, force-replayed, delivered again: two successes in the history, one per round.
  const forced = await enqueue('forceReplayedDelivered');
  await attempt(store, forced, later(), 'success');
  await store.replay(forced, { force: true }, later());
  await attempt(store, forced, later(), 'success');
  // Delivered, force-replayed, then the receiver is gone.
  const forcedDead = await enqueue('forceReplayedDead');
  await attempt(store, forcedDead, later(), 'success');
  await store.replay(forcedDead, { force: true }, later());
  await attempt(store, forcedDead, later(), 'http_error', { statusCode: 410 });
  // Last, so its lease is the one left held.
  const held = await leaseAll(store, later());
  await store.releaseLeases(held.filter((j) => j.notificationId !== leased).map((j) => j.notificationId), t);
  return { ...ledger, ids, lastTime: t };
}

function invariantsOf(report: VerifyReport): Invariant[] {
  return Object.keys(report.violationsByInvariant).sort() as Invariant[];
}

describe('verifyLedger', () => {
  it('a ledger holding every legitimate shape (replays, force replays, cancel in flight, a held lease) is clean', async () => {
    const { store, ids, lastTime } = await lifecycleLedger();
    const report = verifyLedger(store.db, { now: lastTime, leaseMarginMs: 30_000 });
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({
      ok: true,
      notifications: Object.keys(ids).length,
      byStatus: { delivered: 4, dead: 4, pending: 3, cancelled: 2 },
      leasesHeld: 1,
    });
    const forced = await store.get(ids.forceReplayedDelivered!);
    expect(forced?.history.filter((h) => h.outcome === 'success')).toHaveLength(2);
    // Stopped, before the held lease's deadline: still clean.
    expect(verifyLedger(store.db, { now: lastTime, stopped: true }).ok).toBe(true);
  });

  it('while stopped, a lease past its deadline plus the grace is reported; a running daemon is not judged', async () => {
    const { store, ids, lastTime } = await lifecycleLedger();
    const lease = (await store.get(ids.pendingLeased!))!.leaseUntil!;
    expect(verifyLedger(store.db, { now: lease + 10_000, stopped: true, leaseGraceMs: 10_000 }).ok).toBe(true);
    const stale = verifyLedger(store.db, { now: lease + 10_001, stopped: true, leaseGraceMs: 10_000 });
    expect(stale.violations).toEqual([
      { invariant: 'lease_stale', id: ids.pendingLeased, message: expect.stringMatching(/attempt 1 leased until .* has no result and the daemon is stopped/) },
    ]);
    expect(verifyLedger(store.db, { now: lastTime + 365 * 86_400_000 }).ok).toBe(true);
  });

  type Mutation = { name: string; row: string; sql: string; expect: Invariant[]; options?: Parameters<typeof verifyLedger>[1] };
  const MUTATIONS: Mutation[] = [
    { name: 'attempts column one too high', row: 'deliveredAfterFailures', sql: 'UPDATE notifications SET attempts = attempts + 1 WHERE id = @id', expect: ['attempts_count'] },
    { name: 'a history row deleted', row: 'deadExhausted', sql: 'DELETE FROM attempts WHERE notification_id = @id AND n = 2', expect: ['attempts_contiguous', 'attempts_count'] },
    { name: 'a history row renumbered', row: 'deliveredAfterFailures', sql: 'UPDATE attempts SET n = 7 WHERE notification_id = @id AND n = 3', expect: ['attempts_contiguous'] },
    {
      name: 'delivered though the last attempt failed',
      row: 'pendingRetry',
      sql: "UPDATE notifications SET status = 'delivered', delivered_at = 1, next_attempt_at = NULL WHERE id = @id",
      expect: ['delivered'],
    },
    {
      name: 'two successes in the last round',
      row: 'deliveredAfterFailures',
      sql: "UPDATE attempts SET outcome = 'success', status_code = 200, response_excerpt = 'success' WHERE notification_id = @id AND n = 1",
      expect: ['delivered', 'round_sequence', 'successes_per_round'],
    },
    { name: 'delivered without delivered_at', row: 'deliveredFirst', sql: 'UPDATE notifications SET delivered_at = NULL WHERE id = @id', expect: ['delivered'] },
    {
      name: 'dead (exhausted) before the schedule ran out',
      row: 'pendingRetry',
      sql: "UPDATE notifications SET status = 'dead', dead_reason = 'exhausted', dead_at = 1, next_attempt_at = NULL WHERE id = @id",
      expect: ['dead'],
    },
    { name: 'dead_reason not what ended the round', row: 'deadGone', sql: "UPDATE notifications SET dead_reason = 'exhausted' WHERE id = @id", expect: ['dead'] },
    { name: 'dead (blocked) recorded as gone', row: 'deadBlocked', sql: "UPDATE notifications SET dead_reason = 'gone' WHERE id = @id", expect: ['dead'] },
    { name: 'pending with nothing scheduled', row: 'pendingRetry', sql: 'UPDATE notifications SET next_attempt_at = NULL WHERE id = @id', expect: ['pending'] },
    {
      name: 'pending though the round was exhausted',
      row: 'deadExhausted',
      sql: "UPDATE notifications SET status = 'pending', dead_reason = NULL, dead_at = NULL, next_attempt_at = 1 WHERE id = @id",
      expect: ['pending'],
    },
    {
      name: 'pending though the last attempt succeeded',
      row: 'deliveredFirst',
      sql: "UPDATE notifications SET status = 'pending', delivered_at = NULL, next_attempt_at = 1 WHERE id = @id",
      expect: ['pending'],
    },
    { name: 'cancelled without cancelled_at', row: 'cancelled', sql: 'UPDATE notifications SET cancelled_at = NULL WHERE id = @id', expect: ['cancelled'] },
    { name: 'a lease on a delivered row', row: 'deliveredFirst', sql: 'UPDATE notifications SET lease_until = 5 WHERE id = @id', expect: ['lease_shape'] },
    { name: 'a lease that is not the next attempt time', row: 'pendingLeased', sql: 'UPDATE notifications SET next_attempt_at = next_attempt_at + 99999999 WHERE id = @id', expect: ['lease_shape'] },
    {
      name: 'a lease longer than timeout + margin',
      row: 'pendingLeased',
      sql: 'UPDATE notifications SET lease_until = lease_until + 1, next_attempt_at = next_attempt_at + 1 WHERE id = @id',
      expect: ['lease_length'],
      options: { leaseMarginMs: 30_000 },
    },
    { name: 'round_start past attempts', row: 'deliveredFirst', sql: 'UPDATE notifications SET round_start = 5 WHERE id = @id', expect: ['delivered', 'round_bounds'] },
    { name: 'a new round without a replay', row: 'deadExhausted', sql: 'UPDATE notifications SET round_start = 1 WHERE id = @id', expect: ['dead', 'round_bounds'] },
    {
      name: 'success with a body the rule refuses',
      row: 'deliveredFirst',
      sql: "UPDATE attempts SET response_excerpt = 'SUCCESS' WHERE notification_id = @id",
      expect: ['outcome_class'],
    },
    {
      name: 'rejected with the body the rule wants',
      row: 'pendingRetry',
      sql: "UPDATE attempts SET response_excerpt = '  success\n' WHERE notification_id = @id",
      expect: ['outcome_class'],
    },
    { name: 'http_error with a 2xx', row: 'deadGone', sql: 'UPDATE attempts SET status_code = 204 WHERE notification_id = @id', expect: ['dead', 'outcome_class'] },
    { name: 'a network failure with a status code', row: 'deadExhausted', sql: 'UPDATE attempts SET status_code = 200 WHERE notification_id = @id AND n = 3', expect: ['outcome_class'] },
  ];

  for (const mutation of MUTATIONS) {
    it(`finds: ${mutation.name} → ${mutation.expect.join(', ')}`, async () => {
      const { store, ids, lastTime } = await lifecycleLedger();
      const id = ids[mutation.row]!;
      store.db.prepare(mutation.sql).run({ id });
      const report = verifyLedger(store.db, { now: lastTime, ...mutation.options });
      expect(report.ok).toBe(false);
      expect(invariantsOf(report)).toEqual([...mutation.expect].sort());
      expect(new Set(report.violations.map((v) => v.id))).toEqual(new Set([id]));
    });
  }

  it('finds attempt rows whose notification is gone', async () => {
    const { store, lastTime } = await lifecycleLedger();
    const raw = new Database(store.db.name);
    raw.pragma('foreign_keys = OFF');
    raw.prepare("INSERT INTO attempts (notification_id, n, at, duration_ms, outcome) VALUES ('ntf_ghost', 1, 0, 1, 'timeout')").run();
    raw.close();
    const report = verifyLedger(store.db, { now: lastTime });
    expect(report.violations).toEqual([{ invariant: 'orphan_attempts', id: 'ntf_ghost', message: expect.stringContaining('does not exist') }]);
  });

  it('keeps at most maxViolations but counts them all', async () => {
    const { store, lastTime } = await lifecycleLedger();
    store.db.exec('UPDATE notifications SET attempts = attempts + 1');
    const report = verifyLedger(store.db, { now: lastTime, maxViolations: 3 });
    expect(report.violations).toHaveLength(3);
    expect(report.violationsByInvariant.attempts_count).toBe(report.notifications);
  });
});

describe('notifyd verify (the CLI)', () => {
  function verify(...args: string[]) {
    const run = spawnSync(process.execPath, [NOTIFYD_BIN, 'verify', ...args], { encoding: 'utf8', env: { ...process.env, NOTIFYD_LOG_LEVEL: 'silent' } });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  it('exit 0 on a clean ledger, and detects that nothing else holds it', async () => {
    const { store, path, ids, lastTime } = await lifecycleLedger();
    await store.releaseLeases([ids.pendingLeased!], lastTime);
    await store.close();
    const run = verify('--db', path);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/13 notifications \(delivered 4, dead 4, pending 3, cancelled 2\), \d+ attempts, 0 lease\(s\) held/);
    expect(run.stdout).toMatch(/daemon: stopped \(detected: no other process holds the ledger open\)/);
    expect(run.stdout).toMatch(/^OK: all \d+ invariants hold$/m);
    expect(run.code).toBe(0);
  });

  it('detects a process holding the ledger open, and then does not judge its leases', async () => {
    const { store, path, ids } = await lifecycleLedger();
    store.db.prepare('UPDATE notifications SET lease_until = 1, next_attempt_at = 1 WHERE id = ?').run(ids.pendingLeased);
    const running = verify('--db', path);
    expect(running.stdout).toMatch(/daemon: running \(detected: another process holds the ledger open\); stale-lease check skipped/);
    expect(running.code).toBe(0);
    const stopped = verify('--db', path, '--stopped');
    expect(stopped.stdout).toContain(`VIOLATION lease_stale ${ids.pendingLeased}: attempt 1 leased until 1970-01-01T00:00:00.001Z`);
    expect(stopped.code).toBe(1);
  });

  it('exit 1 with one line per violation; --json gives the report', async () => {
    const { store, path, ids, lastTime } = await lifecycleLedger();
    await store.releaseLeases([ids.pendingLeased!], lastTime);
    store.db.prepare('UPDATE notifications SET attempts = attempts + 1 WHERE id = ?').run(ids.deliveredFirst);
    store.db.prepare('UPDATE notifications SET next_attempt_at = NULL WHERE id = ?').run(ids.pendingNew);
    await store.close();
    const run = verify('--db', path);
    expect(run.stdout).toContain(`VIOLATION attempts_count ${ids.deliveredFirst}: attempts is 2 but the history holds 1 row(s)`);
    expect(run.stdout).toContain(`VIOLATION pending ${ids.pendingNew}: pending but next_attempt_at is not set`);
    expect(run.stdout).toMatch(/^FAILED: 2 violation\(s\): /m);
    expect(run.code).toBe(1);

    const json = verify('--db', path, '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ ok: false, daemon: 'stopped', violationCount: 2, violationsByInvariant: { attempts_count: 1, pending: 1 } });
  });

  it('reads ledger.path and the lease margin from -c; exit 2 when there is no ledger to read', async () => {
    const { store, path, ids, dir } = await lifecycleLedger();
    const lease = (await store.get(ids.pendingLeased!))!;
    await store.close();
    const configPath = dir.file('config.json');
    // The lease was taken with a 30 s margin; a config that says 1 s makes it too long.
    writeFileSync(configPath, JSON.stringify({ ledger: { path }, delivery: { leaseMarginMs: 1_000 } }));
    const run = verify('-c', configPath, '--stopped', '--lease-grace', String(10 * 365 * 86_400_000));
    expect(run.stdout).toContain(`VIOLATION lease_length ${lease.id}`);
    expect(run.code).toBe(1);

    const missing = verify('--db', dir.file('nope.db'));
    expect(missing.stderr).toMatch(/ledger .*nope\.db does not exist/);
    expect(missing.code).toBe(2);
    const notLedger = dir.file('other.db');
    new Database(notLedger).close();
    const wrong = verify('--db', notLedger);
    expect(wrong.stderr).toMatch(/cannot read ledger .*no such table: notifications/);
    expect(wrong.code).toBe(2);
  });
});
