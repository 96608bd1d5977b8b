import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotifydError } from '../../domain/errors.js';
import { readIdempotencyHeader, toNewNotification } from '../new-notification.js';
import { toEnqueuedView, toNotificationView, toSummaryView } from '../notification-view.js';
import type { RouteContext } from '../route-context.js';
import { RouteSchemas } from '../route-schemas.js';
import {
  CancelBodySchema,
  DEFAULT_PAGE_LIMIT,
  EnqueueBodySchema,
  IdParamsSchema,
  ListQuerySchema,
  ReplayBodySchema,
  RetryHostNowBodySchema,
  RetryNowBodySchema,
  optionalObject,
  parseWith,
  requireObject,
} from '../schemas.js';

export function registerNotificationRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/v1/notifications', { config: { scope: 'enqueue' }, schema: RouteSchemas.enqueue }, async (request: FastifyRequest, reply: FastifyReply) => {
    const input = parseWith(EnqueueBodySchema, requireObject(request.body));
    const headerKey = readIdempotencyHeader(request.headers['idempotency-key']);
    const candidate = toNewNotification(input, headerKey, ctx);
    // Resolves only once committed: 202 means durable (DESIGN.md guarantee 1).
    const { notification, created } = await ctx.store.enqueue(candidate, ctx.now());
    if (created) {
      ctx.wake();
      ctx.ops.metrics.enqueued();
      request.log.debug({ notificationId: notification.id, url: notification.url, idempotencyKey: notification.idempotencyKey }, 'enqueued');
    }
    return reply.code(created ? 202 : 200).send(toEnqueuedView(notification));
  });

  app.get('/v1/notifications/:id', { config: { scope: 'read' }, schema: RouteSchemas.getNotification }, async (request: FastifyRequest) => {
    const { id } = parseWith(IdParamsSchema, request.params);
    const notification = await ctx.store.get(id);
    if (notification === null) throw new NotifydError('not_found', `notification ${id} not found`);
    return toNotificationView(notification);
  });

  app.get('/v1/notifications', { config: { scope: 'read' }, schema: RouteSchemas.listNotifications }, async (request: FastifyRequest) => {
    const query = parseWith(ListQuerySchema, request.query);
    const page = await ctx.store.list({
      limit: query.limit ?? DEFAULT_PAGE_LIMIT,
      cursor: query.cursor ?? null,
      ...(query.status !== undefined ? { status: query.status } : {}),
    });
    return { items: page.items.map(toSummaryView), nextCursor: page.nextCursor };
  });

  app.post('/v1/notifications/:id/replay', { config: { scope: 'ops' }, schema: RouteSchemas.replayNotification }, async (request: FastifyRequest) => {
    const { id } = parseWith(IdParamsSchema, request.params);
    const body = parseWith(ReplayBodySchema, optionalObject(request.body));
    const notification = await ctx.store.replay(id, { force: body.force ?? false }, ctx.now());
    ctx.wake();
    ctx.ops.metrics.replayed(1);
    request.log.info({ notificationId: id, force: body.force ?? false, by: request.principal?.name }, 'replayed');
    return toSummaryView(notification);
  });

  app.post(
    '/v1/notifications/:id/retry-now',
    { config: { scope: 'ops' }, schema: RouteSchemas.retryNotificationNow },
    async (request: FastifyRequest) => {
      const { id } = parseWith(IdParamsSchema, request.params);
      parseWith(RetryNowBodySchema, optionalObject(request.body));
      const notification = await ctx.store.retryNow(id, ctx.now());
      ctx.wake();
      request.log.info({ notificationId: id, by: request.principal?.name }, 'retry now');
      return toSummaryView(notification);
    },
  );

  app.post('/v1/notifications/retry-now', { config: { scope: 'ops' }, schema: RouteSchemas.retryHostNow }, async (request: FastifyRequest) => {
    const { host } = parseWith(RetryHostNowBodySchema, request.body);
    const rescheduled = await ctx.store.retryHostNow(host.toLowerCase(), ctx.now());
    if (rescheduled > 0) ctx.wake();
    request.log.info({ host, rescheduled, by: request.principal?.name }, 'retry now (host)');
    return { rescheduled };
  });

  app.post('/v1/notifications/:id/cancel', { config: { scope: 'ops' }, schema: RouteSchemas.cancelNotification }, async (request: FastifyRequest) => {
    const { id } = parseWith(IdParamsSchema, request.params);
    parseWith(CancelBodySchema, optionalObject(request.body));
    const notification = await ctx.store.cancel(id, ctx.now());
    ctx.ops.metrics.cancelled();
    request.log.info({ notificationId: id, by: request.principal?.name }, 'cancelled');
    return toSummaryView(notification);
  });
}
