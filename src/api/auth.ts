import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotifydError } from '../domain/errors.js';

export type Scope = 'enqueue' | 'read' | 'ops';

export interface TokenEntry {
  readonly name: string;
  /** Hex SHA-256 of the token: the config never holds a usable token. */
  readonly sha256: string;
  readonly scopes: readonly Scope[];
}

export interface Principal {
  /** The token's configured name: what logs and the rate limiter key on. */
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route requires; routes without one (health checks) are public. */
    scope?: Scope;
  }
  interface FastifyRequest {
    /** The authenticated token, or null (public route, or auth is off). */
    principal: Principal | null;
  }
}

/** Hex SHA-256 of a token, as configured in `security.tokens[].sha256` (used by `notifyd token create`). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

// RFC 6750 b64token; the scheme name is case-insensitive (RFC 9110 §11.1).
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export class TokenAuthenticator {
  private readonly entries: ReadonlyArray<{ digest: Buffer; principal: Principal }>;

  constructor(tokens: readonly TokenEntry[]) {
    this.entries = tokens.map((t) => ({
      digest: Buffer.from(t.sha256, 'hex'),
      principal: { name: t.name, scopes: new Set(t.scopes) },
    }));
  }

  /** With no tokens configured, auth is off (the daemon then refuses to listen beyond loopback). */
  get enabled(): boolean {
    return this.entries.length > 0;
  }

  /** The principal for an Authorization header; throws 401 when it is missing or matches no token. */
  authenticate(header: string | undefined): Principal {
    if (header === undefined || header === '') {
      throw new NotifydError('unauthorized', 'missing Authorization: Bearer <token>');
    }
    const match = BEARER.exec(header);
    if (!match?.[1]) {
      throw new NotifydError('unauthorized', 'Authorization must be "Bearer <token>"');
    }
    const presented = createHash('sha256').update(match[1], 'utf8').digest();
    let found: Principal | null = null;
    // Every entry is compared, so the time taken says nothing about which one matched.
    for (const entry of this.entries) {
      if (timingSafeEqual(presented, entry.digest) && found === null) found = entry.principal;
    }
    if (found === null) throw new NotifydError('unauthorized', 'invalid token');
    return found;
  }

  /** Throws 403 when the principal lacks the scope. */
  authorize(principal: Principal, scope: Scope): void {
    if (!principal.scopes.has(scope)) {
      throw new NotifydError('forbidden', `token "${principal.name}" lacks the "${scope}" scope`);
    }
  }
}

/**
 * Checks the token of every request to a route that declares a scope. An
 * application-level onRequest hook: it runs before the route-level rate limit
 * hook (so the limiter can key on the token's name) and before the body is
 * read (so an unauthenticated client cannot make the daemon parse a megabyte).
 */
export function installAuth(app: FastifyInstance, tokens: readonly TokenEntry[]): TokenAuthenticator {
  const authenticator = new TokenAuthenticator(tokens);
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const scope = request.routeOptions.config.scope;
    if (scope === undefined || !authenticator.enabled) return;
    const principal = authenticator.authenticate(request.headers.authorization);
    authenticator.authorize(principal, scope);
    request.principal = principal;
  });
  return authenticator;
}
