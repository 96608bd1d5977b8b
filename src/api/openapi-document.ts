import { buildConfig } from '../config.js';
import { openSqliteNotificationStore } from '../ledger/index.js';
import { DestinationPolicy } from '../sender/destination-policy.js';
import { buildApp } from './build-app.js';

/**
 * The OpenAPI document, without a daemon: the app is built over an in-memory
 * ledger (its routes are never called) and asked for what @fastify/swagger
 * made of the route schemas. `notifyd openapi` prints it; docs/openapi.json
 * is its output, and a test checks that file is current.
 */
export async function openApiDocument(): Promise<unknown> {
  const config = buildConfig({ ledger: { path: ':memory:' } });
  const store = openSqliteNotificationStore({ path: ':memory:', synchronous: 'off', busyTimeoutMs: 0, groupCommitMaxWaitMs: 0 });
  try {
    const app = await buildApp({ store, config, destinations: new DestinationPolicy({ allowPrivateNetworks: false, allowHosts: [] }) });
    await app.ready();
    const document = app.swagger();
    await app.close();
    return document;
  } finally {
    await store.close();
  }
}
