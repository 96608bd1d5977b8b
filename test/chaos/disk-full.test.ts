import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FULL, size } from './chaos-size.js';
import { ChaosReceiver } from './chaos-receiver.js';
import { freePort, report, startChaosDaemon, statusCounts, verifyCli, verifyFile, waitUntil, withLedger, type ChaosDaemon } from './chaos-daemon.js';

/**
 * Guarantee 1 when the disk fills (DESIGN: "503 ledger unavailable (disk
 * full: never a 202 for something not stored)"): the ledger lives on a small
 * tmpfs that a filler file fills mid-run. Enqueue must answer 503 with the
 * JSON error, never 202 for a notification it could not store; the daemon
 * stays up; when the filler is removed, enqueue and delivery resume, and
 * every notification that was answered 202 is delivered.
 *
 * Needs `mount -t tmpfs` (root); skipped, saying so, where that is refused.
 */

const TMPFS_BYTES = 16 * 1024 * 1024;
const BODY_BYTES = 4_096;

function tryMount(dir: string): string | null {
  const run = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES}`, 'tmpfs', dir], { encoding: 'utf8' });
  return run.status === 0 ? null : (run.stderr || run.error?.message || `exit ${run.status}`).trim();
}

function freeBytes(dir: string): number {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

describe('chaos: disk full', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('the ledger disk fills mid-run: 503 and never 202 for what was not stored, the daemon stays up, delivery resumes when space returns', async (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), 'notifyd-chaos-disk-'));
    const refused = tryMount(dir);
    if (refused !== null) {
      rmSync(dir, { recursive: true, force: true });
      console.warn(`SKIPPED chaos: disk full — cannot mount a tmpfs at ${dir} (${refused}); run as root to include it`);
      ctx.skip();
      return;
    }
    cleanups.push(() => {
      spawnSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    });

    const receiver = await ChaosReceiver.start(() => ({ status: 200, body: 'success' }));
    cleanups.push(() => receiver.close());
    const ledgerPath = join(dir, 'ledger.db');
    const configDir = mkdtempSync(join(tmpdir(), 'notifyd-chaos-disk-config-'));
    cleanups.push(() => rmSync(configDir, { recursive: true, force: true }));
    const port = await freePort();
    const config = {
      listen: { host: '127.0.0.1', port },
      ledger: { path: ledgerPath, synchronous: 'full' },
      security: { allowHosts: ['127.0.0.1/32'] },
      delivery: { concurrency: 32, perHostConcurrency: 32, timeoutMs: 2_000, leaseMarginMs: 1_000, schedule: ['200ms', '500ms', '1s', '2s', '4s', '8s'] },
      log: { level: 'error' },
    };
    const daemon: ChaosDaemon = await startChaosDaemon({ configPath: join(configDir, 'config.json'), config, port });
    cleanups.push(() => daemon.kill('SIGKILL'));

    const stored: string[] = [];
    const refusals: Array<{ status: number; body: unknown }> = [];
    const refusedKeys: number[] = [];
    let seq = 0;
    const enqueue = async (i = seq++) => {
      const response = await fetch(`${daemon.url}/v1/notifications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: receiver.url(), body: { seq: i, pad: 'p'.repeat(BODY_BYTES) }, idempotencyKey: `disk-${i}` }),
      });
      const body = (await response.json()) as { id?: string };
      if (response.status === 202) stored.push(body.id!);
      else {
        refusals.push({ status: response.status, body });
        refusedKeys.push(i);
      }
      return response.status;
    };

    // Some traffic with room to spare, then a filler takes all but ~1 MiB, then enqueue until the disk is full.
    for (let i = 0; i < 50; i++) expect(await enqueue()).toBe(202);
    const filler = join(dir, 'filler');
    writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes(dir) - 1024 * 1024)));
    const storedBeforeFull = stored.length;
    let firstRefusal = -1;
    // Eight producers at a time, so commits fail with several enqueues in one group.
    for (let round = 0; round < size(250, 500) && refusals.length < 64; round++) {
      const statuses = await Promise.all(Array.from({ length: 8 }, () => enqueue()));
      if (statuses.some((s) => s !== 202) && firstRefusal < 0) firstRefusal = stored.length;
      // 202 and 503 are the only answers a full disk may produce.
      for (const status of statuses) expect([202, 503]).toContain(status);
    }
    expect(refusals.length, 'the disk never filled').toBeGreaterThan(0);
    for (const refusal of refusals) {
      expect(refusal).toEqual({ status: 503, body: { error: { code: 'storage_unavailable', message: expect.stringMatching(/ledger/) } } });
    }
    const storedWhileFull = stored.length;

    // Still up and answering for a while with the disk full: liveness, reads of what was stored, more refusals.
    const fullUntil = Date.now() + 2_000;
    while (Date.now() < fullUntil) {
      expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${daemon.url}/v1/notifications/${stored[0]}`)).status).toBe(200);
      // Mostly 503; a write that fits in space SQLite already holds (a reused WAL, free pages) may still be stored: then 202, and it is checked below like every 202.
      expect([202, 503]).toContain(await enqueue());
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(daemon.peakRssMiB()).not.toBeNull();
    // The operator's log names the cause.
    expect(daemon.logs.join('\n')).toMatch(/SQLITE_FULL/);

    // Space returns: enqueue answers 202 again and everything stored is delivered.
    rmSync(filler);
    const resumedAt = Date.now();
    await waitUntil(async () => (await enqueue()) === 202, 30_000, () => `still refused: ${JSON.stringify(refusals.at(-1))}`, 250);
    const resumeMs = Date.now() - resumedAt;
    for (let i = 0; i < 50; i++) expect(await enqueue()).toBe(202);
    // A 503 meant "not stored": retried with the same key, each refused enqueue is created now (202), never found (200).
    const retried = refusedKeys.splice(0);
    for (const key of retried) expect(await enqueue(key)).toBe(202);
    await waitUntil(
      () => statusCounts(ledgerPath).delivered === stored.length,
      60_000,
      () => `${JSON.stringify(statusCounts(ledgerPath))}, ${stored.length} stored`,
      250,
    );

    // Nothing answered 202 is missing: each stored id is in the ledger, delivered, and reached the receiver.
    const delivered = withLedger(ledgerPath, (db) => new Set((db.prepare("SELECT id FROM notifications WHERE status = 'delivered'").all() as Array<{ id: string }>).map((r) => r.id)));
    expect(stored.filter((id) => !delivered.has(id))).toEqual([]);
    expect(stored.filter((id) => receiver.count(id) === 0)).toEqual([]);
    expect(statusCounts(ledgerPath).pending).toBe(0);
    const peakRss = daemon.peakRssMiB() ?? 0;
    const duplicates = stored.reduce((sum, id) => sum + receiver.count(id) - 1, 0);
    daemon.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    expect(verifyFile(ledgerPath, { stopped: true }).violations).toEqual([]);
    const cli = verifyCli(['--db', ledgerPath]);
    expect(cli.code, cli.stdout).toBe(0);

    console.log(
      `disk full: ${storedBeforeFull} stored before the filler, ${storedWhileFull - storedBeforeFull} more while it filled, ${refusals.length} refused with 503 storage_unavailable ` +
        `(first after ${firstRefusal} stored; each, retried later with its key, was created then: none had been stored); 202 again ${resumeMs} ms after space returned; ${stored.length} stored, all delivered, lost 0, duplicates ${duplicates}; peak RSS ${peakRss} MiB`,
    );
    report({
      scenario: 'disk full',
      size: FULL ? 'full' : 'short',
      notifications: stored.length,
      faults: `ledger tmpfs (${TMPFS_BYTES / 1024 / 1024} MiB) filled: ${refusals.length} enqueues refused (503)`,
      lost: 0,
      duplicates,
      peakRssMiB: peakRss,
      verify: 'clean',
    });
  }, 120_000);
});
