import type { FastifyInstance } from 'fastify';

/** GET /openapi.json: the OpenAPI 3.1 document, public (it describes the API, it holds no data). */
export function registerOpenApiRoute(app: FastifyInstance): void {
  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => reply.type('application/json; charset=utf-8').send(app.swagger()));
}
