import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotifydError } from '../domain/errors.js';

export interface RateLimitOptions {
  /** Requests per key per window; 0 disables. */
  max: number;
  windowMs: number;
}

/** One budget per token (its name), else per client address when auth is off. */
export function rateLimitKey(request: FastifyRequest): string {
  return request.principal ? `token:${request.principal.name}` : `ip:${request.ip}`;
}

/**
 * Registers @fastify/rate-limit for every route registered after it (routes
 * opt out with `config: { rateLimit: false }`). It adds a route-level
 * onRequest hook, which runs after the application-level auth hook, so the
 * principal is known when the key is computed. A request refused by auth is
 * not counted: 401s cost one hash per token and reveal nothing.
 */
export async function installRateLimit(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  if (options.max <= 0) return;
  await app.register(rateLimit, {
    global: true,
    max: options.max,
    timeWindow: options.windowMs,
    keyGenerator: rateLimitKey,
    // The plugin sets Retry-After and throws what this returns; the error handler renders it.
    errorResponseBuilder: (_request, context) =>
      new NotifydError('rate_limited', `rate limit exceeded (${context.max} requests per ${options.windowMs} ms); retry in ${context.after}`),
  });
}
