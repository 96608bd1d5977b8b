import type { FastifyInstance, FastifyReply } from 'fastify';
import { isNotifydError } from '../../domain/errors.js';
import type { RouteContext } from '../route-context.js';
import { RouteSchemas } from '../route-schemas.js';

/** A ledger that does not answer within this is as good as down for a probe. */
const PING_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** What a probe may see of a failure: a stable word, not a path or an SQL message (those go to the log). */
function reason(error: unknown): string {
  return isNotifydError(error) ? error.code : 'unavailable';
}

/**
 * Public (no scope, no rate limit: probes must not be throttled). /readyz
 * answers 503 with the same `{status, checks}` shape, so a probe and a human
 * both see which dependency is down.
 */
export function registerHealthRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/healthz', { config: { rateLimit: false }, schema: RouteSchemas.healthz }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { rateLimit: false }, schema: RouteSchemas.readyz }, async (request, reply: FastifyReply) => {
    const checks: Record<string, string> = {};
    try {
      await withTimeout(ctx.store.ping(), PING_TIMEOUT_MS);
      checks.ledger = 'ok';
    } catch (error) {
      request.log.warn({ err: error }, 'readiness: ledger check failed');
      checks.ledger = reason(error);
    }
    if (ctx.readiness) {
      try {
        Object.assign(checks, await withTimeout(ctx.readiness(), PING_TIMEOUT_MS));
      } catch (error) {
        request.log.warn({ err: error }, 'readiness: extra checks failed');
        checks.readiness = reason(error);
      }
    }
    const ready = Object.values(checks).every((value) => value === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks });
  });
}
