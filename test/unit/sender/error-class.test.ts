import { describe, expect, it } from 'vitest';
import { classifyFailure } from '../../../src/sender/error-class.js';

const withCode = (message: string, code: string, cause?: unknown) => Object.assign(new Error(message, { cause }), { code });

describe('classifyFailure', () => {
  it.each([
    [withCode('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'), 'network', 'ECONNREFUSED'],
    [withCode('timeout', 'ETIMEDOUT'), 'timeout', 'ETIMEDOUT'],
    [withCode('refused', 'BLOCKED_ADDRESS'), 'blocked', 'BLOCKED_ADDRESS'],
    [withCode('refused', 'BLOCKED_REDIRECT'), 'blocked', 'BLOCKED_REDIRECT'],
    [withCode('Unsupported protocol: file:', 'ERR_UNSUPPORTED_PROTOCOL'), 'blocked', 'BLOCKED_REDIRECT'],
    [withCode('Premature close', 'ERR_STREAM_PREMATURE_CLOSE'), 'network', 'ECONNRESET'],
    // got's catch-all wrapper gives way to the cause's code.
    [withCode('wrapped', 'ERR_GOT_REQUEST_ERROR', withCode('Parse Error', 'HPE_INVALID_CONSTANT')), 'network', 'HPE_INVALID_CONSTANT'],
    [withCode('odd', 'not a stable code'), 'network', 'ERR_NETWORK'],
    [new Error('no code at all'), 'network', 'ERR_NETWORK'],
    ['a string', 'network', 'ERR_NETWORK'],
  ])('%s → %s %s', (error, kind, errorCode) => {
    expect(classifyFailure(error)).toMatchObject({ kind, errorCode });
  });

  it('keeps messages short enough for the ledger', () => {
    expect(classifyFailure(new Error('x'.repeat(5000))).message.length).toBeLessThanOrEqual(301);
  });
});
