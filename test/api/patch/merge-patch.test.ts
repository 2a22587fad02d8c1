/**
 * Goal: applyMergePatch follows RFC 7386. Method: every example of RFC 7386 Appendix A as a
 * table, plus checks that inputs stay untouched and that hostile nesting is refused.
 */
import { describe, expect, it } from 'vitest';
import { applyMergePatch } from '../../../src/api/patch/merge-patch.js';
import { PatchError } from '../../../src/api/patch/errors.js';
import type { JSONValue } from '../../../src/resources/types.js';

describe('applyMergePatch: RFC 7386 Appendix A', () => {
  it.each<[JSONValue, JSONValue, JSONValue]>([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j + %j = %j', (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });
});

describe('applyMergePatch: purity and bounds', () => {
  it('never mutates the target or the patch, and shares nothing with them', () => {
    const target = { metadata: { labels: { app: 'web' } }, spec: { replicas: 1 } };
    const patch = { metadata: { labels: { tier: 'front' } }, spec: { template: { a: 1 } } };
    const before = JSON.stringify([target, patch]);
    const result = applyMergePatch(target, patch) as { spec: { template: unknown } };
    expect(JSON.stringify([target, patch])).toBe(before);
    expect(result.spec.template).not.toBe(patch.spec.template);
  });

  it('treats an absent target as nothing', () => {
    expect(applyMergePatch(undefined, { a: { b: null, c: 1 } })).toEqual({ a: { c: 1 } });
  });

  it('keeps a "__proto__" key as an own field', () => {
    const patch = JSON.parse('{"__proto__": {"x": 1}}') as JSONValue;
    const result = applyMergePatch({}, patch) as Record<string, unknown>;
    expect(Object.keys(result)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
  });

  it('refuses nesting deeper than the bound with a PatchError, not a stack overflow', () => {
    let deep: JSONValue = 1;
    for (let level = 0; level < 100_000; level += 1) deep = { a: deep };
    expect(() => applyMergePatch({}, deep)).toThrow(PatchError);
    expect(() => applyMergePatch({}, deep)).toThrow(/nests deeper than 100 levels/);
  });
});
