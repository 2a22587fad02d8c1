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
import type { KeyBounds, KeyIndex } from './key-index.js';
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

/** A record found by a range read: its id and its KeyValue (with or without the value). */
interface Found {
  readonly id: number;
  readonly kv: KeyValue;
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
  const order = effectiveOrder(request);
  // NB: as etcd, a requested sort order fetches everything even when the sort is a no-op.
  const fetchAll = (request.sortOrder ?? SortOrder.NONE) !== SortOrder.NONE
    || hasRevisionFilter(request);
  const fetchMax = request.countOnly === true ? 0
    : fetchAll || limit === 0 ? Number.POSITIVE_INFINITY : limit + 1;
  const ids: number[] = [];
  let count = 0;
  view.index.scanAt(bounds, revision, (id) => {
    count += 1;
    if (ids.length < fetchMax) {
      ids.push(id);
    }
    return true;
  });
  // Values are read only for what is returned, unless the sort needs them all.
  const target = request.sortTarget ?? SortTarget.KEY;
  const valuesFirst = order !== SortOrder.NONE && target === SortTarget.VALUE;
  let found = ids.map((id) => ({ id, kv: view.index.keyValue(id, valuesFirst) }));
  found = filterFound(found, request);
  found = sortFound(found, order, target);
  let more = false;
  if (limit > 0 && found.length > limit) {
    found = found.slice(0, limit);
    more = true;
  }
  const kvs = found.map(({ id, kv }) => request.keysOnly === true
    ? (valuesFirst ? { ...kv, value: emptyBytes } : kv)
    : (valuesFirst ? kv : { ...kv, value: view.index.value(id) }));
  assert(kvs.length <= count, 'returned kvs never exceed the count');
  return ok({ header, kvs, more, count });
}

function hasRevisionFilter(request: RangeRequest): boolean {
  return (request.minModRevision ?? 0) !== 0 || (request.maxModRevision ?? 0) !== 0
    || (request.minCreateRevision ?? 0) !== 0 || (request.maxCreateRevision ?? 0) !== 0;
}

function filterFound(found: Found[], request: RangeRequest): Found[] {
  const minMod = request.minModRevision ?? 0;
  const maxMod = request.maxModRevision ?? 0;
  const minCreate = request.minCreateRevision ?? 0;
  const maxCreate = request.maxCreateRevision ?? 0;
  if (!hasRevisionFilter(request)) {
    return found;
  }
  return found.filter(({ kv }) => !(maxMod !== 0 && kv.modRevision > maxMod)
    && !(minMod !== 0 && kv.modRevision < minMod)
    && !(maxCreate !== 0 && kv.createRevision > maxCreate)
    && !(minCreate !== 0 && kv.createRevision < minCreate));
}

/** The order a range is sorted in: NONE when the natural key order already is the answer. */
function effectiveOrder(request: RangeRequest): SortOrderValue {
  const requested = request.sortOrder ?? SortOrder.NONE;
  const target = request.sortTarget ?? SortTarget.KEY;
  if (target !== SortTarget.KEY && requested === SortOrder.NONE) {
    return SortOrder.ASCEND;
  }
  if (target === SortTarget.KEY && requested === SortOrder.ASCEND) {
    return SortOrder.NONE;
  }
  return requested;
}

function sortFound(found: Found[], order: SortOrderValue, target: SortTargetValue): Found[] {
  if (order === SortOrder.NONE) {
    return found;
  }
  const compare = kvComparator(target);
  const sign = order === SortOrder.DESCEND ? -1 : 1;
  assert(order === SortOrder.ASCEND || order === SortOrder.DESCEND, 'known sort order');
  return [...found].sort((left, right) => sign * compare(left.kv, right.kv));
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
  const withValue = compare.target === CompareTarget.VALUE;
  view.index.scanAt(bounds, view.revision, (id) => {
    found = true;
    holds = compareKv(compare, view.index.keyValue(id, withValue));
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
