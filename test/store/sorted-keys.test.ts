/**
 * Goal: SortedKeys stays a correct ordered set across chunk splits and removals, and the
 * store's point operations stay fast at 1e5 keys. Method: random inserts and removes checked
 * against a plainly sorted array; then a timed load of 100k keys in random order.
 */
import { describe, expect, it } from 'vitest';
import { SortedKeys } from '../../src/store/sorted-keys.js';
import { MVCCStore } from '../../src/store/mvcc-store.js';
import { b, expectOk, get, keysOf, Prng, rangeOf } from './helpers.js';

function scanAll(keys: SortedKeys, start = '', end?: string): string[] {
  const out: string[] = [];
  keys.scan(start, end, (key) => {
    out.push(key);
    return true;
  });
  return out;
}

describe('SortedKeys', () => {
  it('matches a sorted array under random inserts and removes', () => {
    const prng = new Prng(7);
    const keys = new SortedKeys();
    const reference = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const key = String.fromCharCode(prng.int(40), prng.int(256), prng.int(256));
      if (reference.has(key)) {
        keys.remove(key);
        reference.delete(key);
      } else {
        keys.insert(key);
        reference.add(key);
      }
    }
    const sorted = [...reference].sort();
    expect(keys.size).toBe(sorted.length);
    expect(scanAll(keys)).toEqual(sorted);
    const start = '\u0005';
    const end = '\u0009';
    expect(scanAll(keys, start, end)).toEqual(sorted.filter((key) => key >= start && key < end));
  });

  it('stops a scan when the visitor returns false', () => {
    const keys = new SortedKeys();
    ['c', 'a', 'b'].forEach((key) => keys.insert(key));
    const seen: string[] = [];
    keys.scan('a', undefined, (key) => {
      seen.push(key);
      return key < 'b';
    });
    expect(seen).toEqual(['a', 'b']);
  });
});

describe('scale', () => {
  it('handles 100k keys with fast point operations and ranges', () => {
    const prng = new Prng(99);
    const store = new MVCCStore();
    const count = 100_000;
    const order = Array.from({ length: count }, (_, i) => i);
    for (let i = count - 1; i > 0; i--) {
      const j = prng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const started = performance.now();
    for (const i of order) {
      expectOk(store.apply({ type: 'put', request: {
        key: b(`/registry/pods/${String(i).padStart(6, '0')}`), value: b('x') } }).result);
    }
    const elapsedMs = performance.now() - started;
    expect(store.revision).toBe(count + 1);
    expect(get(store, '/registry/pods/012345')?.value).toEqual(b('x'));
    const page = rangeOf(store, { key: b('/registry/pods/05'), rangeEnd: b('/registry/pods/06'),
      limit: 3 });
    expect(keysOf(page.kvs)).toEqual(['/registry/pods/050000', '/registry/pods/050001',
      '/registry/pods/050002']);
    expect(page.count).toBe(10_000);
    expect(elapsedMs).toBeLessThan(20_000);
  });
});
