/**
 * Goal: compaction follows etcd's keyIndex.compact: keep each key's latest version at or
 * below the compaction revision (unless it is a tombstone), drop the rest of the history,
 * and answer reads below it with Compacted. Method: small histories compacted at chosen
 * revisions, checked through range reads and the retained record count.
 */
import { describe, expect, it } from 'vitest';
import { MVCCStore } from '../../src/store/mvcc-store.js';
import { b, codeOf, del, expectOk, get, keysOf, put, rangeOf, s } from './helpers.js';

function history(): MVCCStore {
  const store = new MVCCStore();
  put(store, 'a', 'a1'); // 2
  put(store, 'a', 'a2'); // 3
  put(store, 'b', 'b1'); // 4
  del(store, 'b'); // 5
  put(store, 'a', 'a3'); // 6
  put(store, 'c', 'c1'); // 7
  del(store, 'c'); // 8
  return store;
}

const compact = (store: MVCCStore, revision: number): ReturnType<MVCCStore['apply']> =>
  store.apply({ type: 'compaction', request: { revision } });

describe('compaction', () => {
  it.each([
    ['future', 9, 'STORE_ERR_FUTURE_REV'],
    ['current', 8, 'ok'],
    ['past', 4, 'ok'],
  ])('compacting at a %s revision -> %s', (_name, revision, code) => {
    expect(codeOf(compact(history(), revision).result)).toBe(code);
  });

  it('rejects compacting at or below the compacted revision', () => {
    const store = history();
    expectOk(compact(store, 4).result);
    expect(codeOf(compact(store, 4).result)).toBe('STORE_ERR_COMPACTED');
    expect(codeOf(compact(store, 3).result)).toBe('STORE_ERR_COMPACTED');
    expect(store.compactRevision).toBe(4);
  });

  it('keeps the latest version at or below the compaction and reads at it', () => {
    const store = history();
    expectOk(compact(store, 4).result);
    expect(codeOf(store.range({ key: b('a'), revision: 3 }))).toBe('STORE_ERR_COMPACTED');
    expect(s(get(store, 'a', 4)?.value ?? b(''))).toBe('a2');
    expect(s(get(store, 'b', 4)?.value ?? b(''))).toBe('b1');
    expect(get(store, 'b', 5)).toBeUndefined();
    expect(s(get(store, 'a', 5)?.value ?? b(''))).toBe('a2');
    expect(s(get(store, 'a')?.value ?? b(''))).toBe('a3');
    expect(get(store, 'a')).toMatchObject({ createRevision: 2, version: 3 });
  });

  it('drops tombstoned keys whose deletion is at or below the compaction', () => {
    const store = history();
    const applied = compact(store, 8);
    expectOk(applied.result);
    expect(store.keyCount).toBe(1);
    expect(keysOf(rangeOf(store, { key: b('a'), rangeEnd: new Uint8Array([0]) }).kvs))
      .toEqual(['a']);
    // Removed: a@2, a@3, b@4, b@5 (tombstone), c@7, c@8 (tombstone); kept: a@6.
    expect(store.recordCount).toBe(1);
    expect(applied.events).toEqual([]);
    expect(store.revision).toBe(8);
  });

  it('compacts incrementally and keeps the revision and the next writes right', () => {
    const store = history();
    expectOk(compact(store, 3).result);
    expectOk(compact(store, 6).result);
    expect(store.keyCount).toBe(2);
    expect(s(get(store, 'a', 6)?.value ?? b(''))).toBe('a3');
    expect(get(store, 'c', 7)?.version).toBe(1);
    expect(put(store, 'b', 'again').revision).toBe(9);
    expect(get(store, 'b')).toMatchObject({ createRevision: 9, version: 1 });
  });
});
