import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from '../config.js';
import type { NotificationStore } from '../domain/ports.js';
import { createOpsViews, type OpsViews } from '../ops/ops.js';
import { installAuth } from './auth.js';
import { frameworkErrorHandler, installErrorHandling } from './error-handler.js';
import { installJsonBody } from './json-body.js';
import { installOpenApi } from './openapi.js';
import { installRateLimit } from './rate-limit.js';
import type { RouteContext } from './route-context.js';
import { registerDeadLetterRoutes } from './routes/dead-letters.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerMetricsRoutes } from './routes/metrics.js';
import { registerNotificationRoutes } from './routes/notifications.js';
import { registerOpenApiRoute } from './routes/openapi.js';
import { registerUiRoutes } from './routes/ui.js';

export interface ApiDeps {
  store: NotificationStore;
  config: Config;
  /** The SSRF guard's static check (DestinationPolicy.checkUrl). */
  destinations: { checkUrl(url: string | URL): void };
  /** Wakes the scheduler: called after an enqueue, a replay and a bulk replay. */
  onEnqueued?: () => void;
  /** Extra readiness checks, e.g. {redis: 'ok'}; any value but 'ok' makes /readyz answer 503. */
  readiness?: () => Promise<Record<string, 'ok' | string>>;
  now?: () => number;
  /** Fastify logger options; false or absent: no logging. */
  logger?: FastifyServerOptions['logger'] | false;
  /** An existing logger (the daemon's pino): fastify 5 takes an instance only through `loggerInstance`. */
  loggerInstance?: FastifyBaseLogger;
  /** /metrics and /v1/stats (the daemon's, fed by its scheduler); absent: built over `store` alone. */
  ops?: OpsViews;
}

/**
 * Builds the HTTP API without listening (the daemon listens; tests use
 * `app.inject()`). Order matters: the error handler, body parser, auth hook
 * and rate limiter must exist before the routes they apply to are added.
 */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    ...(deps.loggerInstance ? { loggerInstance: deps.loggerInstance } : { logger: deps.logger ?? false }),
    bodyLimit: config.limits.maxBodyBytes,
    // Our JSON parser asks for these explicitly (getDefaultJsonParser); set here too so no parser added later is laxer.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    frameworkErrors: frameworkErrorHandler,
  });

  installErrorHandling(app);
  installJsonBody(app);
  installAuth(app, config.security.tokens);
  await installRateLimit(app, config.security.rateLimit);
  await installOpenApi(app);

  const ctx: RouteContext = {
    store: deps.store,
    config,
    destinations: deps.destinations,
    now: deps.now ?? Date.now,
    wake: () => {
      // The notification is already durable; a failed wake only delays it until the scheduler's own timer.
      try {
        deps.onEnqueued?.();
      } catch (error) {
        app.log.error({ err: error }, 'onEnqueued failed');
      }
    },
    readiness: deps.readiness,
    ops: deps.ops ?? createOpsViews({ store: deps.store }),
  };
  registerHealthRoutes(app, ctx);
  registerNotificationRoutes(app, ctx);
  registerDeadLetterRoutes(app, ctx);
  registerMetricsRoutes(app, ctx);
  registerUiRoutes(app);
  registerOpenApiRoute(app);
  return app;
}
