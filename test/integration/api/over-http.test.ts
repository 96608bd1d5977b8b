import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { toApiError } from '../../../src/api/error-handler.js';
import { NotifydError } from '../../../src/domain/errors.js';
import { TOKENS, startApi, validBody } from './harness.js';

/** One raw HTTP/1.1 request: headers go on the wire byte for byte (latin1), unlike fetch. */
function send(port: number, options: { method: string; path: string; headers: Record<string, string>; body?: string | Buffer }) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: options.method, path: options.path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    // A Buffer, not a string: Node writes the head together with a string body in the body's encoding
    // (UTF-8), which would re-encode latin1 header bytes; with a Buffer the head goes out as latin1.
    req.end(typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body);
  });
}

describe('over a real socket', () => {
  it('reads a UTF-8 Idempotency-Key header as the same key as the field, and refuses oversized bodies with 413 JSON', async () => {
    const h = await startApi();
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.app.server.address() as AddressInfo;
    const auth = { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/json' };

    const key = 'заказ-42:TRADE_SUCCESS';
    const first = await send(port, { method: 'POST', path: '/v1/notifications', headers: auth, body: JSON.stringify(validBody({ idempotencyKey: key })) });
    expect(first.status).toBe(202);
    const viaHeader = await send(port, {
      method: 'POST',
      path: '/v1/notifications',
      // Node's client writes header strings as latin1: these are the key's UTF-8 bytes on the wire.
      headers: { ...auth, 'idempotency-key': Buffer.from(key, 'utf8').toString('latin1') },
      body: JSON.stringify(validBody()),
    });
    expect(viaHeader.status).toBe(200);
    expect(JSON.parse(viaHeader.body).id).toBe(JSON.parse(first.body).id);
    expect((await h.store.get(JSON.parse(first.body).id))?.idempotencyKey).toBe(key);

    const big = await send(port, { method: 'POST', path: '/v1/notifications', headers: auth, body: JSON.stringify(validBody({ body: 'x'.repeat(2_000_000) })) });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).error.code).toBe('payload_too_large');

    const malformed = await send(port, { method: 'POST', path: '/v1/notifications', headers: auth, body: '{"url":' });
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body).error.code).toBe('invalid_json');
    expect(await h.rowCount()).toBe(1);
  });
});

describe('error mapping', () => {
  it('hides internals of unexpected errors and of storage failures', () => {
    expect(toApiError(new TypeError('cannot read x of undefined at /srv/notifyd/src/foo.ts'))).toEqual({
      statusCode: 500,
      code: 'internal',
      message: 'internal error',
    });
    expect(toApiError(Object.assign(new Error('disk I/O error at /var/lib/notifyd.db'), { code: 'SQLITE_IOERR_WRITE' }))).toEqual({
      statusCode: 503,
      code: 'storage_unavailable',
      message: 'the ledger is unavailable; retry later',
    });
    expect(toApiError(new NotifydError('storage_unavailable', 'ledger: cannot write: SQLITE_FULL /var/lib/x.db'))).toMatchObject({
      statusCode: 503,
      message: 'the ledger is unavailable; retry later',
    });
    expect(toApiError('a thrown string')).toMatchObject({ statusCode: 500, code: 'internal' });
    expect(toApiError(new NotifydError('destination_blocked', 'url: blocked', { field: 'url' }))).toEqual({
      statusCode: 422,
      code: 'destination_blocked',
      message: 'url: blocked',
      field: 'url',
    });
  });
});
