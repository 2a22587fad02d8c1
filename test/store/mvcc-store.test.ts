/**
 * Goal: MVCCStore's key-value semantics match etcd v3 (revisions, versions, range variants,
 * put and delete options). Method: table-driven cases over small hand-built stores, each
 * asserting the exact responses etcd gives for the same sequence.
 */
import { describe, expect, it } from 'vitest';
import { MVCCStore } from '../../src/store/mvcc-store.js';
import { EventType, SortOrder, SortTarget } from '../../src/store/types.js';
import type { RangeRequest } from '../../src/store/types.js';
import {
  b, codeOf, del, expectOk, get, keysOf, put, rangeOf, s, storeWith,
} from './helpers.js';

describe('revisions and versions', () => {
  it('starts at revision 1 and the first write gets revision 2', () => {
    const store = new MVCCStore();
    expect(store.revision).toBe(1);
    const applied = put(store, 'a', '1');
    expect(expectOk(applied.result)).toEqual({ header: { revision: 2 } });
    expect(applied.revision).toBe(2);
    expect(get(store, 'a')).toMatchObject({ createRevision: 2, modRevision: 2, version: 1 });
  });

  it('tracks create, mod and version across create-delete-recreate', () => {
    const store = new MVCCStore();
    put(store, 'k', 'v1'); // rev 2
    put(store, 'k', 'v2'); // rev 3
    expect(get(store, 'k')).toMatchObject({ createRevision: 2, modRevision: 3, version: 2 });
    expect(expectOk(del(store, 'k').result)).toMatchObject({ deleted: 1, header: { revision: 4 } });
    expect(get(store, 'k')).toBeUndefined();
    put(store, 'k', 'v3'); // rev 5
    expect(get(store, 'k')).toMatchObject({ createRevision: 5, modRevision: 5, version: 1 });
    expect(s(get(store, 'k', 3)?.value ?? b(''))).toBe('v2');
    expect(get(store, 'k', 4)).toBeUndefined();
  });

  it('does not bump the revision when a delete removes nothing', () => {
    const store = storeWith(['a', '1']);
    const applied = del(store, 'zzz');
    expect(expectOk(applied.result)).toEqual({ header: { revision: 2 }, deleted: 0, prevKvs: [] });
    expect(applied.events).toEqual([]);
    expect(store.revision).toBe(2);
  });

  it('emits PUT and DELETE events with prevKv at the new revision', () => {
    const store = storeWith(['a', '1']);
    const putEvent = put(store, 'a', '2').events[0];
    expect(putEvent?.type).toBe(EventType.PUT);
    expect(s(putEvent?.prevKv?.value ?? b(''))).toBe('1');
    const deleteEvents = del(store, 'a').events;
    expect(deleteEvents).toHaveLength(1);
    expect(deleteEvents[0]).toMatchObject({
      type: EventType.DELETE, kv: { modRevision: 4, version: 0, createRevision: 0 },
      prevKv: { version: 2 },
    });
  });
});

describe('range', () => {
  const store = storeWith(['a', '3'], ['b', '1'], ['c', '2'], ['d', '2'], ['e', '0']);
  // revisions: a=2 b=3 c=4 d=5 e=6; then b is rewritten at 7.
  put(store, 'b', '9');

  const cases: [string, RangeRequest, string[], { count: number; more: boolean }][] = [
    ['single key', { key: b('b') }, ['b'], { count: 1, more: false }],
    ['missing key', { key: b('zz') }, [], { count: 0, more: false }],
    ['[b, d)', { key: b('b'), rangeEnd: b('d') }, ['b', 'c'], { count: 2, more: false }],
    ['>= c via \\0', { key: b('c'), rangeEnd: new Uint8Array([0]) }, ['c', 'd', 'e'],
      { count: 3, more: false }],
    ['all keys via \\0 \\0', { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) },
      ['a', 'b', 'c', 'd', 'e'], { count: 5, more: false }],
    ['end before start', { key: b('d'), rangeEnd: b('b') }, [], { count: 0, more: false }],
    ['limit 2', { key: b('a'), rangeEnd: b('z'), limit: 2 }, ['a', 'b'],
      { count: 5, more: true }],
    ['limit equal to count', { key: b('a'), rangeEnd: b('z'), limit: 5 },
      ['a', 'b', 'c', 'd', 'e'], { count: 5, more: false }],
    ['sort by value ascend', { key: b('a'), rangeEnd: b('z'), sortTarget: SortTarget.VALUE,
      sortOrder: SortOrder.ASCEND }, ['e', 'c', 'd', 'a', 'b'], { count: 5, more: false }],
    ['sort target MOD with order NONE ascends', { key: b('a'), rangeEnd: b('z'),
      sortTarget: SortTarget.MOD }, ['a', 'c', 'd', 'e', 'b'], { count: 5, more: false }],
    ['sort by key descend with limit', { key: b('a'), rangeEnd: b('z'),
      sortOrder: SortOrder.DESCEND, limit: 2 }, ['e', 'd'], { count: 5, more: true }],
    ['sort by version descend', { key: b('a'), rangeEnd: b('z'),
      sortOrder: SortOrder.DESCEND, sortTarget: SortTarget.VERSION },
    ['b', 'a', 'c', 'd', 'e'], { count: 5, more: false }],
    ['sort by create descend', { key: b('a'), rangeEnd: b('z'),
      sortOrder: SortOrder.DESCEND, sortTarget: SortTarget.CREATE },
    ['e', 'd', 'c', 'b', 'a'], { count: 5, more: false }],
    ['past revision 4', { key: b('a'), rangeEnd: b('z'), revision: 4 }, ['a', 'b', 'c'],
      { count: 3, more: false }],
    ['minModRevision 5', { key: b('a'), rangeEnd: b('z'), minModRevision: 5 },
      ['d', 'e', 'b'].sort(), { count: 5, more: false }],
    ['maxModRevision 4', { key: b('a'), rangeEnd: b('z'), maxModRevision: 4 }, ['a', 'c'],
      { count: 5, more: false }],
    ['minCreateRevision 4, maxCreateRevision 5', { key: b('a'), rangeEnd: b('z'),
      minCreateRevision: 4, maxCreateRevision: 5 }, ['c', 'd'], { count: 5, more: false }],
    ['filter then limit', { key: b('a'), rangeEnd: b('z'), minModRevision: 4, limit: 1 },
      ['b'], { count: 5, more: true }],
  ];

  it.each(cases)('%s', (_name, request, keys, shape) => {
    const response = rangeOf(store, request);
    expect(keysOf(response.kvs)).toEqual(keys);
    expect({ count: response.count, more: response.more }).toEqual(shape);
    expect(response.header.revision).toBe(7);
  });

  it('returns only the count with countOnly, and no values with keysOnly', () => {
    const counted = rangeOf(store, { key: b('a'), rangeEnd: b('z'), countOnly: true });
    expect(counted).toEqual({ header: { revision: 7 }, kvs: [], more: false, count: 5 });
    const keysOnly = rangeOf(store, { key: b('a'), keysOnly: true });
    expect(keysOnly.kvs[0]?.value).toEqual(new Uint8Array(0));
    expect(keysOnly.kvs[0]?.version).toBe(1);
  });

  it.each([
    ['future revision', 8, 'STORE_ERR_FUTURE_REV'],
    ['current revision', 7, 'ok'],
    ['revision 0 is current', 0, 'ok'],
  ])('%s', (_name, revision, code) => {
    expect(codeOf(store.range({ key: b('a'), revision }))).toBe(code);
  });

  it('rejects empty and oversized keys', () => {
    expect(codeOf(store.range({ key: b('') }))).toBe('STORE_ERR_EMPTY_KEY');
    expect(codeOf(store.range({ key: new Uint8Array(1025) }))).toBe('STORE_ERR_KEY_TOO_LARGE');
    expect(codeOf(store.range({ key: new Uint8Array(1024) }))).toBe('ok');
  });

  it('carries the exact etcd messages', () => {
    const outcome = store.range({ key: b('a'), revision: 100 });
    expect(outcome.ok ? '' : outcome.error.message)
      .toBe('etcdserver: mvcc: required revision is a future revision');
  });
});

describe('put options', () => {
  it('returns prevKv only when asked and only when the key existed', () => {
    const store = new MVCCStore();
    expect(expectOk(put(store, 'a', '1', { prevKv: true }).result).prevKv).toBeUndefined();
    const second = expectOk(put(store, 'a', '2', { prevKv: true }).result);
    expect(s(second.prevKv?.value ?? b(''))).toBe('1');
    expect(expectOk(put(store, 'a', '3').result).prevKv).toBeUndefined();
  });

  it('keeps the value with ignoreValue and fails on a missing key', () => {
    const store = storeWith(['a', 'keep']);
    const applied = store.apply({ type: 'put', request: { key: b('a'), ignoreValue: true } });
    expectOk(applied.result);
    expect(get(store, 'a')).toMatchObject({ version: 2, value: b('keep') });
    const missing = store.apply({ type: 'put', request: { key: b('zz'), ignoreValue: true } });
    expect(codeOf(missing.result)).toBe('STORE_ERR_KEY_NOT_FOUND');
    expect(missing.events).toEqual([]);
    const provided = store.apply({
      type: 'put', request: { key: b('a'), value: b('x'), ignoreValue: true },
    });
    expect(codeOf(provided.result)).toBe('STORE_ERR_VALUE_PROVIDED');
  });

  it('allows empty values and rejects empty keys', () => {
    const store = new MVCCStore();
    expectOk(store.apply({ type: 'put', request: { key: b('a') } }).result);
    expect(get(store, 'a')?.value).toEqual(new Uint8Array(0));
    expect(codeOf(put(store, '', 'x').result)).toBe('STORE_ERR_EMPTY_KEY');
    expect(store.revision).toBe(2);
  });

  it('rejects unknown leases without changing state', () => {
    const store = new MVCCStore();
    const applied = put(store, 'a', '1', { lease: 42 });
    expect(codeOf(applied.result)).toBe('STORE_ERR_LEASE_NOT_FOUND');
    expect(store.revision).toBe(1);
    expect(applied.events).toEqual([]);
  });

  it('copies ingested bytes so callers may reuse their buffers', () => {
    const store = new MVCCStore();
    const key = b('k');
    const value = b('v');
    expectOk(store.apply({ type: 'put', request: { key, value } }).result);
    key[0] = 0x78;
    value[0] = 0x78;
    expect(s(get(store, 'k')?.value ?? b(''))).toBe('v');
  });
});

describe('delete range', () => {
  it('deletes a range in one revision with prevKvs', () => {
    const store = storeWith(['a', '1'], ['b', '2'], ['c', '3']);
    const applied = store.apply({
      type: 'deleteRange', request: { key: b('a'), rangeEnd: b('c'), prevKv: true },
    });
    const response = expectOk(applied.result);
    expect(response.deleted).toBe(2);
    expect(keysOf(response.prevKvs)).toEqual(['a', 'b']);
    expect(response.header.revision).toBe(5);
    expect(applied.events.map((event) => event.kv.modRevision)).toEqual([5, 5]);
    expect(keysOf(rangeOf(store, { key: b('a'), rangeEnd: new Uint8Array([0]) }).kvs))
      .toEqual(['c']);
  });
});

describe('limits', () => {
  it.each([
    ['key of 1024 bytes', { key: new Uint8Array(1024).fill(97) }, 'ok'],
    ['key of 1025 bytes', { key: new Uint8Array(1025).fill(97) }, 'STORE_ERR_KEY_TOO_LARGE'],
    ['value of 1.5 MiB', { key: b('k'), value: new Uint8Array(1.5 * 1024 * 1024) }, 'ok'],
    ['value over 1.5 MiB', { key: b('k'), value: new Uint8Array(1.5 * 1024 * 1024 + 1) },
      'STORE_ERR_REQUEST_TOO_LARGE'],
  ])('%s -> %s', (_name, request, code) => {
    const store = new MVCCStore();
    expect(codeOf(store.apply({ type: 'put', request }).result)).toBe(code);
  });
});

describe('state hash', () => {
  it('differs when live state differs and ignores how it was reached', () => {
    const direct = storeWith(['a', '1'], ['b', '2']);
    const other = storeWith(['a', '1'], ['b', '3']);
    expect(direct.stateHash()).not.toBe(other.stateHash());
    expect(direct.stateHash()).toBe(storeWith(['a', '1'], ['b', '2']).stateHash());
    expect(direct.stateHash()).toMatch(/^[0-9a-f]{16}$/);
  });
});
