import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import {
  DEFAULT_LEASE_GRACE_MS,
  DEFAULT_MAX_VIOLATIONS,
  Invariants,
  ledgerInUse,
  openLedgerForVerify,
  verifyLedger,
  type VerifyReport,
} from '../../ledger/verify-ledger.js';
import { parseInteger } from '../options.js';
import { fail, printJson } from '../output.js';

interface VerifyFlags {
  config?: string;
  db?: string;
  json?: boolean;
  stopped?: boolean;
  leaseGrace?: number;
  limit?: number;
}

/**
 * `notifyd verify`: checks the ledger file's invariants (see
 * src/ledger/verify-ledger.ts) and prints each violation. Exit 0 when every
 * invariant holds, 1 on any violation, 2 when the ledger cannot be read.
 */
export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description("check the ledger's invariants and print each violation (exit 1 on any); safe beside a running daemon")
    .option('-c, --config <file>', 'JSON config file (for ledger.path and delivery.leaseMarginMs)')
    .option('--db <path>', 'SQLite ledger file')
    .option('--stopped', 'the daemon is known to be stopped (otherwise detected from the file lock)')
    .option('--lease-grace <ms>', `while stopped, how long past its deadline a lease may be held (default ${DEFAULT_LEASE_GRACE_MS})`, parseInteger('--lease-grace'))
    .option('--limit <n>', `violations listed at most (the counts stay exact; default ${DEFAULT_MAX_VIOLATIONS})`, parseInteger('--limit'))
    .option('--json', 'print the report as JSON')
    .action((flags: VerifyFlags) => {
      let path: string;
      let leaseMarginMs: number | undefined;
      try {
        const config = loadConfig({
          ...(flags.config !== undefined ? { file: flags.config } : {}),
          env: process.env,
          flags: flags.db !== undefined ? { db: flags.db } : {},
        });
        path = config.ledger.path;
        // Only a margin someone configured bounds a lease: the default may not be what the daemon ran with.
        if (flags.config !== undefined || process.env.NOTIFYD_DELIVERY_LEASE_MARGIN_MS !== undefined) {
          leaseMarginMs = config.delivery.leaseMarginMs;
        }
      } catch (error) {
        fail((error as Error).message, 2);
      }
      if (!existsSync(path)) fail(`verify: ledger ${path} does not exist`, 2);

      let stopped = flags.stopped ?? false;
      let detection = 'given (--stopped)';
      if (!stopped) {
        try {
          stopped = !ledgerInUse(path);
          detection = stopped ? 'detected: no other process holds the ledger open' : 'detected: another process holds the ledger open';
        } catch (error) {
          detection = `unknown (lock probe failed: ${(error as Error).message}); pass --stopped if it is`;
        }
      }

      let report: VerifyReport;
      try {
        const db = openLedgerForVerify(path);
        try {
          report = verifyLedger(db, {
            stopped,
            ...(flags.leaseGrace !== undefined ? { leaseGraceMs: flags.leaseGrace } : {}),
            ...(leaseMarginMs !== undefined ? { leaseMarginMs } : {}),
            ...(flags.limit !== undefined ? { maxViolations: flags.limit } : {}),
          });
        } finally {
          db.close();
        }
      } catch (error) {
        fail(`verify: cannot read ledger ${path}: ${(error as Error).message}`, 2);
      }

      if (flags.json) {
        printJson({ path, daemon: stopped ? 'stopped' : 'running', detection, invariants: Invariants, ...report });
      } else {
        printReport(path, report, stopped ? `stopped (${detection})` : `running (${detection}); stale-lease check skipped`);
      }
      process.exitCode = report.ok ? 0 : 1;
    });
}

function printReport(path: string, report: VerifyReport, daemon: string): void {
  const out: string[] = [];
  const s = report.byStatus;
  out.push(
    `ledger ${path}: ${report.notifications} notifications (delivered ${s.delivered}, dead ${s.dead}, pending ${s.pending}, cancelled ${s.cancelled}), ${report.attempts} attempts, ${report.leasesHeld} lease(s) held`,
  );
  out.push(`daemon: ${daemon}`);
  for (const v of report.violations) out.push(`VIOLATION ${v.invariant} ${v.id}: ${v.message}`);
  const hidden = report.violationCount - report.violations.length;
  if (hidden > 0) out.push(`… and ${hidden} more (raise --limit to list them)`);
  if (report.ok) {
    out.push(`OK: all ${Object.keys(Invariants).length} invariants hold`);
  } else {
    const counts = Object.entries(report.violationsByInvariant).map(([name, n]) => `${name} ${n}`);
    out.push(`FAILED: ${report.violationCount} violation(s): ${counts.join(', ')}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
