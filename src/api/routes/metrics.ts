import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RouteContext } from '../route-context.js';
import { RouteSchemas } from '../route-schemas.js';

/** GET /metrics (Prometheus) and GET /v1/stats (the dashboard's and `notifyd stats`' headline numbers); `read` scope. */
export function registerMetricsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/metrics', { config: { scope: 'read' }, schema: RouteSchemas.metrics }, async (_request, reply: FastifyReply) => {
    const text = await ctx.ops.metrics.render();
    return reply.type(ctx.ops.metrics.contentType).send(text);
  });

  app.get('/v1/stats', { config: { scope: 'read' }, schema: RouteSchemas.stats }, async () => ctx.ops.stats());
}
