import { describe, expect, it } from 'vitest';
import { startApi } from './harness.js';

describe('health', () => {
  it('GET /healthz needs no token', async () => {
    const h = await startApi();
    const res = await h.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz is ready when the ledger answers and the extra checks are ok', async () => {
    const h = await startApi({ readiness: async () => ({ redis: 'ok' }) });
    const res = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', checks: { ledger: 'ok', redis: 'ok' } });
  });

  it('GET /readyz answers 503 when a readiness check fails', async () => {
    const h = await startApi({ readiness: async () => ({ redis: 'ECONNREFUSED' }) });
    const res = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable', checks: { ledger: 'ok', redis: 'ECONNREFUSED' } });
  });

  it('GET /readyz answers 503 when the readiness callback throws', async () => {
    const h = await startApi({
      readiness: async () => {
        throw new Error('boom');
      },
    });
    const res = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks).toEqual({ ledger: 'ok', readiness: 'unavailable' });
  });

  it('GET /readyz answers 503 and API calls 503 storage_unavailable when the ledger is gone', async () => {
    const h = await startApi();
    await h.store.close();
    const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'unavailable', checks: { ledger: 'storage_unavailable' } });
    const get = await h.request({ method: 'GET', url: '/v1/notifications' });
    expect(get.statusCode).toBe(503);
    expect(get.json()).toEqual({ error: { code: 'storage_unavailable', message: 'the ledger is unavailable; retry later' } });
  });
});
