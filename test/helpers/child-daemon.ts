import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const NOTIFYD_BIN = fileURLToPath(new URL('../../bin/notifyd', import.meta.url));

export interface ChildDaemon {
  process: ChildProcess;
  /** The API URL from the "notifyd started" log line (null for a worker). */
  url: string | null;
  /** Every log line so far. */
  logs: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * `notifyd start` as a real child process (the built dist/), for crash and
 * multi-process tests. Resolves once it logged "notifyd started" (or the
 * worker's ready line).
 */
export async function startChildDaemon(options: {
  configPath: string;
  config: unknown;
  args?: string[];
  env?: Record<string, string>;
  readyMessage?: RegExp;
  timeoutMs?: number;
}): Promise<ChildDaemon> {
  writeFileSync(options.configPath, JSON.stringify(options.config, null, 2));
  const child = spawn(process.execPath, [NOTIFYD_BIN, 'start', '-c', options.configPath, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = options.readyMessage ?? /notifyd started|worker started/;
  const url = await new Promise<string | null>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child daemon not ready in time; logs:\n${logs.join('\n')}`)), options.timeoutMs ?? 15_000);
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        logs.push(line);
        if (ready.test(line)) {
          clearTimeout(timer);
          try {
            resolve((JSON.parse(line) as { url?: string }).url ?? null);
          } catch {
            resolve(null);
          }
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`child daemon exited early (code ${code}, signal ${signal}); logs:\n${logs.join('\n')}`));
    });
  });
  return { process: child, url, logs, exited, kill: (signal = 'SIGTERM') => void child.kill(signal) };
}
