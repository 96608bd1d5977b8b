import { describe, expect, it } from 'vitest';
import { ErrorCodes, NotifydError, isNotifydError } from '../../../src/domain/index.js';

describe('NotifydError', () => {
  it('carries a stable code, its HTTP status, the field and the cause', () => {
    const cause = new Error('disk on fire');
    const error = new NotifydError('storage_unavailable', 'the ledger is unavailable', { field: 'ledger', cause, details: { retry: true } });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('NotifydError');
    expect(error.code).toBe('storage_unavailable');
    expect(error.statusCode).toBe(503);
    expect(error.field).toBe('ledger');
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ retry: true });
    expect(error.message).toBe('the ledger is unavailable');
    expect(isNotifydError(error)).toBe(true);
    expect(isNotifydError(cause)).toBe(false);
    expect(isNotifydError({ code: 'internal' })).toBe(false);
  });

  it('has no cause unless one is given', () => {
    expect('cause' in new NotifydError('internal', 'x')).toBe(false);
  });

  it('uses only the statuses DESIGN.md lists for errors', () => {
    const allowed = [400, 401, 403, 404, 409, 413, 415, 422, 429, 503, 500];
    for (const status of Object.values(ErrorCodes)) expect(allowed).toContain(status);
  });

  it.each([
    ['validation_failed', 400],
    ['invalid_json', 400],
    ['unauthorized', 401],
    ['forbidden', 403],
    ['not_found', 404],
    ['idempotency_conflict', 409], // DESIGN.md guarantee 5: same key + different payload is 409
    ['invalid_state', 409],
    ['payload_too_large', 413],
    ['unsupported_media_type', 415],
    ['unprocessable', 422],
    ['rate_limited', 429],
    ['storage_unavailable', 503],
  ] as const)('%s → %d', (code, status) => {
    expect(new NotifydError(code, 'm').statusCode).toBe(status);
  });
});
