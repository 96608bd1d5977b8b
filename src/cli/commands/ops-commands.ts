import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { NotifydClient } from '../client.js';
import type { HeadlineStats } from '../../ops/headline-stats.js';
import { runClientCommand, type ClientFlags } from '../client-command.js';
import { fail, printJson } from '../output.js';
import { withClientOptions } from '../options.js';

/**
 * Operator commands: bulk replay with progress (`dlq replay --all`, wired in
 * client-commands.ts), `dlq export`, `stats`, and `openapi`.
 */

type DeadLetterView = Record<string, unknown> & { id: string };

interface CountAnswer {
  count: number;
  since: string | null;
  until: string | null;
  asOf: string;
}

function describeFilter(filter: Record<string, string>): string {
  const parts = Object.entries(filter).map(([key, value]) => `${key}=${value}`);
  return parts.length > 0 ? parts.join(' ') : 'no filter';
}

function queryString(params: Record<string, string | number | null | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== null && value !== undefined) query.set(key, String(value));
  const text = query.toString();
  return text ? `?${text}` : '';
}

/** Reports bulk-replay progress: a bar on a terminal, a plain line per batch otherwise (logs, CI, pipes). */
interface Progress {
  update(done: number): void;
  stop(): void;
}

function progressReporter(total: number, quiet: boolean): Progress {
  if (quiet) return { update: () => {}, stop: () => {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: 'replaying |{bar}| {value}/{total} dead letters · {percentage}% · {eta_formatted} left',
        hideCursor: true,
        etaBuffer: 20,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (done) => bar.update(Math.min(done, total)), stop: () => bar.stop() };
  }
  return {
    update: (done) => process.stderr.write(`replayed ${done}/${total}\n`),
    stop: () => {},
  };
}

/**
 * `dlq replay --all`: counts what matches, then replays it in batches of
 * `batchSize`, so the progress shown is real work done. Every batch carries
 * the same resolved time bounds, ending at the moment of the count: what was
 * counted is what is replayed, and a notification that dies again during the
 * run (its receiver still down) is not picked up a second time.
 */
export async function replayAllDeadLetters(
  client: NotifydClient,
  filter: Record<string, string>,
  options: { json: boolean; batchSize: number },
): Promise<void> {
  const started = Date.now();
  const { data: counted } = await client.request<CountAnswer>('GET', `v1/dead-letters/count${queryString(filter)}`);
  const total = counted.count;
  const request: Record<string, string | number> = { ...filter, limit: options.batchSize };
  if (counted.since !== null) request.since = counted.since;
  request.until = counted.until ?? new Date(Date.parse(counted.asOf) + 1).toISOString();

  const progress = progressReporter(total, options.json || total === 0);
  let replayed = 0;
  let batches = 0;
  try {
    while (replayed < total) {
      const { data } = await client.request<{ replayed: number }>('POST', 'v1/dead-letters/replay', request);
      batches += 1;
      replayed += data.replayed;
      progress.update(replayed);
      if (data.replayed === 0) break;
    }
  } catch (error) {
    progress.stop();
    process.stderr.write(`notifyd: stopped after replaying ${replayed} of ${total}\n`);
    throw error;
  }
  progress.stop();

  const seconds = (Date.now() - started) / 1000;
  const summary = { matched: total, replayed, batches, seconds: Math.round(seconds * 10) / 10, filter };
  if (options.json) return printJson(summary);
  if (total === 0) {
    process.stdout.write(`no dead letters match (${describeFilter(filter)})\n`);
    return;
  }
  const gone = total - replayed;
  process.stdout.write(
    `replayed ${replayed} of ${total} dead letter(s) matching ${describeFilter(filter)} in ${seconds.toFixed(1)} s (${batches} batch${batches === 1 ? '' : 'es'})` +
      (gone > 0 ? `; ${gone} were no longer dead (replayed or changed meanwhile)` : '') +
      '\n',
  );
}

const CSV_COLUMNS = [
  'id', 'status', 'deadAt', 'deadReason', 'host', 'url', 'attempts', 'lastError', 'idempotencyKey', 'replays', 'createdAt', 'metadata',
] as const;

/**
 * One CSV field (RFC 4180 quoting). A text cell starting with = + - @ or a
 * tab is prefixed with ' so a spreadsheet shows it instead of evaluating it
 * (OWASP's advice on CSV injection): keys and errors come from producers and
 * receivers. The JSONL export is the unaltered one.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

export function registerOpsCommands(program: Command): void {
  const dlq = program.commands.find((c) => c.name() === 'dlq');
  if (dlq === undefined) throw new Error('the dlq command must be registered before the ops commands');

  withClientOptions(
    dlq
      .command('export')
      .description('write the dead letters matching the filters as JSON lines or CSV (most recent first)')
      .option('--format <format>', 'jsonl or csv', 'jsonl')
      .option('--since <when>', 'died after (2h, or ISO-8601)')
      .option('--until <when>', 'died before (2h, or ISO-8601)')
      .option('--host <host>', 'only this receiver host')
      .option('--url-prefix <prefix>', 'only URLs starting with this')
      .option('--last-error <text>', 'only those whose last error contains this')
      .option('-o, --output <file>', 'write to this file instead of stdout'),
  ).action(
    runClientCommand(async (client, flags: ClientFlags & Record<string, any>) => {
      const format = String(flags.format);
      if (format !== 'jsonl' && format !== 'csv') fail('--format: use jsonl or csv', 2);
      const filter: Record<string, string> = {};
      // The API reads durations ("2h") itself, relative to its own clock.
      for (const key of ['since', 'until', 'host', 'urlPrefix', 'lastError'] as const) if (flags[key]) filter[key] = String(flags[key]);
      const out: Writable = flags.output ? createWriteStream(String(flags.output)) : process.stdout;
      if (format === 'csv') await write(out, `${CSV_COLUMNS.join(',')}\r\n`);
      let cursor: string | null = null;
      let exported = 0;
      do {
        const { data }: { data: { items: DeadLetterView[]; nextCursor: string | null } } = await client.request(
          'GET',
          `v1/dead-letters${queryString({ ...filter, limit: 1000, cursor })}`,
        );
        for (const item of data.items) {
          await write(out, format === 'csv' ? `${CSV_COLUMNS.map((c) => csvField(item[c])).join(',')}\r\n` : `${JSON.stringify(item)}\n`);
        }
        exported += data.items.length;
        cursor = data.nextCursor;
      } while (cursor !== null);
      if (flags.output) {
        out.end();
        await once(out, 'finish');
        process.stderr.write(`exported ${exported} dead letter(s) to ${String(flags.output)}\n`);
      }
    }),
  );

  withClientOptions(program.command('stats').description('the headline numbers: pending, in flight, delivered and dead (last hour too)')).action(
    runClientCommand(async (client, flags) => {
      const { data } = await client.request<HeadlineStats>('GET', 'v1/stats');
      if (flags.json) return printJson(data);
      const n = (value: number) => value.toLocaleString('en-US').padStart(12);
      const hour = data.lastHour;
      const window =
        hour?.since && Date.now() - Date.parse(hour.since) < 3_590_000 ? `since the daemon started at ${hour.since}` : 'in the last hour';
      const lines = [
        `pending     ${n(data.pending)}${data.oldestPendingAgeSeconds === null ? '' : `   oldest waiting ${formatAge(data.oldestPendingAgeSeconds)}`}`,
        `in flight   ${n(data.inFlight)}`,
        `delivered   ${n(data.delivered)}${hour ? `   ${hour.delivered.toLocaleString('en-US')} ${window}` : ''}`,
        `dead        ${n(data.dead)}${hour ? `   ${hour.dead.toLocaleString('en-US')} ${window}` : ''}`,
        `cancelled   ${n(data.cancelled)}`,
        ...(data.pausedHosts.length === 0
          ? []
          : [
              `paused receiver hosts (refusing connections; no attempts until a probe gets an answer):`,
              ...data.pausedHosts.map(
                (p) => `  ${p.host}   since ${p.since}, ${p.failures.toLocaleString('en-US')} failures in a row, next probe ${p.nextProbeAt}`,
              ),
            ]),
        `(ledger counted at ${data.countedAt})`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }),
  );

  program
    .command('openapi')
    .description("print the API's OpenAPI 3.1 document (no daemon needed; the daemon also serves it at /openapi.json)")
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (options: { output?: string }) => {
      // Loaded on demand: the rest of the CLI does not need fastify and the ledger.
      const { openApiDocument } = await import('../../api/openapi-document.js');
      const text = `${JSON.stringify(await openApiDocument(), null, 2)}\n`;
      if (options.output) {
        const { writeFileSync } = await import('node:fs');
        writeFileSync(options.output, text);
      } else process.stdout.write(text);
    });
}

function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}
