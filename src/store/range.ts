/**
 * @module store/range
 *
 * Range reads and txn compares over the KeyIndex, with etcd's exact semantics
 * (server/etcdserver/txn/range.go executeRange, txn.go applyCompare/compareKV and
 * server/storage/mvcc/kvstore_txn.go rangeKeys):
 *
 * - `rangeEnd` empty: the single key; `[0]`: every key >= key; else [key, rangeEnd).
 * - revision 0 (or negative) reads the current revision; above it: FutureRevision; below
 *   the compacted revision: Compacted (the compacted revision itself stays readable).
 * - `count` is the number of keys in range at that revision, before limit and filters.
 * - NONE sort order with a target other than KEY sorts ascending; KEY ascending is the
 *   natural order. Sorting is stable, so ties stay in key order.
 * - The response header carries the store's current revision, not the one read at.
 */
import { assert, assertNever, assertSafeInteger } from './assert.js';
import { bytesToBinary, compareBytes, emptyBytes } from './bytes.js';
import { type Outcome, type StoreErrorCode, fail, ok } from './errors.js';
import type { KeyBounds, KeyIndex, KVRecord } from './key-index.js';
import {
  type Compare, CompareResult, CompareTarget, type KeyValue, type RangeRequest,
  type RangeResponse, SortOrder, type SortOrderValue, SortTarget, type SortTargetValue,
} from './types.js';

/** Normalizes a (key, rangeEnd) pair into KeyBounds. */
export function keyBounds(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeyBounds {
  const start = bytesToBinary(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) {
    return { start, end: undefined, single: true };
  }
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) {
    return { start, end: undefined, single: false };
  }
  return { start, end: bytesToBinary(rangeEnd), single: false };
}

/** The view a read runs against: the index, the revision it sees and the compaction. */
export interface ReadView {
  readonly index: KeyIndex;
  /** The newest revision visible to the read (the store revision, or the txn's view). */
  readonly revision: number;
  readonly compactRevision: number;
}

/** Checks a range's revision against the view: Compacted, FutureRevision or undefined. */
export function checkRangeRevision(view: ReadView, revision: number): StoreErrorCode | undefined {
  assertSafeInteger(revision, 'range revision');
  if (revision > view.revision) {
    return 'STORE_ERR_FUTURE_REV';
  }
  if (revision > 0 && revision < view.compactRevision) {
    return 'STORE_ERR_COMPACTED';
  }
  return undefined;
}

/** Executes a range read against `view`. */
export function executeRange(view: ReadView, request: RangeRequest): Outcome<RangeResponse> {
  const requested = request.revision ?? 0;
  const error = checkRangeRevision(view, requested);
  if (error !== undefined) {
    return fail(error);
  }
  const revision = requested > 0 ? requested : view.revision;
  const bounds = keyBounds(request.key, request.rangeEnd);
  const header = { revision: view.revision };
  const limit = Math.max(0, request.limit ?? 0);
  assertSafeInteger(limit, 'range limit');
  if (request.countOnly === true) {
    let count = 0;
    view.index.scanAt(bounds, revision, () => {
      count += 1;
      return true;
    });
    return ok({ header, kvs: [], more: false, count });
  }
  const fetchAll = (request.sortOrder ?? SortOrder.NONE) !== SortOrder.NONE
    || hasRevisionFilter(request);
  const fetchMax = fetchAll || limit === 0 ? Number.POSITIVE_INFINITY : limit + 1;
  const records: KVRecord[] = [];
  let count = 0;
  view.index.scanAt(bounds, revision, (record) => {
    count += 1;
    if (records.length < fetchMax) {
      records.push(record);
    }
    return true;
  });
  let kvs = filterKvs(records.map((record) => record.kv), request);
  kvs = sortKvs(kvs, request.sortOrder ?? SortOrder.NONE, request.sortTarget ?? SortTarget.KEY);
  let more = false;
  if (limit > 0 && kvs.length > limit) {
    kvs = kvs.slice(0, limit);
    more = true;
  }
  if (request.keysOnly === true) {
    kvs = kvs.map((kv) => ({ ...kv, value: emptyBytes }));
  }
  assert(kvs.length <= count, 'returned kvs never exceed the count');
  return ok({ header, kvs, more, count });
}

function hasRevisionFilter(request: RangeRequest): boolean {
  return (request.minModRevision ?? 0) !== 0 || (request.maxModRevision ?? 0) !== 0
    || (request.minCreateRevision ?? 0) !== 0 || (request.maxCreateRevision ?? 0) !== 0;
}

function filterKvs(kvs: KeyValue[], request: RangeRequest): KeyValue[] {
  const minMod = request.minModRevision ?? 0;
  const maxMod = request.maxModRevision ?? 0;
  const minCreate = request.minCreateRevision ?? 0;
  const maxCreate = request.maxCreateRevision ?? 0;
  if (!hasRevisionFilter(request)) {
    return kvs;
  }
  return kvs.filter((kv) => !(maxMod !== 0 && kv.modRevision > maxMod)
    && !(minMod !== 0 && kv.modRevision < minMod)
    && !(maxCreate !== 0 && kv.createRevision > maxCreate)
    && !(minCreate !== 0 && kv.createRevision < minCreate));
}

function sortKvs(kvs: KeyValue[], requested: SortOrderValue, target: SortTargetValue): KeyValue[] {
  let order: SortOrderValue = requested;
  if (target !== SortTarget.KEY && order === SortOrder.NONE) {
    order = SortOrder.ASCEND;
  } else if (target === SortTarget.KEY && order === SortOrder.ASCEND) {
    order = SortOrder.NONE;
  }
  if (order === SortOrder.NONE) {
    return kvs;
  }
  const compare = kvComparator(target);
  const sign = order === SortOrder.DESCEND ? -1 : 1;
  assert(order === SortOrder.ASCEND || order === SortOrder.DESCEND, 'known sort order');
  return [...kvs].sort((left, right) => sign * compare(left, right));
}

function kvComparator(target: SortTargetValue): (left: KeyValue, right: KeyValue) => number {
  switch (target) {
    case SortTarget.KEY:
      return (left, right) => compareBytes(left.key, right.key);
    case SortTarget.VERSION:
      return (left, right) => left.version - right.version;
    case SortTarget.CREATE:
      return (left, right) => left.createRevision - right.createRevision;
    case SortTarget.MOD:
      return (left, right) => left.modRevision - right.modRevision;
    case SortTarget.VALUE:
      return (left, right) => compareBytes(left.value, right.value);
    default:
      return assertNever(target, 'sort target');
  }
}

/**
 * Evaluates one txn compare against `view` (etcd applyCompare): every key in the range must
 * satisfy it. When no key exists, a VALUE compare fails (nil and empty are the same in
 * gRPC, so a missing value cannot be compared); every other target compares the zero
 * KeyValue (version, create, mod and lease 0).
 */
export function evaluateCompare(view: ReadView, compare: Compare): boolean {
  const bounds = keyBounds(compare.key, compare.rangeEnd);
  let found = false;
  let holds = true;
  view.index.scanAt(bounds, view.revision, (record) => {
    found = true;
    holds = compareKv(compare, record.kv);
    return holds;
  });
  if (!found) {
    return compare.target !== CompareTarget.VALUE && compareKv(compare, zeroKv);
  }
  return holds;
}

const zeroKv: KeyValue = {
  key: emptyBytes, createRevision: 0, modRevision: 0, version: 0, value: emptyBytes, lease: 0,
};

function compareKv(compare: Compare, kv: KeyValue): boolean {
  const order = compareTarget(compare, kv);
  switch (compare.result) {
    case CompareResult.EQUAL:
      return order === 0;
    case CompareResult.NOT_EQUAL:
      return order !== 0;
    case CompareResult.GREATER:
      return order > 0;
    case CompareResult.LESS:
      return order < 0;
    default:
      return assertNever(compare.result, 'compare result');
  }
}

function compareTarget(compare: Compare, kv: KeyValue): number {
  switch (compare.target) {
    case CompareTarget.VERSION:
      return Math.sign(kv.version - (compare.version ?? 0));
    case CompareTarget.CREATE:
      return Math.sign(kv.createRevision - (compare.createRevision ?? 0));
    case CompareTarget.MOD:
      return Math.sign(kv.modRevision - (compare.modRevision ?? 0));
    case CompareTarget.LEASE:
      return Math.sign(kv.lease - (compare.lease ?? 0));
    case CompareTarget.VALUE:
      return Math.sign(compareBytes(kv.value, compare.value ?? emptyBytes));
    default:
      return assertNever(compare.target, 'compare target');
  }
}
