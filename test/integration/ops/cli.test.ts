import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTIFYD_BIN } from '../../helpers/child-daemon.js';
import { TestReceiver } from '../../helpers/receiver.js';
import { tempDir } from '../../helpers/temp.js';
import { TOKENS, startOpsDaemon, until, type OpsDaemon } from './ops-fixture.js';

/** Runs the built CLI (bin/notifyd → dist/) against the daemon, as an operator would. */
function cli(d: OpsDaemon, args: string[], token: string = TOKENS.admin): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run(d, process.execPath, [NOTIFYD_BIN, ...args], token);
}

/** Never spawnSync here: the daemon runs in this process and must keep answering. */
function run(d: OpsDaemon, file: string, args: string[], token: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      env: { ...process.env, NOTIFYD_SERVER: d.url, NOTIFYD_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;

let d: OpsDaemon;
let merchantA: TestReceiver;
let merchantB: TestReceiver;
let hostA: string;
let hostB: string;
const down = { a: true, b: true };
const dir = tempDir('notifyd-cli-');

async function deadCount(query: string): Promise<number> {
  return (await d.api('GET', `/v1/dead-letters/count?${query}`)).body.count as number;
}

beforeAll(async () => {
  merchantA = await TestReceiver.start(() => (down.a ? { status: 500, body: 'maintenance' } : { status: 200, body: 'success' }));
  // B answers 200 with a body that is not "success", with a comma and quotes in it (CSV quoting).
  merchantB = await TestReceiver.start(() => (down.b ? { status: 200, body: 'no, "later"' } : { status: 200, body: 'success' }));
  hostA = `127.0.0.1:${merchantA.port}`;
  hostB = `127.0.0.1:${merchantB.port}`;
  d = await startOpsDaemon({ delivery: { concurrency: 256, perHostConcurrency: 128 }, log: { level: 'info' } });
  // 1,000 dead letters on A (a merchant that was down), 50 on B.
  for (let batch = 0; batch < 10; batch++) {
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        d.enqueue({ url: merchantA.url(`/notify/${batch * 100 + i}`), body: { order: batch * 100 + i }, schedule: [] }),
      ),
    );
  }
  await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      d.enqueue({ url: merchantB.url('/notify'), body: { order: i }, schedule: [], idempotencyKey: i === 0 ? '=HYPERLINK("x")' : `b-${i}` }),
    ),
  );
  await until(async () => (await deadCount(`host=${hostA}`)) === 1000 && (await deadCount(`host=${hostB}`)) === 50, 60_000, '1,050 dead letters');
}, 120_000);

afterAll(async () => {
  await d?.close();
  await merchantA?.close();
  await merchantB?.close();
  dir.cleanup();
});

describe('notifyd dlq export', () => {
  it('writes JSON lines, one dead letter each, through every page', async () => {
    const res = await cli(d, ['dlq', 'export', '--host', hostA]);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1000);
    const items = lines.map((line) => JSON.parse(line) as { id: string; status: string; host: string });
    expect(new Set(items.map((i) => i.id)).size).toBe(1000);
    expect(items.every((i) => i.status === 'dead' && i.host === hostA)).toBe(true);
  });

  it('writes CSV with quoting, and a formula-looking cell defused, to a file', async () => {
    const file = dir.file('dlq.csv');
    const res = await cli(d, ['dlq', 'export', '--format', 'csv', '--host', hostB, '--output', file]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(`exported 50 dead letter(s) to ${file}`);
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(file, 'utf8');
    const rows = text.trimEnd().split('\r\n');
    expect(rows[0]).toBe('id,status,deadAt,deadReason,host,url,attempts,lastError,idempotencyKey,replays,createdAt,metadata');
    expect(rows).toHaveLength(51);
    // The last error holds a comma and quotes: one quoted field, quotes doubled.
    expect(rows[1]).toContain('"body did not match: expected ""success"", got ""no, \\""later\\""""",');
    expect(text).toContain(`'=HYPERLINK(""x"")`);
  });

  it('refuses an unknown format', async () => {
    const res = await cli(d, ['dlq', 'export', '--format', 'xml']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--format: use jsonl or csv');
  });
});

describe('notifyd dlq replay --all', () => {
  it('needs the ops scope (a reader may count, not replay)', async () => {
    const res = await cli(d, ['dlq', 'replay', '--all'], TOKENS.reader);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('stopped after replaying 0 of 1050');
    expect(res.stderr).toMatch(/forbidden: token "reader" lacks the "ops" scope/);
    expect(await deadCount('')).toBe(1050);
  });

  it('replays 1,000 dead letters of one host in batches, with plain progress lines off a terminal and a summary; other hosts untouched', async () => {
    down.a = false;
    const res = await cli(d, ['dlq', 'replay', '--all', '--since', '2h', '--host', hostA, '--batch-size', '100']);
    expect(res.code, res.stderr).toBe(0);
    const progress = res.stderr.trimEnd().split('\n');
    expect(progress).toEqual(Array.from({ length: 10 }, (_, i) => `replayed ${(i + 1) * 100}/1000`));
    expect(res.stdout).toMatch(new RegExp(`^replayed 1000 of 1000 dead letter\\(s\\) matching since=\\S+ host=${hostA.replace(/\./g, '\\.')} in \\d+\\.\\d s \\(10 batches\\)\\n$`));

    expect(await deadCount(`host=${hostA}`)).toBe(0);
    expect(await deadCount(`host=${hostB}`)).toBe(50);
    // Every one of them is delivered again, once.
    await until(async () => (await d.api('GET', '/v1/stats')).body.delivered === 1000, 60_000, 'all 1,000 delivered');
    const attemptsPerOrder = new Map<string, number>();
    for (const r of merchantA.requests) attemptsPerOrder.set(r.path, (attemptsPerOrder.get(r.path) ?? 0) + 1);
    expect(attemptsPerOrder.size).toBe(1000);
    expect([...attemptsPerOrder.values()].every((n) => n === 2)).toBe(true);
  });

  it('shows a progress bar on a terminal, and prints JSON for scripts', async () => {
    down.b = false;
    if (HAS_SCRIPT) {
      // util-linux `script` gives the CLI a pseudo-terminal, as an operator's shell would.
      const command = [process.execPath, NOTIFYD_BIN, 'dlq', 'replay', '--all', '--host', hostB, '--batch-size', '10']
        .map((arg) => `'${arg}'`)
        .join(' ');
      const tty = await run(d, 'script', ['-qec', command, '/dev/null'], TOKENS.admin);
      expect(tty.code, tty.stdout + tty.stderr).toBe(0);
      expect(tty.stdout).toMatch(/replaying \|[█░]+\| \d+\/50 dead letters/);
      expect(tty.stdout).toContain('50/50');
      expect(tty.stdout).toContain('replayed 50 of 50 dead letter(s)');
    } else {
      console.warn('`script` (util-linux) is not installed: the progress-bar check on a pseudo-terminal is skipped');
      const res = await cli(d, ['dlq', 'replay', '--all', '--host', hostB]);
      expect(res.code, res.stderr).toBe(0);
    }
    await until(async () => (await deadCount(`host=${hostB}`)) === 0, 30_000, 'B replayed');

    const json = await cli(d, ['dlq', 'replay', '--all', '--host', hostB, '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toMatchObject({ matched: 0, replayed: 0, filter: { host: hostB } });
  });

});

describe('notifyd stats', () => {
  it('prints the headline numbers, and JSON with --json', async () => {
    await until(async () => (await d.api('GET', '/v1/stats')).body.delivered === 1050, 60_000, 'all delivered');
    // The ledger counts are cached for a few seconds; wait for a fresh one.
    await until(async () => JSON.parse((await cli(d, ['stats', '--json'], TOKENS.reader)).stdout).delivered === 1050, 20_000, 'fresh counts');
    const json = JSON.parse((await cli(d, ['stats', '--json'], TOKENS.reader)).stdout);
    expect(json).toMatchObject({ pending: 0, inFlight: 0, delivered: 1050, dead: 0, cancelled: 0, oldestPendingAgeSeconds: null });
    expect(json.lastHour).toMatchObject({ delivered: 1050, dead: 1050 });
    const text = await cli(d, ['stats'], TOKENS.reader);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^pending\s+0\n/);
    expect(text.stdout).toMatch(/\ndelivered\s+1,050\s+1,050 since the daemon started at /);
    expect(text.stdout).toMatch(/\ndead\s+0\s+1,050 since the daemon started at /);
  });
});

describe('notifyd retry-now', () => {
  it('moves pending notifications of a host (or by id) to now; needs the ops scope', async () => {
    // Merchant C answers 503 first, then comes back; its notifications wait an hour for their retry.
    let back = false;
    const merchantC = await TestReceiver.start(() => (back ? { status: 200, body: 'success' } : { status: 503, body: 'down' }));
    try {
      const hostC = `127.0.0.1:${merchantC.port}`;
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) ids.push(await d.enqueue({ url: merchantC.url('/notify'), body: { i }, schedule: ['1h'] }));
      await merchantC.waitFor((reqs) => reqs.length >= 5);
      await until(async () => (await d.api('GET', `/v1/notifications/${ids[4]}`)).body.attempts === 1, 10_000, 'first attempts recorded');
      back = true;

      const refused = await cli(d, ['retry-now', '--host', hostC], TOKENS.reader);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/forbidden|scope/i);

      const one = await cli(d, ['retry-now', ids[0]!]);
      expect(one.code, one.stderr).toBe(0);
      expect(one.stdout).toBe(`${ids[0]}  pending\n`);
      await until(async () => (await d.api('GET', `/v1/notifications/${ids[0]}`)).body.status === 'delivered', 10_000, 'the one delivered');

      const rest = await cli(d, ['retry-now', '--host', hostC, '--json']);
      expect(rest.code, rest.stderr).toBe(0);
      expect(JSON.parse(rest.stdout)).toEqual({ rescheduled: 4 });
      for (const id of ids) await until(async () => (await d.api('GET', `/v1/notifications/${id}`)).body.status === 'delivered', 10_000, `${id} delivered`);
      expect(merchantC.requests).toHaveLength(10); // each: the first 503, then one success
    } finally {
      await merchantC.close();
    }
  });
});
