import { createRequire } from 'node:module';
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { OPTIONAL_BODY_OPERATIONS, addSharedSchemas } from './route-schemas.js';

const packageJson = createRequire(import.meta.url)('../../package.json') as { version: string };

/** notifyd's version, as package.json states it (the OpenAPI document and `notifyd --version` show it). */
export const NOTIFYD_VERSION = packageJson.version;

const DESCRIPTION = `notifyd stores each notification durably, POSTs it, and re-POSTs it on an escalating schedule until the receiver answers \`success\`; notifications that exhaust their schedule land in a dead-letter queue where operators inspect and replay them.

Auth: \`Authorization: Bearer <token>\`. Each operation names the scope it needs (enqueue, read, ops). A daemon with no tokens configured listens on loopback only and asks for none.`;

/**
 * Registers @fastify/swagger, which builds the OpenAPI 3.1 document from the
 * route schemas (route-schemas.ts). Must run before the routes are added: the
 * plugin collects them as they are registered.
 *
 * Requests are validated by the handlers' zod schemas and answers are plain
 * JSON.stringify, as before the routes carried JSON schemas; so fastify is
 * told to neither validate with Ajv nor serialize with fast-json-stringify
 * (which would drop any field a response schema forgot). The route schemas are
 * documentation, generated from the same zod schemas where they describe input.
 */
export async function installOpenApi(app: FastifyInstance): Promise<void> {
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  addSharedSchemas(app);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'notifyd', version: NOTIFYD_VERSION, description: DESCRIPTION, license: { name: 'MIT', identifier: 'MIT' } },
      tags: [
        { name: 'notifications', description: 'Enqueue, query, replay and cancel notifications.' },
        { name: 'dead letters', description: 'The dead-letter queue: notifications whose schedule ran out.' },
        { name: 'operations', description: 'Metrics and headline numbers.' },
        { name: 'health', description: 'Probes (no token needed).' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'A token whose SHA-256 is in security.tokens (see `notifyd token create`).' },
        },
      },
    },
    // Shared schemas keep their $id as their name under components/schemas (Notification, Attempt, Error…).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transformObject: (documentObject) => {
      const document = 'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject;
      for (const pathItem of Object.values((document.paths ?? {}) as Record<string, Record<string, unknown>>)) {
        for (const operation of Object.values(pathItem) as Array<{ operationId?: string; requestBody?: { required?: boolean } }>) {
          if (operation.operationId && OPTIONAL_BODY_OPERATIONS.has(operation.operationId) && operation.requestBody) {
            operation.requestBody.required = false;
          }
        }
      }
      return document;
    },
    // The scope a route needs is in its config (auth.ts reads it there): state it in the document too.
    transform: ({ schema, url, route }) => {
      const scope = route.config?.scope;
      if (scope === undefined || schema === undefined || schema === null) return { schema, url };
      const scoped: FastifySchema = {
        ...schema,
        security: [{ bearerAuth: [] }],
        description: `${schema.description ? `${schema.description}\n\n` : ''}Needs a token with the \`${scope}\` scope.`,
      };
      return { schema: scoped, url };
    },
  });
}
