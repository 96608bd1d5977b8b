import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { verifyLedger, type VerifyReport } from '../../src/ledger/verify-ledger.js';
import { NOTIFYD_BIN } from '../helpers/child-daemon.js';
import { freePort } from '../helpers/free-port.js';
import { withLedger } from '../helpers/ledger-file.js';

export { freePort, withLedger };

/**
 * `notifyd start` as a child process (the built dist/) on a fixed port, so a
 * producer keeps one address across kill -9 and restart. Readiness is the
 * real /healthz answering, so the daemon can log at `warn` (no per-request
 * lines to carry through a pipe at thousands of requests a second).
 */
export interface ChaosDaemon {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly url: string;
  /** The last lines it logged (bounded). */
  readonly logs: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Peak resident set (VmHWM) so far, in MiB; null once it has exited. */
  peakRssMiB(): number | null;
  kill(signal: NodeJS.Signals): void;
}

const LOG_LINES_KEPT = 300;

export async function startChaosDaemon(options: {
  configPath: string;
  config: Record<string, unknown>;
  port: number;
  args?: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
  /** For a worker (no API): resolve when a log line matches this instead of /healthz answering. */
  readyLine?: RegExp;
}): Promise<ChaosDaemon> {
  writeFileSync(options.configPath, JSON.stringify(options.config, null, 2));
  const child = spawn(process.execPath, [NOTIFYD_BIN, 'start', '-c', options.configPath, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let readyLineSeen = false;
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      logs.push(line);
      if (logs.length > LOG_LINES_KEPT) logs.shift();
      if (options.readyLine?.test(line)) readyLineSeen = true;
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null; at: number } | null = null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve((exitInfo = { code, signal, at: Date.now() }))),
  );
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    if (exitInfo !== null) {
      throw new Error(`daemon exited during start-up (${JSON.stringify(exitInfo)}):\n${logs.join('\n')}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`daemon not ready in time:\n${logs.join('\n')}`);
    }
    if (options.readyLine) {
      if (readyLineSeen) break;
    } else {
      try {
        const response = await fetch(`${url}/healthz`);
        if (response.ok) break;
      } catch {
        // not listening yet
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = child.pid!;
  return {
    process: child,
    pid,
    url,
    logs,
    exited,
    peakRssMiB: () => (exitInfo === null ? peakRssMiB(pid) : null),
    kill: (signal) => void child.kill(signal),
  };
}

/** VmHWM of a live process, in MiB (Linux). */
export function peakRssMiB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Runs `fn` over a read-only connection to the ledger, as an operator's script would. */
export interface StatusCounts {
  pending: number;
  delivered: number;
  dead: number;
  cancelled: number;
  /** Rows holding a lease (attempts in flight, or left behind by a crash). */
  leased: number;
}

export function statusCounts(path: string): StatusCounts {
  return withLedger(path, (db) => {
    const counts: StatusCounts = { pending: 0, delivered: 0, dead: 0, cancelled: 0, leased: 0 };
    for (const row of db.prepare('SELECT status, count(*) AS n FROM notifications GROUP BY status').all() as Array<{ status: Exclude<keyof StatusCounts, 'leased'>; n: number }>) {
      counts[row.status] = row.n;
    }
    counts.leased = (db.prepare('SELECT count(*) AS n FROM notifications WHERE lease_until IS NOT NULL').get() as { n: number }).n;
    return counts;
  });
}

export function verifyFile(path: string, options: Parameters<typeof verifyLedger>[1] = {}): VerifyReport {
  return withLedger(path, (db) => verifyLedger(db, options));
}

/** `notifyd verify` itself (the CLI the README tells operators to run): exit code and output. */
export function verifyCli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [NOTIFYD_BIN, 'verify', ...args], { encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Polls until `done()` holds; throws with `describe()` when `timeoutMs` passes. */
export async function waitUntil(done: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** One line for the README's Reliability table, appended to NOTIFYD_CHAOS_REPORT when set, always printed. */
export function report(line: Record<string, unknown>): void {
  const text = JSON.stringify(line);
  console.log(`CHAOS ${text}`);
  const file = process.env.NOTIFYD_CHAOS_REPORT;
  if (file) writeFileSync(file, `${text}\n`, { flag: 'a' });
}
