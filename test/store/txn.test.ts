/**
 * Goal: Txn matches etcd: compares on present and missing keys and on ranges, branch choice,
 * nested txns evaluated against the pre-txn state, one revision per txn with increasing sub
 * revisions, read-only txns not bumping the revision, and static rejection of duplicate keys
 * and oversized txns. Method: table-driven compares and hand-built txns.
 */
import { describe, expect, it } from 'vitest';
import { txnOpsMax } from '../../src/store/limits.js';
import { MVCCStore } from '../../src/store/mvcc-store.js';
import { CompareResult, CompareTarget } from '../../src/store/types.js';
import type { Compare, RequestOp, TxnRequest } from '../../src/store/types.js';
import { b, codeOf, expectOk, get, put, s, storeWith } from './helpers.js';

const putOp = (key: string, value: string): RequestOp => ({
  requestPut: { key: b(key), value: b(value) },
});
const delOp = (key: string, rangeEnd?: string): RequestOp => ({
  requestDeleteRange: rangeEnd === undefined ? { key: b(key) }
    : { key: b(key), rangeEnd: b(rangeEnd) },
});
const rangeOp = (key: string): RequestOp => ({ requestRange: { key: b(key) } });

function txn(store: MVCCStore, request: TxnRequest): ReturnType<typeof store.apply<{
  type: 'txn'; request: TxnRequest; }>> {
  return store.apply({ type: 'txn', request });
}

describe('compare', () => {
  // 'a' = "x" created at 2, modified at 3 (version 2); 'b' = "y" at 4; 'gone' put at 5,
  // deleted at 6.
  const store = storeWith(['a', 'w'], ['a', 'x'], ['b', 'y'], ['gone', 'z']);
  store.apply({ type: 'deleteRange', request: { key: b('gone') } });

  const cases: [string, Compare, boolean][] = [
    ['version equal', { key: b('a'), target: CompareTarget.VERSION, result: CompareResult.EQUAL,
      version: 2 }, true],
    ['version greater', { key: b('a'), target: CompareTarget.VERSION,
      result: CompareResult.GREATER, version: 1 }, true],
    ['create equal', { key: b('a'), target: CompareTarget.CREATE, result: CompareResult.EQUAL,
      createRevision: 2 }, true],
    ['mod less', { key: b('a'), target: CompareTarget.MOD, result: CompareResult.LESS,
      modRevision: 3 }, false],
    ['value equal', { key: b('a'), target: CompareTarget.VALUE, result: CompareResult.EQUAL,
      value: b('x') }, true],
    ['value not equal', { key: b('a'), target: CompareTarget.VALUE,
      result: CompareResult.NOT_EQUAL, value: b('x') }, false],
    ['lease equal 0', { key: b('a'), target: CompareTarget.LEASE, result: CompareResult.EQUAL,
      lease: 0 }, true],
    ['missing: version equal 0', { key: b('nope'), target: CompareTarget.VERSION,
      result: CompareResult.EQUAL, version: 0 }, true],
    ['missing: create equal 0', { key: b('nope'), target: CompareTarget.CREATE,
      result: CompareResult.EQUAL }, true],
    ['missing: mod equal 0', { key: b('nope'), target: CompareTarget.MOD,
      result: CompareResult.EQUAL, modRevision: 0 }, true],
    ['missing: lease equal 0', { key: b('nope'), target: CompareTarget.LEASE,
      result: CompareResult.EQUAL }, true],
    ['missing: value equal empty fails', { key: b('nope'), target: CompareTarget.VALUE,
      result: CompareResult.EQUAL, value: b('') }, false],
    ['missing: value not equal fails', { key: b('nope'), target: CompareTarget.VALUE,
      result: CompareResult.NOT_EQUAL, value: b('q') }, false],
    ['deleted key: version equal 0', { key: b('gone'), target: CompareTarget.VERSION,
      result: CompareResult.EQUAL, version: 0 }, true],
    ['range: every key version > 0', { key: b('a'), rangeEnd: b('c'),
      target: CompareTarget.VERSION, result: CompareResult.GREATER, version: 0 }, true],
    ['range: not every key version 2', { key: b('a'), rangeEnd: b('c'),
      target: CompareTarget.VERSION, result: CompareResult.EQUAL, version: 2 }, false],
    ['range \\0: every key value != "q"', { key: b('a'), rangeEnd: new Uint8Array([0]),
      target: CompareTarget.VALUE, result: CompareResult.NOT_EQUAL, value: b('q') }, true],
    ['empty range: mod equal 0', { key: b('m'), rangeEnd: b('n'), target: CompareTarget.MOD,
      result: CompareResult.EQUAL }, true],
  ];

  it.each(cases)('%s -> %s', (_name, compare, expected) => {
    const response = expectOk(txn(store, { compare: [compare] }).result);
    expect(response.succeeded).toBe(expected);
    expect(response.header.revision).toBe(6);
  });
});

describe('txn execution', () => {
  it('runs success or failure and bumps the revision once with sub revisions', () => {
    const store = storeWith(['a', '1']);
    const applied = txn(store, {
      compare: [{ key: b('a'), target: CompareTarget.VALUE, result: CompareResult.EQUAL,
        value: b('1') }],
      success: [putOp('x', '1'), putOp('y', '2'), delOp('a'), rangeOp('x')],
      failure: [putOp('never', '!')],
    });
    const response = expectOk(applied.result);
    expect(response.succeeded).toBe(true);
    expect(response.header.revision).toBe(3);
    expect(store.revision).toBe(3);
    expect(applied.events.map((event) => [s(event.kv.key), event.kv.modRevision]))
      .toEqual([['x', 3], ['y', 3], ['a', 3]]);
    const read = response.responses[3];
    expect(read !== undefined && 'responseRange' in read ? read.responseRange.kvs.length : -1)
      .toBe(1);
    expect(get(store, 'never')).toBeUndefined();
  });

  it('does not bump the revision for a read-only branch or a write-free failure', () => {
    const store = storeWith(['a', '1']);
    const applied = txn(store, { success: [rangeOp('a')], failure: [putOp('b', '1')] });
    expect(expectOk(applied.result).header.revision).toBe(2);
    expect(applied.events).toEqual([]);
  });

  it('evaluates nested compares against the pre-txn state', () => {
    const store = new MVCCStore();
    const nested: TxnRequest = {
      compare: [{ key: b('k'), target: CompareTarget.VERSION, result: CompareResult.EQUAL,
        version: 0 }],
      success: [putOp('seen-missing', '1')],
      failure: [putOp('seen-present', '1')],
    };
    const applied = txn(store, { success: [putOp('k', 'v'), { requestTxn: nested }] });
    const response = expectOk(applied.result);
    const inner = response.responses[1];
    expect(inner !== undefined && 'responseTxn' in inner ? inner.responseTxn.succeeded : null)
      .toBe(true);
    expect(get(store, 'seen-missing')?.modRevision).toBe(2);
    expect(get(store, 'seen-present')).toBeUndefined();
  });

  it('fails a range at a future revision before any write', () => {
    const store = storeWith(['a', '1']);
    const applied = txn(store, { success: [putOp('b', '1'), { requestRange: {
      key: b('a'), revision: 3 } }] });
    expect(codeOf(applied.result)).toBe('STORE_ERR_FUTURE_REV');
    expect(store.revision).toBe(2);
    expect(get(store, 'b')).toBeUndefined();
  });
});

describe('txn validation', () => {
  const many = (count: number): RequestOp[] =>
    Array.from({ length: count }, (_, i) => putOp(`k${i}`, 'v'));
  const cases: [string, TxnRequest, string][] = [
    ['duplicate puts', { success: [putOp('a', '1'), putOp('a', '2')] },
      'STORE_ERR_DUPLICATE_KEY'],
    ['put inside a deleted range', { success: [delOp('a', 'c'), putOp('b', '1')] },
      'STORE_ERR_DUPLICATE_KEY'],
    ['put and delete of one key', { success: [putOp('a', '1'), delOp('a')] },
      'STORE_ERR_DUPLICATE_KEY'],
    ['put outside the deleted range', { success: [delOp('a', 'c'), putOp('c', '1')] }, 'ok'],
    ['overlapping deletes', { success: [delOp('a', 'c'), delOp('b')] }, 'ok'],
    ['same key in then and else of a nested txn', { success: [{ requestTxn: {
      success: [putOp('a', '1')], failure: [putOp('a', '2')] } }] }, 'ok'],
    ['nested put duplicating a parent put', { success: [putOp('a', '1'), { requestTxn: {
      success: [putOp('a', '2')] } }] }, 'STORE_ERR_DUPLICATE_KEY'],
    ['nested else put duplicating a parent put', { success: [putOp('a', '1'), { requestTxn: {
      failure: [putOp('a', '2')] } }] }, 'STORE_ERR_DUPLICATE_KEY'],
    ['nested delete covering a parent put', { success: [putOp('b', '1'), { requestTxn: {
      success: [delOp('a', 'z')] } }] }, 'STORE_ERR_DUPLICATE_KEY'],
    ['same key in success and failure', { success: [putOp('a', '1')],
      failure: [putOp('a', '2')] }, 'ok'],
    ['txnOpsMax puts', { success: many(txnOpsMax) }, 'ok'],
    ['txnOpsMax + 1 puts', { success: many(txnOpsMax + 1) }, 'STORE_ERR_TOO_MANY_OPS'],
    ['nested txn over the remaining budget', { compare: [], success: [...many(100), {
      requestTxn: { success: many(29) } }] }, 'STORE_ERR_TOO_MANY_OPS'],
    ['empty compare key', { compare: [{ key: b(''), target: CompareTarget.VERSION,
      result: CompareResult.EQUAL }] }, 'STORE_ERR_EMPTY_KEY'],
  ];

  it.each(cases)('%s -> %s', (_name, request, code) => {
    const store = new MVCCStore();
    const applied = txn(store, request);
    expect(codeOf(applied.result)).toBe(code);
    if (code !== 'ok') {
      expect(store.revision).toBe(1);
      expect(applied.events).toEqual([]);
    }
  });

  it('uses the exact etcd message for duplicate keys', () => {
    const outcome = txn(new MVCCStore(), { success: [putOp('a', '1'), putOp('a', '2')] }).result;
    expect(outcome.ok ? '' : outcome.error.message)
      .toBe('etcdserver: duplicate key given in txn request');
  });

  it('checks ignoreValue against the pre-txn state', () => {
    const store = storeWith(['a', '1']);
    const applied = txn(store, { success: [{ requestPut: { key: b('b'), ignoreValue: true } }] });
    expect(codeOf(applied.result)).toBe('STORE_ERR_KEY_NOT_FOUND');
    expect(put(store, 'a', '2').revision).toBe(3);
  });
});
