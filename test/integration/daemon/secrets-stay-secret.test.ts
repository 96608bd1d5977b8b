import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startChildDaemon, type ChildDaemon } from '../../helpers/child-daemon.js';
import { TestReceiver } from '../../helpers/receiver.js';
import { tempDir } from '../../helpers/temp.js';

/**
 * Issue "security" item 2: the signing secret and API tokens never appear in
 * API responses or in the logs, even at debug level, while the POSTs they
 * sign verify with an independent Standard Webhooks verifier.
 */
describe('secrets stay secret', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('never echoes the signing secret or a token in responses or debug logs', async () => {
    const dir = tempDir();
    const receiver = await TestReceiver.start();
    cleanups.push(() => receiver.close(), () => dir.cleanup());
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const previous = `whsec_${randomBytes(24).toString('base64')}`;
    const token = `ntk_${randomBytes(24).toString('base64url')}`;
    const daemon: ChildDaemon = await startChildDaemon({
      configPath: dir.file('config.json'),
      config: {
        listen: { host: '127.0.0.1', port: 0 },
        ledger: { path: dir.file('ledger.db') },
        security: {
          allowHosts: ['127.0.0.1/32'],
          tokens: [{ name: 'shop', sha256: createHash('sha256').update(token).digest('hex'), scopes: ['enqueue', 'read', 'ops'] }],
        },
        signing: { secret, previousSecrets: [previous] },
        log: { level: 'trace' },
      },
    });
    cleanups.push(() => daemon.kill('SIGKILL'));
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${daemon.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, text: await response.text() };
    };

    const enqueued = await call('POST', '/v1/notifications', { url: receiver.url(), body: { order: 1 }, headers: { 'x-merchant': 'm-42' } });
    expect(enqueued.status).toBe(202);
    const id = JSON.parse(enqueued.text).id as string;
    await receiver.waitFor(() => receiver.requestsFor(id).length === 1);
    const seen = receiver.requestsFor(id)[0]!;
    // Both the current and the previous secret verify: a rotation keeps receivers working.
    for (const key of [secret, previous]) {
      expect(new Webhook(key).verify(seen.body, seen.headers as Record<string, string>)).toEqual({ order: 1 });
    }
    expect(() => new Webhook(secret).verify(seen.body.replace('1', '2'), seen.headers as Record<string, string>)).toThrow();

    const responses = [
      enqueued,
      await call('GET', `/v1/notifications/${id}`),
      await call('GET', '/v1/notifications'),
      await call('GET', '/metrics'),
      await call('GET', '/v1/stats'),
      await call('GET', '/openapi.json'),
      await call('GET', '/readyz'),
    ];
    daemon.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);

    const secretParts = [secret, secret.slice('whsec_'.length), previous.slice('whsec_'.length), token];
    for (const response of responses) for (const part of secretParts) expect(response.text).not.toContain(part);
    const logs = daemon.logs.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const part of secretParts) expect(logs).not.toContain(part);
  });
});
