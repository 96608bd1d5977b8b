import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseDuration } from '../../domain/duration.js';
import { ApiError, type NotifydClient } from '../client.js';
import { runClientCommand, type ClientFlags } from '../client-command.js';
import { fail, printJson, printTable } from '../output.js';
import { parseInteger, withClientOptions } from '../options.js';
import { replayAllDeadLetters } from './ops-commands.js';

type View = Record<string, unknown> & { id: string; history?: Array<Record<string, unknown>> };

/** "2h" → that long ago, or an ISO-8601 time as is. */
export function toIsoTime(value: string, flag: string): string {
  if (/^\d/.test(value) && /[a-z]$/.test(value)) {
    try {
      return new Date(Date.now() - parseDuration(value, flag)).toISOString();
    } catch {
      // fall through to a date
    }
  }
  const at = Date.parse(value);
  if (Number.isNaN(at)) fail(`${flag}: "${value}" is neither a duration (2h, 30m) nor an ISO-8601 time`, 2);
  return new Date(at).toISOString();
}

function readBody(value: string): unknown {
  const text = value.startsWith('@') ? readFileSync(value.slice(1), 'utf8') : value;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : text;
  } catch {
    return text;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function printNotification(view: View): void {
  const { history, ...fields } = view;
  for (const [key, value] of Object.entries(fields)) {
    process.stdout.write(`${key.padEnd(16)}${value === null ? '-' : typeof value === 'object' ? JSON.stringify(value) : String(value)}\n`);
  }
  if (history) {
    process.stdout.write('\nhistory:\n');
    printTable(history, ['n', 'at', 'durationMs', 'statusCode', 'outcome', 'error']);
  }
}

export function registerClientCommands(program: Command): void {
  withClientOptions(
    program
      .command('enqueue')
      .description('hand a notification to the daemon (prints its id)')
      .requiredOption('--url <url>', 'receiver URL')
      .requiredOption('--body <body>', 'JSON object, a string, or @file')
      .option('--content-type <type>', 'content type (default: application/json for objects)')
      .option('--header <name=value>', 'extra header (repeatable)', collect, [])
      .option('--key <idempotencyKey>', "the producer's unique serial number; makes retries safe")
      .option('--schedule <preset|delays>', 'alipay, wechatpay, exponential, or delays like 15s,4m,2h')
      .option('--success-body <text>', 'body the receiver must answer (default "success")')
      .option('--status-only', 'any 2xx is a success, whatever the body')
      .option('--timeout <ms>', 'per-attempt timeout', parseInteger('--timeout'))
      .option('--metadata <json>', 'JSON object kept with the notification'),
  ).action(
    runClientCommand(async (client, flags: ClientFlags & Record<string, any>) => {
      const request: Record<string, unknown> = { url: flags.url, body: readBody(flags.body) };
      if (flags.contentType) request.contentType = flags.contentType;
      if (flags.header.length > 0) {
        request.headers = Object.fromEntries(
          (flags.header as string[]).map((h) => {
            const at = h.indexOf('=');
            if (at <= 0) fail(`--header: "${h}" is not name=value`, 2);
            return [h.slice(0, at), h.slice(at + 1)];
          }),
        );
      }
      if (flags.key) request.idempotencyKey = flags.key;
      if (flags.schedule) request.schedule = flags.schedule.includes(',') || /\d/.test(flags.schedule) ? flags.schedule.split(',') : flags.schedule;
      if (flags.statusOnly) request.success = { status: '2xx', body: null };
      else if (flags.successBody !== undefined) request.success = { status: '2xx', body: flags.successBody };
      if (flags.timeout !== undefined) request.timeoutMs = flags.timeout;
      if (flags.metadata) request.metadata = JSON.parse(flags.metadata);
      const { status, data } = await client.request<View>('POST', 'v1/notifications', request);
      if (flags.json) return printJson(data);
      process.stdout.write(`${data.id}  ${status === 200 ? 'existing (same idempotency key)' : 'accepted'}  status=${String(data.status)}\n`);
    }),
  );

  withClientOptions(program.command('status <id>').description('a notification with its full attempt history')).action(
    runClientCommand(async (client, flags, id: string) => {
      const { data } = await client.request<View>('GET', `v1/notifications/${encodeURIComponent(id)}`);
      if (flags.json) printJson(data);
      else printNotification(data);
    }),
  );

  withClientOptions(
    program
      .command('list')
      .description('notifications, newest first')
      .option('--status <status>', 'pending, delivered, dead or cancelled')
      .option('--limit <n>', 'how many', parseInteger('--limit'), 50),
  ).action(
    runClientCommand(async (client, flags: ClientFlags & { status?: string; limit: number }) => {
      const query = new URLSearchParams({ limit: String(flags.limit) });
      if (flags.status) query.set('status', flags.status);
      const { data } = await client.request<{ items: View[]; nextCursor: string | null }>('GET', `v1/notifications?${query}`);
      if (flags.json) return printJson(data);
      printTable(data.items, ['id', 'status', 'attempts', 'url', 'nextAttemptAt', 'lastError']);
    }),
  );

  const dlq = program.command('dlq').description('the dead-letter queue');
  withClientOptions(
    dlq
      .command('list')
      .description('dead notifications, most recent first')
      .option('--limit <n>', 'how many', parseInteger('--limit'), 50)
      .option('--since <when>', 'died after (2h, or ISO-8601)')
      .option('--until <when>', 'died before (2h, or ISO-8601)')
      .option('--host <host>', 'only this receiver host')
      .option('--last-error <text>', 'only those whose last error contains this (ECONNREFUSED, "HTTP 500")'),
  ).action(
    runClientCommand(async (client, flags: ClientFlags & { limit: number; since?: string; until?: string; host?: string; lastError?: string }) => {
      const query = new URLSearchParams({ limit: String(flags.limit) });
      if (flags.since) query.set('since', toIsoTime(flags.since, '--since'));
      if (flags.until) query.set('until', toIsoTime(flags.until, '--until'));
      if (flags.host) query.set('host', flags.host);
      if (flags.lastError) query.set('lastError', flags.lastError);
      const { data } = await client.request<{ items: View[]; nextCursor: string | null }>('GET', `v1/dead-letters?${query}`);
      if (flags.json) return printJson(data);
      printTable(data.items, ['id', 'deadAt', 'attempts', 'url', 'lastError']);
    }),
  );

  withClientOptions(
    dlq
      .command('replay [ids...]')
      .description('put dead notifications back on their schedule (by id, or --all matching the filters)')
      .option('--all', 'replay every dead letter matching --since/--until/--host/--url-prefix')
      .option('--since <when>', 'died after (2h, or ISO-8601)')
      .option('--until <when>', 'died before (2h, or ISO-8601)')
      .option('--host <host>', 'only this receiver host')
      .option('--url-prefix <prefix>', 'only URLs starting with this')
      .option('--last-error <text>', 'only those whose last error contains this (ECONNREFUSED, "HTTP 500")')
      .option('--batch-size <n>', 'with --all: dead letters replayed per request', parseInteger('--batch-size'), 250)
      .option('--force', 'with ids: also replay delivered notifications'),
  ).action(
    runClientCommand(async (client, flags: ClientFlags & Record<string, any>, ids: string[]) => {
      if (flags.all && ids.length > 0) fail('give ids or --all, not both', 2);
      if (!flags.all && ids.length === 0) fail('give the ids to replay, or --all', 2);
      if (flags.all) {
        const filter: Record<string, string> = {};
        if (flags.since) filter.since = toIsoTime(flags.since, '--since');
        if (flags.until) filter.until = toIsoTime(flags.until, '--until');
        if (flags.host) filter.host = flags.host;
        if (flags.urlPrefix) filter.urlPrefix = flags.urlPrefix;
        if (flags.lastError) filter.lastError = flags.lastError;
        await replayAllDeadLetters(client, filter, { json: flags.json === true, batchSize: flags.batchSize });
        return;
      }
      await actOnEach(client, ids, 'replay', flags.force ? { force: true } : {}, flags.json === true, 'replayed');
    }),
  );

  withClientOptions(
    program
      .command('retry-now [ids...]')
      .description('attempt pending notifications now instead of at their next scheduled time (by id, or --host)')
      .option('--host <host>', 'every pending notification to this receiver host (as stored: with the port unless default)'),
  ).action(
    runClientCommand(async (client, flags: ClientFlags & { host?: string }, ids: string[]) => {
      if (flags.host && ids.length > 0) fail('give ids or --host, not both', 2);
      if (!flags.host && ids.length === 0) fail('give the ids to retry now, or --host', 2);
      if (flags.host) {
        const { data } = await client.request<{ rescheduled: number }>('POST', 'v1/notifications/retry-now', { host: flags.host });
        if (flags.json) return printJson(data);
        process.stdout.write(`${data.rescheduled.toLocaleString('en-US')} pending notification(s) to ${flags.host} due now\n`);
        return;
      }
      await actOnEach(client, ids, 'retry-now', {}, flags.json === true, 'retried');
    }),
  );
}

/**
 * POSTs `/v1/notifications/:id/<action>` for each id, going on past refusals
 * (one line each, exit 1 at the end if any); an unreachable daemon stops it.
 */
async function actOnEach(
  client: NotifydClient,
  ids: readonly string[],
  action: 'replay' | 'retry-now',
  body: Record<string, unknown>,
  json: boolean,
  doneKey: string,
): Promise<void> {
  const results: Array<{ id: string; status: string }> = [];
  let failed = 0;
  for (const id of ids) {
    try {
      const { data } = await client.request<View>('POST', `v1/notifications/${encodeURIComponent(id)}/${action}`, body);
      results.push({ id, status: String(data.status) });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status === 0) throw error;
      failed += 1;
      results.push({ id, status: `error ${error.code}: ${error.message}` });
    }
  }
  if (json) printJson({ [doneKey]: results.length - failed, failed, results });
  else for (const r of results) process.stdout.write(`${r.id}  ${r.status}\n`);
  if (failed > 0) process.exit(1);
}
