import type { FastifyInstance, FastifySchema } from 'fastify';
import { z } from 'zod';
import { ErrorCodes } from '../domain/errors.js';
import { AttemptOutcomes } from '../domain/outcome.js';
import { NotificationStatuses } from '../domain/notification-status.js';
import {
  BulkReplayBodySchema,
  CancelBodySchema,
  DeadLetterCountQuerySchema,
  DeadLetterQuerySchema,
  EnqueueBodySchema,
  IdParamsSchema,
  ListQuerySchema,
  ReplayBodySchema,
  RetryHostNowBodySchema,
  RetryNowBodySchema,
} from './schemas.js';

/**
 * The routes' JSON schemas, for the OpenAPI document only. Requests are
 * checked by the zod schemas in schemas.ts (the route handlers call
 * `parseWith`), so the request parts here are generated from those same zod
 * schemas and cannot drift from them; the responses are written out from the
 * views in notification-view.ts. Fastify neither validates nor serializes
 * with these (see openapi.ts).
 */

type JsonSchema = Record<string, unknown>;

/** A zod request schema as JSON Schema (2020-12, what OpenAPI 3.1 uses), with descriptions per property. */
function fromZod(schema: z.ZodType, descriptions: Record<string, string> = {}): JsonSchema {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const properties = json.properties as Record<string, JsonSchema> | undefined;
  if (properties) {
    for (const [name, description] of Object.entries(descriptions)) {
      if (properties[name]) properties[name] = { description, ...properties[name] };
    }
  }
  return json;
}

const ISO_TIME = { type: 'string', format: 'date-time' } as const;
const ISO_TIME_OR_NULL = { type: ['string', 'null'], format: 'date-time' } as const;
const ref = (id: string) => ({ $ref: `${id}#` });

const TIME_BOUND = 'An ISO-8601 time with an offset (2026-11-24T08:00:00Z), a date (its UTC midnight), or a duration meaning that long ago (2h, 30m, 7d).';
const FILTER_DESCRIPTIONS = {
  since: `Died at or after this. ${TIME_BOUND}`,
  until: `Died before this. ${TIME_BOUND}`,
  host: 'Only this receiver host[:port] (case-insensitive).',
  urlPrefix: 'Only URLs starting with this (compared literally).',
  lastError: 'Only dead letters whose last error contains this (ASCII case-insensitive): "ECONNREFUSED", "HTTP 500".',
};
const PAGE_DESCRIPTIONS = {
  limit: 'Page size, 1 to 1000 (default 50).',
  cursor: 'The `nextCursor` of the previous page.',
};

/** Shared schemas, added with `addSchema` so the document names them under components/schemas. */
const SHARED_SCHEMAS: JsonSchema[] = [
  {
    $id: 'Error',
    description: 'Every error answer.',
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', enum: Object.keys(ErrorCodes), description: 'Stable: match on this, not on the message.' },
          message: { type: 'string' },
          field: { type: 'string', description: 'The (dotted) field the error is about, when there is one.' },
        },
      },
    },
  },
  {
    $id: 'Attempt',
    description: 'One attempt in a notification history.',
    type: 'object',
    required: ['n', 'at', 'durationMs', 'statusCode', 'outcome', 'error', 'responseExcerpt'],
    properties: {
      n: { type: 'integer', minimum: 1, description: 'Attempt number over the whole life (replays continue it); also the notifyd-attempt header.' },
      at: ISO_TIME,
      durationMs: { type: 'integer', minimum: 0 },
      statusCode: { type: ['integer', 'null'], description: 'Null when no HTTP answer came (timeout, network, blocked).' },
      outcome: {
        type: 'string',
        enum: [...AttemptOutcomes],
        description: 'success; rejected (accepted status, wrong body); http_error; timeout; network; blocked (SSRF guard).',
      },
      error: { type: ['string', 'null'] },
      responseExcerpt: { type: ['string', 'null'], description: 'The first 1 KiB of the response body.' },
    },
  },
  {
    $id: 'NotificationSummary',
    description: 'A notification without its history (lists, replay and cancel answers).',
    type: 'object',
    required: [
      'id', 'status', 'url', 'host', 'idempotencyKey', 'attempts', 'nextAttemptAt', 'deliveredAt', 'deadAt', 'deadReason',
      'cancelledAt', 'lastError', 'replays', 'schedule', 'metadata', 'createdAt', 'updatedAt',
    ],
    properties: {
      id: { type: 'string', description: 'ntf_ + UUIDv7 (time-ordered); also the webhook-id header receivers dedupe on.' },
      status: { type: 'string', enum: [...NotificationStatuses] },
      url: { type: 'string' },
      host: { type: 'string', description: 'Lower-cased host[:port] of the URL.' },
      idempotencyKey: { type: ['string', 'null'] },
      attempts: { type: 'integer', minimum: 0 },
      nextAttemptAt: ISO_TIME_OR_NULL,
      deliveredAt: ISO_TIME_OR_NULL,
      deadAt: ISO_TIME_OR_NULL,
      deadReason: { type: ['string', 'null'], enum: ['exhausted', 'gone', 'blocked', null] },
      cancelledAt: ISO_TIME_OR_NULL,
      lastError: { type: ['string', 'null'] },
      replays: { type: 'integer', minimum: 0 },
      schedule: { type: 'array', items: { type: 'integer', minimum: 0 }, description: 'The waits between attempts, in ms.' },
      metadata: { type: ['object', 'null'], additionalProperties: true },
      createdAt: ISO_TIME,
      updatedAt: ISO_TIME,
    },
  },
  {
    $id: 'Notification',
    description: 'A notification with its full attempt history.',
    allOf: [
      ref('NotificationSummary'),
      {
        type: 'object',
        required: ['history'],
        properties: { history: { type: 'array', items: ref('Attempt') } },
      },
    ],
  },
  {
    $id: 'NotificationPage',
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: {
      items: { type: 'array', items: ref('NotificationSummary') },
      nextCursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; null on the last.' },
    },
  },
  {
    $id: 'Enqueued',
    type: 'object',
    required: ['id', 'status', 'nextAttemptAt', 'createdAt'],
    properties: {
      id: { type: 'string' },
      status: { type: 'string', enum: [...NotificationStatuses] },
      nextAttemptAt: ISO_TIME_OR_NULL,
      createdAt: ISO_TIME,
    },
  },
];

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed JSON or an invalid field (named in `error.field`).',
  401: 'No token, or an unknown one.',
  403: 'The token lacks the scope this route needs.',
  404: 'Unknown id.',
  409: 'Idempotency conflict, or a transition the status does not allow.',
  413: 'The body is over limits.maxBodyBytes.',
  415: 'The body is not application/json.',
  422: 'Well-formed but refused (a blocked destination, an unknown schedule preset).',
  429: 'Rate limited (see Retry-After).',
  503: 'The ledger (or Redis) is unavailable, or the daemon is shutting down.',
};

function errors(...codes: number[]): Record<string, JsonSchema> {
  return Object.fromEntries(codes.map((code) => [String(code), { description: ERROR_DESCRIPTIONS[code], ...ref('Error') }]));
}

const json = (description: string, schema: JsonSchema) => ({ description, ...schema });

export const RouteSchemas = {
  enqueue: {
    tags: ['notifications'],
    operationId: 'enqueueNotification',
    summary: 'Enqueue a notification',
    description:
      'Stores the notification durably (202 only after the commit) and POSTs it at once, then on its schedule until the receiver answers success. ' +
      'The same idempotency key with the same payload answers 200 with the existing notification; with another payload, 409.',
    headers: {
      type: 'object',
      properties: { 'idempotency-key': { type: 'string', description: 'Alternative to the idempotencyKey field.' } },
    },
    body: fromZod(EnqueueBodySchema, {
      url: 'The receiver (http or https, at most 8 KiB).',
      body: 'A string (sent as is) or a JSON object/array (sent as JSON).',
      contentType: 'Default application/json for objects, text/plain; charset=utf-8 for strings.',
      headers: 'Extra request headers (not hop-by-hop, Host, Content-*, Transfer-Encoding or webhook-*).',
      idempotencyKey: "The producer's unique serial number: makes retrying the enqueue safe.",
      schedule: 'A preset (alipay, wechatpay, exponential) or the waits between attempts ("15s", "4m", "2h"); the first attempt is immediate.',
      success: 'When an attempt counts as delivered: {"status":"2xx","body":"success"} by default; body null accepts any body.',
      timeoutMs: 'Per-attempt timeout, 100 to 300000 ms.',
      metadata: 'Kept with the notification and shown in views (at most 16 KiB as JSON).',
    }),
    response: {
      '202': json('Accepted: committed to the ledger.', ref('Enqueued')),
      '200': json('The idempotency key matched an existing notification with the same payload.', ref('Enqueued')),
      ...errors(400, 401, 403, 409, 413, 415, 422, 429, 503),
    },
  },
  getNotification: {
    tags: ['notifications'],
    operationId: 'getNotification',
    summary: 'A notification with its attempt history',
    params: fromZod(IdParamsSchema),
    response: { '200': json('The notification.', ref('Notification')), ...errors(400, 401, 403, 404, 429, 503) },
  },
  listNotifications: {
    tags: ['notifications'],
    operationId: 'listNotifications',
    summary: 'Notifications, newest first',
    querystring: fromZod(ListQuerySchema, { status: 'Only this status.', ...PAGE_DESCRIPTIONS }),
    response: { '200': json('A page.', ref('NotificationPage')), ...errors(400, 401, 403, 429, 503) },
  },
  replayNotification: {
    tags: ['notifications'],
    operationId: 'replayNotification',
    summary: 'Replay a dead (or, with force, a delivered) notification',
    description: 'Back to pending: the schedule restarts from its first delay; the history and the attempt numbering continue.',
    params: fromZod(IdParamsSchema),
    body: fromZod(ReplayBodySchema, { force: 'Also replay a delivered notification.' }),
    response: { '200': json('The notification, now pending.', ref('NotificationSummary')), ...errors(400, 401, 403, 404, 409, 429, 503) },
  },
  cancelNotification: {
    tags: ['notifications'],
    operationId: 'cancelNotification',
    summary: 'Cancel a pending notification',
    params: fromZod(IdParamsSchema),
    body: fromZod(CancelBodySchema),
    response: { '200': json('The notification, now cancelled.', ref('NotificationSummary')), ...errors(400, 401, 403, 404, 409, 429, 503) },
  },
  retryNotificationNow: {
    tags: ['notifications'],
    operationId: 'retryNotificationNow',
    summary: 'Attempt a pending notification now',
    description:
      'Moves the next attempt of a pending notification to now, for a receiver that is back and cannot wait for the schedule. ' +
      'The schedule does not restart: after this attempt the next wait is the one that was due anyway. ' +
      'A notification whose attempt is in flight is returned unchanged. A dead one is replayed instead (409 here).',
    params: fromZod(IdParamsSchema),
    body: fromZod(RetryNowBodySchema),
    response: { '200': json('The notification, due now.', ref('NotificationSummary')), ...errors(400, 401, 403, 404, 409, 429, 503) },
  },
  retryHostNow: {
    tags: ['notifications'],
    operationId: 'retryHostNow',
    summary: 'Attempt every pending notification to one host now',
    description:
      'The merchant is back: every pending notification to `host` that is not due yet and not in flight becomes due now. ' +
      'Per-host concurrency still caps how many POSTs the host gets at once.',
    body: fromZod(RetryHostNowBodySchema, { host: 'As stored: the URL host, with the port unless it is the default (merchant.example.com, 10.0.0.5:8443).' }),
    response: {
      '200': json('How many were moved.', {
        type: 'object',
        required: ['rescheduled'],
        properties: { rescheduled: { type: 'integer', minimum: 0 } },
      }),
      ...errors(400, 401, 403, 429, 503),
    },
  },
  listDeadLetters: {
    tags: ['dead letters'],
    operationId: 'listDeadLetters',
    summary: 'The dead-letter queue, most recent first',
    querystring: fromZod(DeadLetterQuerySchema, { ...FILTER_DESCRIPTIONS, ...PAGE_DESCRIPTIONS }),
    response: { '200': json('A page.', ref('NotificationPage')), ...errors(400, 401, 403, 429, 503) },
  },
  countDeadLetters: {
    tags: ['dead letters'],
    operationId: 'countDeadLetters',
    summary: 'How many dead letters match a filter',
    description:
      'What a bulk replay with the same filter would take. The answer carries the filter’s time bounds resolved to absolute times, ' +
      'so a following bulk replay can use exactly the set that was counted.',
    querystring: fromZod(DeadLetterCountQuerySchema, FILTER_DESCRIPTIONS),
    response: {
      '200': json('The count.', {
        type: 'object',
        required: ['count', 'since', 'until', 'asOf'],
        properties: {
          count: { type: 'integer', minimum: 0 },
          since: { ...ISO_TIME_OR_NULL, description: 'The `since` bound as an absolute time, or null.' },
          until: { ...ISO_TIME_OR_NULL, description: 'The `until` bound as an absolute time, or null.' },
          asOf: { ...ISO_TIME, description: 'When it was counted.' },
        },
      }),
      ...errors(400, 401, 403, 429, 503),
    },
  },
  bulkReplay: {
    tags: ['dead letters'],
    operationId: 'replayDeadLetters',
    summary: 'Replay the dead letters matching a filter',
    description: 'Most recent first, at most `limit` (default 1000, at most 100000) in one call; call again for the next batch.',
    body: fromZod(BulkReplayBodySchema, { ...FILTER_DESCRIPTIONS, limit: 'At most this many (default 1000).' }),
    response: {
      '200': json('How many were replayed.', {
        type: 'object',
        required: ['replayed'],
        properties: { replayed: { type: 'integer', minimum: 0 } },
      }),
      ...errors(400, 401, 403, 429, 503),
    },
  },
  stats: {
    tags: ['operations'],
    operationId: 'getStats',
    summary: 'Headline numbers for operators',
    description: 'Ledger counts (cached for a few seconds), attempts in flight, and deliveries and dead letters of the last hour.',
    response: {
      '200': json('The numbers.', {
        type: 'object',
        required: ['pending', 'inFlight', 'delivered', 'dead', 'cancelled', 'oldestPendingAgeSeconds', 'lastHour', 'pausedHosts', 'countedAt'],
        properties: {
          pending: { type: 'integer', minimum: 0, description: 'Waiting for an attempt or in flight.' },
          inFlight: { type: 'integer', minimum: 0 },
          delivered: { type: 'integer', minimum: 0 },
          dead: { type: 'integer', minimum: 0, description: 'The dead-letter queue.' },
          cancelled: { type: 'integer', minimum: 0 },
          oldestPendingAgeSeconds: { type: ['integer', 'null'], minimum: 0 },
          lastHour: {
            type: ['object', 'null'],
            required: ['delivered', 'dead', 'since'],
            description: 'Null on a daemon that runs no scheduler.',
            properties: {
              delivered: { type: 'integer', minimum: 0 },
              dead: { type: 'integer', minimum: 0 },
              since: { ...ISO_TIME_OR_NULL, description: 'An hour ago, or the daemon start when that is later.' },
            },
          },
          pausedHosts: {
            type: 'array',
            maxItems: 100,
            description:
              'Receiver hosts that refuse connections and are backed off (delivery.hostBackoff): none of their attempts goes out until a probe at nextProbeAt gets an answer. Longest first; empty on a daemon that runs no scheduler.',
            items: {
              type: 'object',
              required: ['host', 'since', 'nextProbeAt', 'failures'],
              properties: {
                host: { type: 'string', description: 'host:port' },
                since: ISO_TIME,
                nextProbeAt: ISO_TIME,
                failures: { type: 'integer', minimum: 1, description: 'Connection failures in a row.' },
              },
            },
          },
          countedAt: ISO_TIME,
        },
      }),
      ...errors(401, 403, 429, 503),
    },
  },
  metrics: {
    tags: ['operations'],
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description: 'The Prometheus text exposition format: notifyd_* counters, histograms and gauges, and the Node.js process metrics.',
    response: {
      '200': {
        description: 'Prometheus text format 0.0.4.',
        content: { 'text/plain; version=0.0.4; charset=utf-8': { schema: { type: 'string' } } },
      },
      ...errors(401, 403, 429),
    },
  },
  healthz: {
    tags: ['health'],
    operationId: 'healthz',
    summary: 'Liveness',
    response: {
      '200': json('The process is up.', { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } }),
    },
  },
  readyz: {
    tags: ['health'],
    operationId: 'readyz',
    summary: 'Readiness: the ledger (and Redis in bullmq mode) answer',
    response: Object.fromEntries(
      (['200', '503'] as const).map((code) => [
        code,
        json(code === '200' ? 'Ready.' : 'Not ready: `checks` names what is down.', {
          type: 'object',
          required: ['status', 'checks'],
          properties: {
            status: { type: 'string', enum: ['ok', 'unavailable'] },
            checks: { type: 'object', additionalProperties: { type: 'string' }, description: '"ok" or why not, per dependency.' },
          },
        }),
      ]),
    ),
  },
} satisfies Record<string, FastifySchema & JsonSchema>;

/** Operations whose body may be left out (it then means {}); @fastify/swagger marks every body required. */
export const OPTIONAL_BODY_OPERATIONS: ReadonlySet<string> = new Set([
  RouteSchemas.replayNotification.operationId,
  RouteSchemas.cancelNotification.operationId,
  RouteSchemas.retryNotificationNow.operationId,
  RouteSchemas.bulkReplay.operationId,
]);

/** Adds the shared schemas; call before registering the routes that refer to them. */
export function addSharedSchemas(app: FastifyInstance): void {
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
}
