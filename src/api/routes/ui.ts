import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { APP_SCRIPT } from '../ui/app-script.js';
import { APP_STYLE } from '../ui/app-style.js';
import { deadLettersPage, notificationPage, type DeadLetterFilterValues } from '../ui/pages.js';

/**
 * Nothing but the page's own script and style runs or loads, the page is never
 * framed, and no Referer leaves it: the session's token must stay in this tab.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cache-control', 'no-cache');
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The ops dashboard (`/ui`). Its pages and assets are public: they carry no
 * data. Everything shown comes from the API, fetched by the page script with
 * the token the operator enters once per browser session, so the API's scopes
 * (read to look, ops to replay or cancel) apply unchanged.
 */
export function registerUiRoutes(app: FastifyInstance): void {
  const hidden = { schema: { hide: true } };

  app.get('/ui', hidden, async (request: FastifyRequest, reply: FastifyReply) => {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const filter: DeadLetterFilterValues = {};
    for (const key of ['host', 'since', 'until', 'lastError'] as const) {
      const value = text(query[key]);
      if (value !== undefined) filter[key] = value;
    }
    return securityHeaders(reply).type('text/html; charset=utf-8').send(deadLettersPage(filter));
  });

  app.get('/ui/', hidden, async (request: FastifyRequest, reply: FastifyReply) => {
    const at = request.url.indexOf('?');
    return reply.redirect(`/ui${at >= 0 ? request.url.slice(at) : ''}`, 302);
  });

  app.get('/ui/notifications/:id', hidden, async (request: FastifyRequest, reply: FastifyReply) => {
    const { id } = request.params as { id: string };
    return securityHeaders(reply).type('text/html; charset=utf-8').send(notificationPage(id));
  });

  app.get('/ui/app.js', hidden, async (_request, reply: FastifyReply) =>
    securityHeaders(reply).type('text/javascript; charset=utf-8').send(APP_SCRIPT),
  );

  app.get('/ui/app.css', hidden, async (_request, reply: FastifyReply) =>
    securityHeaders(reply).type('text/css; charset=utf-8').send(APP_STYLE),
  );
}
