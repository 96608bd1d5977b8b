import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds } from '../../../src/api/json-body.js';

const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;

describe('jsonDepthExceeds', () => {
  it('allows exactly the limit and refuses one level more, for arrays and objects', () => {
    expect(jsonDepthExceeds(nested(32), 32)).toBe(false);
    expect(jsonDepthExceeds(nested(33), 32)).toBe(true);
    const objects = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
    expect(jsonDepthExceeds(objects(32), 32)).toBe(false);
    expect(jsonDepthExceeds(objects(33), 32)).toBe(true);
  });

  it('counts depth, not openers: many shallow siblings pass', () => {
    const siblings = `{"items":[${Array.from({ length: 500 }, (_, i) => `{"n":${i},"tags":[1,2]}`).join(',')}]}`;
    expect(jsonDepthExceeds(siblings, 32)).toBe(false);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const inString = JSON.stringify({ text: `${nested(100)} \\" ${'{'.repeat(100)}` });
    expect(jsonDepthExceeds(inString, 32)).toBe(false);
    // The same brackets outside the string do count.
    expect(jsonDepthExceeds(`[${JSON.stringify('"')},${nested(40)}]`, 32)).toBe(true);
  });

  it('a body with few brackets is never too deep', () => {
    expect(jsonDepthExceeds(JSON.stringify({ url: 'https://x.example/', body: { pad: 'x'.repeat(500) } }), 32)).toBe(false);
    expect(jsonDepthExceeds('', 32)).toBe(false);
  });
});
