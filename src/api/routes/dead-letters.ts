import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toDeadLetterFilter } from '../dead-letter-filter.js';
import { toSummaryView } from '../notification-view.js';
import type { RouteContext } from '../route-context.js';
import { RouteSchemas } from '../route-schemas.js';
import {
  BulkReplayBodySchema,
  DEFAULT_PAGE_LIMIT,
  DeadLetterCountQuerySchema,
  DeadLetterQuerySchema,
  optionalObject,
  parseWith,
} from '../schemas.js';

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export function registerDeadLetterRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/v1/dead-letters', { config: { scope: 'read' }, schema: RouteSchemas.listDeadLetters }, async (request: FastifyRequest) => {
    const query = parseWith(DeadLetterQuerySchema, request.query);
    const filter = toDeadLetterFilter(query, ctx.now());
    const page = await ctx.store.listDeadLetters({
      ...filter,
      limit: query.limit ?? DEFAULT_PAGE_LIMIT,
      cursor: query.cursor ?? null,
    });
    return { items: page.items.map(toSummaryView), nextCursor: page.nextCursor };
  });

  // The count carries its time bounds resolved, so "replay what was counted" can send exactly those (the CLI and the dashboard do).
  app.get('/v1/dead-letters/count', { config: { scope: 'read' }, schema: RouteSchemas.countDeadLetters }, async (request: FastifyRequest) => {
    const query = parseWith(DeadLetterCountQuerySchema, request.query);
    const now = ctx.now();
    const filter = toDeadLetterFilter(query, now);
    const count = await ctx.store.countDeadLetters(filter);
    return { count, since: iso(filter.since), until: iso(filter.until), asOf: new Date(now).toISOString() };
  });

  app.post('/v1/dead-letters/replay', { config: { scope: 'ops' }, schema: RouteSchemas.bulkReplay }, async (request: FastifyRequest) => {
    // An absent body is {}: replay every dead letter (`notifyd dlq replay --all`).
    const body = parseWith(BulkReplayBodySchema, optionalObject(request.body));
    const filter = toDeadLetterFilter(body, ctx.now());
    if (body.limit !== undefined) filter.limit = body.limit;
    const { replayed, ids } = await ctx.store.replayDeadLetters(filter, ctx.now());
    if (replayed > 0) {
      ctx.wake();
      ctx.ops.metrics.replayed(replayed);
    }
    request.log.info({ filter: body, replayed, by: request.principal?.name }, 'bulk replay');
    for (const id of ids) request.log.debug({ notificationId: id }, 'replayed (bulk)');
    return { replayed };
  });
}
