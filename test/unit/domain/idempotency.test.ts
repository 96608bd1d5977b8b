import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadFingerprint } from '../../../src/domain/index.js';

const ENQUEUE = {
  url: 'https://merchant.example.com/alipay/notify',
  body: { out_trade_no: '20261124-0001', trade_status: 'TRADE_SUCCESS', amount: { total: 100, currency: 'CNY' } },
  contentType: 'application/json',
  headers: { 'x-merchant': 'm-42' },
  schedule: ['15s', '4m'],
  success: { status: '2xx', body: 'success' },
  metadata: { merchant: 'm-42' },
};

describe('payloadFingerprint', () => {
  it('is a SHA-256 hex digest and deterministic', () => {
    expect(payloadFingerprint(ENQUEUE)).toMatch(/^[0-9a-f]{64}$/);
    expect(payloadFingerprint(ENQUEUE)).toBe(payloadFingerprint(structuredClone(ENQUEUE)));
  });

  it('ignores object key order, at every depth', () => {
    const reordered = {
      metadata: { merchant: 'm-42' },
      success: { body: 'success', status: '2xx' },
      schedule: ['15s', '4m'],
      headers: { 'x-merchant': 'm-42' },
      contentType: 'application/json',
      body: { amount: { currency: 'CNY', total: 100 }, trade_status: 'TRADE_SUCCESS', out_trade_no: '20261124-0001' },
      url: 'https://merchant.example.com/alipay/notify',
    };
    expect(payloadFingerprint(reordered)).toBe(payloadFingerprint(ENQUEUE));
  });

  it('ignores keys whose value is undefined (they are absent in JSON)', () => {
    expect(payloadFingerprint({ ...ENQUEUE, idempotencyKey: undefined })).toBe(payloadFingerprint(ENQUEUE));
  });

  it.each([
    ['the url', { ...ENQUEUE, url: 'https://merchant.example.com/alipay/notify2' }],
    ['a nested body value', { ...ENQUEUE, body: { ...ENQUEUE.body, amount: { total: 101, currency: 'CNY' } } }],
    ['a value type (number → string)', { ...ENQUEUE, body: { ...ENQUEUE.body, amount: { total: '100', currency: 'CNY' } } }],
    ['a body key', { ...ENQUEUE, body: { ...ENQUEUE.body, extra: null } }],
    ['the content type', { ...ENQUEUE, contentType: 'application/x-www-form-urlencoded' }],
    ['a header value', { ...ENQUEUE, headers: { 'x-merchant': 'm-43' } }],
    ['a header name', { ...ENQUEUE, headers: { 'x-merchant2': 'm-42' } }],
    ['the schedule', { ...ENQUEUE, schedule: ['15s', '5m'] }],
    ['the success rule', { ...ENQUEUE, success: { status: '2xx', body: null } }],
    ['the metadata', { ...ENQUEUE, metadata: null }],
    ['a missing field', (({ metadata: _, ...rest }) => rest)(ENQUEUE)],
  ])('changes when %s changes', (_, changed) => {
    expect(payloadFingerprint(changed)).not.toBe(payloadFingerprint(ENQUEUE));
  });

  it('keeps array order', () => {
    expect(payloadFingerprint({ ...ENQUEUE, schedule: ['4m', '15s'] })).not.toBe(payloadFingerprint(ENQUEUE));
    expect(payloadFingerprint([1, 2, 3])).not.toBe(payloadFingerprint([3, 2, 1]));
    expect(payloadFingerprint([[1], [2]])).not.toBe(payloadFingerprint([[2], [1]]));
  });

  it('tells a string body from the same JSON as an object', () => {
    expect(payloadFingerprint({ body: '{"a":1}' })).not.toBe(payloadFingerprint({ body: { a: 1 } }));
  });

  it('does not confuse values that stringify alike', () => {
    const fingerprints = [null, 0, '0', false, 'false', 'null', [], {}, '', [null], { a: null }].map(payloadFingerprint);
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
  });

  it('does not let a key collide with a neighbouring value', () => {
    expect(payloadFingerprint({ 'a":1,"b': 2 })).not.toBe(payloadFingerprint({ a: 1, b: 2 }));
  });

  it('holds for arbitrary JSON: shuffling keys never changes it, any change of a value does', () => {
    const shuffleKeys = (value: unknown, seed: number): unknown => {
      if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, seed));
      if (value === null || typeof value !== 'object') return value;
      const entries = Object.entries(value);
      const rotated = entries.slice(seed % Math.max(1, entries.length)).concat(entries.slice(0, seed % Math.max(1, entries.length))).reverse();
      return Object.fromEntries(rotated.map(([k, v]) => [k, shuffleKeys(v, seed + 1)]));
    };
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, seed) => {
        expect(payloadFingerprint(shuffleKeys(value, seed))).toBe(payloadFingerprint(value));
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), fc.jsonValue(), (object, replacement) => {
        const key = Object.keys(object)[0]!;
        fc.pre(JSON.stringify(replacement) !== JSON.stringify(object[key]));
        // Canonical JSON is only blind to key order, so differently-ordered equal objects are skipped.
        fc.pre(payloadFingerprint(replacement) !== payloadFingerprint(object[key]));
        const changed = Object.fromEntries(Object.entries(object).map(([k, v]) => [k, k === key ? replacement : v]));
        expect(payloadFingerprint(changed)).not.toBe(payloadFingerprint(object));
      }),
    );
  });
});
