import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttemptOutcome } from '../../src/domain/outcome.js';
import { tempDir } from '../helpers/temp.js';
import { chaosSeed, FULL, seededRandom, size } from './chaos-size.js';
import { ChaosReceiver, type Behaviour } from './chaos-receiver.js';
import { freePort, report, startChaosDaemon, statusCounts, verifyCli, verifyFile, waitUntil, withLedger, type ChaosDaemon } from './chaos-daemon.js';
import { produce } from './producer.js';

/**
 * Guarantee 3 and 4 against a hostile receiver: for every POST it draws one
 * behaviour at random (500, 503 + Retry-After, 429 + Retry-After, 410, a
 * connection reset, a hang past the timeout, a body dripped slowly, 50 MB,
 * bytes that are not HTTP, `success` with odd whitespace or case…). Each
 * recorded attempt must be classified the way the domain's rules say for the
 * behaviour the receiver chose for it, each Retry-After must be honoured, the
 * statuses must follow (notifyd verify), and the daemon's peak RSS must stay
 * bounded whatever the bodies weigh.
 */

const NOTIFICATIONS = size(240, 3_000);
const TIMEOUT_MS = 1_500;
const DELAY = '300ms';
const RETRY_AFTER_S = 1;
const FIFTY_MB = 50 * 1024 * 1024;
const PEAK_RSS_LIMIT_MIB = 400;

interface Expectation {
  outcome: AttemptOutcome;
  statusCode?: number;
  /** The next attempt waits at least this long (Retry-After). */
  waitAtLeastMs?: number;
}

type Act = (res: ServerResponse, req: IncomingMessage) => ReturnType<Behaviour>;

// Allocated once, on first use, and written to every such request.
let bigX: Buffer | null = null;
let bigSuccess: Buffer | null = null;

function drip(res: ServerResponse, text: string, everyMs: number, forever: boolean): 'handled' {
  res.writeHead(200, { 'content-type': 'text/plain' });
  let i = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    if (i < text.length) res.write(text[i++]!);
    else if (forever) res.write(' ');
    else {
      clearInterval(timer);
      res.end();
    }
  }, everyMs);
  res.once('close', () => clearInterval(timer));
  return 'handled';
}

/** What the receiver may do, and what the domain says each one is. */
const BEHAVIOURS: Record<string, { act: Act; expect: Expectation }> = {
  success: { act: () => ({ status: 200, body: 'success' }), expect: { outcome: 'success', statusCode: 200 } },
  successPadded: { act: () => ({ status: 200, body: '  success \r\n' }), expect: { outcome: 'success', statusCode: 200 } },
  successTabbed: { act: () => ({ status: 201, body: '\tsuccess\n\n' }), expect: { outcome: 'success', statusCode: 201 } },
  upperCase: { act: () => ({ status: 200, body: 'SUCCESS' }), expect: { outcome: 'rejected', statusCode: 200 } },
  titleCase: { act: () => ({ status: 200, body: 'Success' }), expect: { outcome: 'rejected', statusCode: 200 } },
  innerSpace: { act: () => ({ status: 200, body: 'suc cess' }), expect: { outcome: 'rejected', statusCode: 200 } },
  json: { act: () => ({ status: 200, body: '{"code":"SUCCESS"}' }), expect: { outcome: 'rejected', statusCode: 200 } },
  e500: { act: () => ({ status: 500, body: 'oops' }), expect: { outcome: 'http_error', statusCode: 500 } },
  e503RetryAfter: {
    act: () => ({ status: 503, body: 'later', headers: { 'retry-after': String(RETRY_AFTER_S) } }),
    expect: { outcome: 'http_error', statusCode: 503, waitAtLeastMs: RETRY_AFTER_S * 1000 },
  },
  e429RetryAfter: {
    act: () => ({ status: 429, body: 'slow down', headers: { 'retry-after': String(RETRY_AFTER_S) } }),
    expect: { outcome: 'http_error', statusCode: 429, waitAtLeastMs: RETRY_AFTER_S * 1000 },
  },
  e410: { act: () => ({ status: 410, body: 'gone' }), expect: { outcome: 'http_error', statusCode: 410 } },
  redirect: { act: () => ({ status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } }), expect: { outcome: 'http_error', statusCode: 302 } },
  reset: {
    act: (_res, req) => {
      req.socket.resetAndDestroy();
      return 'handled';
    },
    expect: { outcome: 'network' },
  },
  hang: { act: () => 'handled', expect: { outcome: 'timeout' } },
  dripForever: { act: (res) => drip(res, 'success', 200, true), expect: { outcome: 'timeout' } },
  dripInTime: { act: (res) => drip(res, 'success', 60, false), expect: { outcome: 'success', statusCode: 200 } },
  fiftyMegabytes: {
    act: (res) => {
      bigX ??= Buffer.alloc(FIFTY_MB, 'x');
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(FIFTY_MB) });
      res.end(bigX);
      return 'handled';
    },
    // Read up to delivery.maxResponseBytes: 64 KiB of x is not "success".
    expect: { outcome: 'rejected', statusCode: 200 },
  },
  fiftyMegabytesOfSuccess: {
    act: (res) => {
      bigSuccess ??= Buffer.concat([Buffer.from('success'), Buffer.alloc(FIFTY_MB - 7, ' ')]);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(bigSuccess);
      return 'handled';
    },
    // The body as read (the first 64 KiB) trims to "success".
    expect: { outcome: 'success', statusCode: 200 },
  },
  notHttp: {
    act: (_res, req) => {
      req.socket.end('NOT HTTP AT ALL\r\n\r\n');
      return 'handled';
    },
    expect: { outcome: 'network' },
  },
  badContentLength: {
    act: (_res, req) => {
      req.socket.end('HTTP/1.1 200 OK\r\nContent-Length: seven\r\n\r\nsuccess');
      return 'handled';
    },
    expect: { outcome: 'network' },
  },
};
const NAMES = Object.keys(BEHAVIOURS);

describe('chaos: receiver chaos', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it(
    `${NOTIFICATIONS} notifications against a receiver that misbehaves at random: every outcome classified as the domain says`,
    async () => {
      const seed = chaosSeed();
      const random = seededRandom(seed);
      const chosen = new Map<string, string>(); // `${id}#${attempt}` → behaviour
      const receiver = await ChaosReceiver.start((seen, _n, res, req) => {
        const name = NAMES[Math.floor(random() * NAMES.length)]!;
        chosen.set(`${seen.id}#${seen.attempt}`, chosen.has(`${seen.id}#${seen.attempt}`) ? `${chosen.get(`${seen.id}#${seen.attempt}`)}|${name}` : name);
        return BEHAVIOURS[name]!.act(res, req);
      });
      cleanups.push(() => receiver.close());
      const dir = tempDir('notifyd-chaos-receiver-');
      const ledgerPath = dir.file('ledger.db');
      const port = await freePort();
      const config = {
        listen: { host: '127.0.0.1', port },
        ledger: { path: ledgerPath, synchronous: 'full' },
        security: { allowHosts: ['127.0.0.1/32'] },
        delivery: { concurrency: 64, perHostConcurrency: 64, timeoutMs: TIMEOUT_MS, leaseMarginMs: 2_000, maxResponseBytes: 65_536 },
        log: { level: 'error' },
      };
      const daemon: ChaosDaemon = await startChaosDaemon({ configPath: dir.file('config.json'), config, port });
      cleanups.push(() => daemon.kill('SIGKILL'));
      const started = Date.now();

      const { accepted } = await produce({
        url: () => daemon.url,
        count: NOTIFICATIONS,
        concurrency: 16,
        timeoutMs: 30_000,
        body: (i) => ({ url: receiver.url(), body: { seq: i }, idempotencyKey: `receiver-chaos-${seed}-${i}`, schedule: [DELAY, DELAY, DELAY] }),
      });
      let peakRss = 0;
      await waitUntil(
        () => {
          peakRss = Math.max(peakRss, daemon.peakRssMiB() ?? 0);
          return statusCounts(ledgerPath).pending === 0;
        },
        size(60_000, 300_000),
        () => JSON.stringify(statusCounts(ledgerPath)),
        250,
      );
      peakRss = Math.max(peakRss, daemon.peakRssMiB() ?? 0);
      const elapsed = (Date.now() - started) / 1000;
      daemon.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);

      // Each recorded attempt against what the receiver chose for it.
      const history = withLedger(ledgerPath, (db) =>
        db.prepare('SELECT notification_id AS id, n, at, duration_ms, outcome, status_code, error FROM attempts ORDER BY notification_id, n').all() as Array<{
          id: string;
          n: number;
          at: number;
          duration_ms: number;
          outcome: AttemptOutcome;
          status_code: number | null;
          error: string | null;
        }>,
      );
      const tally = new Map<string, number>();
      const problems: string[] = [];
      let unseen = 0;
      let late = 0;
      for (const [i, attempt] of history.entries()) {
        const name = chosen.get(`${attempt.id}#${attempt.n}`);
        if (name === undefined) {
          // Never reached the receiver's handler (a connection refused or cut before the request was read): only a network failure can say so.
          unseen += 1;
          if (attempt.outcome !== 'network') problems.push(`${attempt.id} #${attempt.n}: ${attempt.outcome}, but the receiver never saw it`);
          continue;
        }
        if (name.includes('|')) {
          problems.push(`${attempt.id} #${attempt.n}: POSTed more than once (${name}) with no crash`);
          continue;
        }
        tally.set(name, (tally.get(name) ?? 0) + 1);
        const expected = BEHAVIOURS[name]!.expect;
        if (attempt.outcome === 'timeout' && expected.outcome !== 'timeout' && attempt.duration_ms >= TIMEOUT_MS - 5) {
          // A prompt answer the daemon could not read within the timeout (a starved CPU in a busy test run) is a timeout, as the domain says.
          late += 1;
          continue;
        }
        if (attempt.outcome !== expected.outcome || (expected.statusCode !== undefined && attempt.status_code !== expected.statusCode)) {
          problems.push(`${attempt.id} #${attempt.n} (${name}): ${attempt.outcome} ${attempt.status_code ?? ''} ${attempt.error ?? ''}, expected ${expected.outcome} ${expected.statusCode ?? ''}`);
        }
        if ((expected.outcome === 'network' || expected.outcome === 'timeout') && !attempt.error) problems.push(`${attempt.id} #${attempt.n} (${name}): no error recorded`);
        const next = history[i + 1];
        if (expected.waitAtLeastMs !== undefined && next?.id === attempt.id) {
          const waited = next.at - (attempt.at + attempt.duration_ms);
          // ms rounding of the start time and the duration: a few ms of slack.
          if (waited < expected.waitAtLeastMs - 5) problems.push(`${attempt.id} #${attempt.n} (${name}): next attempt after ${waited} ms, Retry-After said ${expected.waitAtLeastMs}`);
        }
      }
      expect(problems.slice(0, 20), `${problems.length} attempt(s) misclassified`).toEqual([]);
      // Every behaviour was exercised (the run is large enough for that).
      expect(NAMES.filter((name) => !tally.has(name))).toEqual([]);
      expect(unseen + late).toBeLessThanOrEqual(Math.ceil(history.length / 100));

      // Statuses follow from those outcomes exactly as the domain decides (and every other invariant holds).
      const verified = verifyFile(ledgerPath, { stopped: true });
      expect(verified.violations).toEqual([]);
      const cli = verifyCli(['--db', ledgerPath]);
      expect(cli.code, cli.stdout + cli.stderr).toBe(0);
      const counts = statusCounts(ledgerPath);
      expect(counts.delivered + counts.dead).toBe(NOTIFICATIONS);
      expect(new Set(accepted.map((a) => a.id)).size).toBe(NOTIFICATIONS);
      const deadReasons = withLedger(ledgerPath, (db) =>
        Object.fromEntries((db.prepare("SELECT dead_reason AS r, count(*) AS n FROM notifications WHERE status = 'dead' GROUP BY dead_reason").all() as Array<{ r: string; n: number }>).map((row) => [row.r, row.n])),
      );
      expect(peakRss).toBeLessThan(PEAK_RSS_LIMIT_MIB);

      const behaviours = [...tally].sort((a, b) => a[0].localeCompare(b[0])).map(([name, n]) => `${name} ${n}`).join(', ');
      console.log(
        `receiver chaos (seed ${seed}): ${NOTIFICATIONS} notifications, ${history.length} attempts (${behaviours}; ${unseen} never reached the handler, ${late} prompt answers read too late); ` +
          `${counts.delivered} delivered, dead ${JSON.stringify(deadReasons)}; peak RSS ${peakRss} MiB; ${elapsed.toFixed(1)} s`,
      );
      report({
        scenario: 'receiver chaos',
        size: FULL ? 'full' : 'short',
        seed,
        notifications: NOTIFICATIONS,
        attempts: history.length,
        faults: `${NAMES.length} receiver behaviours at random per POST`,
        lost: 0,
        duplicates: 0,
        peakRssMiB: peakRss,
        verify: 'clean',
        seconds: Math.round(elapsed),
      });
      dir.cleanup();
    },
    size(90_000, 600_000),
  );
});
