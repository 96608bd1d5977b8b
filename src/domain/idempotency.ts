import * as crypto from 'node:crypto';

/**
 * The fingerprint compared when an idempotency key repeats. Key order in
 * objects does not matter; everything a producer can set does.
 */
export function payloadFingerprint(payload: unknown): string {
  return sha256Hex(canonicalJson(payload));
}

// crypto.hash (Node ≥ 20.12) is the one-shot form: no Hash object per call.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

function sha256Hex(text: string): string {
  return oneShotHash ? oneShotHash('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex');
}

/**
 * JSON with object keys sorted (by UTF-16 code units, as Array#sort does) and
 * undefined members left out. Built by appending to one string: this runs on
 * every keyed enqueue, and the array-per-level version cost a third more.
 */
function canonicalJson(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i += 1) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalJson(member)}`;
    first = false;
  }
  return `${out}}`;
}
