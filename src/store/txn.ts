/**
 * @module store/txn
 *
 * Static validation and planning of transactions, after etcd's v3rpc/key.go
 * (checkTxnRequest, checkIntervals) and etcdserver/txn/txn.go (compareToPath):
 *
 * 1. `validateTxn`: op counts against `txnOpsMax` (a nested txn gets what its parent level
 *    left), keys present and within `keyBytesMax`, put flags consistent.
 * 2. `checkDuplicateKeys`: no key is put twice, or put and deleted, by the ops of one txn
 *    level and its nested txns; the success and failure branches of one nested txn may put
 *    the same key, since only one of them runs.
 * 3. `planTxn`: evaluates every compare on the chosen path against the state BEFORE the txn
 *    (as etcd does) and flattens the chosen path into steps in execution order.
 *
 * NB: all three walk nested txns with explicit stacks; cores do not recurse (STYLE §6).
 * The total op count over all levels is bounded by the shell's request size limit.
 */
import { assert, assertSafeInteger } from './assert.js';
import { bytesToBinary } from './bytes.js';
import type { StoreErrorCode } from './errors.js';
import { keyBytesMax, txnOpsMax, valueBytesMax } from './limits.js';
import type {
  Compare, DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, ResponseOp, TxnRequest,
  TxnResponse,
} from './types.js';

/** Validates a key: present and at most keyBytesMax bytes. */
export function validateKey(key: Uint8Array, rangeEnd?: Uint8Array): StoreErrorCode | undefined {
  if (key.length === 0) {
    return 'STORE_ERR_EMPTY_KEY';
  }
  if (key.length > keyBytesMax || (rangeEnd?.length ?? 0) > keyBytesMax) {
    return 'STORE_ERR_KEY_TOO_LARGE';
  }
  return undefined;
}

/** Validates a RangeRequest's key and numeric fields. */
export function validateRange(request: RangeRequest): StoreErrorCode | undefined {
  for (const value of [request.limit, request.revision, request.minModRevision,
    request.maxModRevision, request.minCreateRevision, request.maxCreateRevision]) {
    assertSafeInteger(value ?? 0, 'range numeric field');
  }
  return validateKey(request.key, request.rangeEnd);
}

/** Validates a PutRequest (etcd checkPutRequest plus Coracle's size limits). */
export function validatePut(request: PutRequest): StoreErrorCode | undefined {
  assertSafeInteger(request.lease ?? 0, 'put lease');
  const keyError = validateKey(request.key);
  if (keyError !== undefined) {
    return keyError;
  }
  const value = request.value;
  if (value !== undefined && value.length > valueBytesMax) {
    return 'STORE_ERR_REQUEST_TOO_LARGE';
  }
  if (request.ignoreValue === true && value !== undefined && value.length !== 0) {
    return 'STORE_ERR_VALUE_PROVIDED';
  }
  if (request.ignoreLease === true && (request.lease ?? 0) !== 0) {
    return 'STORE_ERR_LEASE_PROVIDED';
  }
  return undefined;
}

/** Validates a DeleteRangeRequest. */
export function validateDeleteRange(request: DeleteRangeRequest): StoreErrorCode | undefined {
  return validateKey(request.key, request.rangeEnd);
}

function validateCompare(compare: Compare): StoreErrorCode | undefined {
  for (const value of [compare.version, compare.createRevision, compare.modRevision,
    compare.lease]) {
    assertSafeInteger(value ?? 0, 'compare operand');
  }
  if ((compare.value?.length ?? 0) > valueBytesMax) {
    return 'STORE_ERR_REQUEST_TOO_LARGE';
  }
  return validateKey(compare.key, compare.rangeEnd);
}

function validateOp(op: RequestOp): StoreErrorCode | undefined {
  if ('requestRange' in op) {
    return validateRange(op.requestRange);
  }
  if ('requestPut' in op) {
    return validatePut(op.requestPut);
  }
  assert('requestDeleteRange' in op, 'non-txn op is a delete');
  return validateDeleteRange(op.requestDeleteRange);
}

/** Validates counts, keys and flags of a txn and all its nested txns. */
export function validateTxn(request: TxnRequest): StoreErrorCode | undefined {
  const stack: { txn: TxnRequest; budget: number }[] = [{ txn: request, budget: txnOpsMax }];
  while (stack.length > 0) {
    const frame = stack.pop();
    assert(frame !== undefined, 'stack is not empty');
    const { txn, budget } = frame;
    const compares = txn.compare ?? [];
    const ops = [...(txn.success ?? []), ...(txn.failure ?? [])];
    const opCount = Math.max(compares.length, txn.success?.length ?? 0, txn.failure?.length ?? 0);
    if (opCount > budget) {
      return 'STORE_ERR_TOO_MANY_OPS';
    }
    for (const compare of compares) {
      const error = validateCompare(compare);
      if (error !== undefined) {
        return error;
      }
    }
    for (const op of ops) {
      if ('requestTxn' in op) {
        stack.push({ txn: op.requestTxn, budget: budget - opCount });
        continue;
      }
      const error = validateOp(op);
      if (error !== undefined) {
        return error;
      }
    }
  }
  return undefined;
}

/** A deleted key interval of the duplicate check; `end` undefined means unbounded. */
interface DeleteInterval {
  readonly start: string;
  readonly end: string | undefined;
  readonly point: boolean;
}

function intersects(intervals: readonly DeleteInterval[], key: string): boolean {
  return intervals.some((interval) => (interval.point
    ? key === interval.start
    : key >= interval.start && (interval.end === undefined || key < interval.end)));
}

function deleteInterval(request: DeleteRangeRequest): DeleteInterval {
  const start = bytesToBinary(request.key);
  const rangeEnd = request.rangeEnd;
  if (rangeEnd === undefined || rangeEnd.length === 0) {
    return { start, end: undefined, point: true };
  }
  const unbounded = rangeEnd.length === 1 && rangeEnd[0] === 0;
  return { start, end: unbounded ? undefined : bytesToBinary(rangeEnd), point: false };
}

/** One branch (op list) in the duplicate check, with its nested branches and result. */
interface BranchNode {
  readonly ops: readonly RequestOp[];
  readonly nested: Map<number, { then: BranchNode; else: BranchNode }>;
  puts: Set<string>;
  dels: DeleteInterval[];
}

function branchNode(ops: readonly RequestOp[]): BranchNode {
  return { ops, nested: new Map(), puts: new Set(), dels: [] };
}

/**
 * Rejects duplicate writes (etcd checkIntervals) in both top-level branches of `request`.
 * NB: a delete with rangeEnd "\0" counts as unbounded here; etcd's interval tree treats it as
 * an empty interval and so misses such conflicts.
 */
export function checkDuplicateKeys(request: TxnRequest): StoreErrorCode | undefined {
  for (const branch of [request.success ?? [], request.failure ?? []]) {
    const order: BranchNode[] = [];
    const pending = [branchNode(branch)];
    while (pending.length > 0) {
      const node = pending.pop();
      assert(node !== undefined, 'pending node exists');
      order.push(node);
      node.ops.forEach((op, position) => {
        if ('requestTxn' in op) {
          const children = {
            then: branchNode(op.requestTxn.success ?? []),
            else: branchNode(op.requestTxn.failure ?? []),
          };
          node.nested.set(position, children);
          pending.push(children.then, children.else);
        }
      });
    }
    // Children come after their parents in `order`, so a reverse walk is a post-order.
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      assert(node !== undefined, 'ordered node exists');
      if (!checkBranch(node)) {
        return 'STORE_ERR_DUPLICATE_KEY';
      }
    }
  }
  return undefined;
}

function checkBranch(node: BranchNode): boolean {
  for (const op of node.ops) {
    if ('requestDeleteRange' in op) {
      node.dels.push(deleteInterval(op.requestDeleteRange));
    }
  }
  for (const children of node.nested.values()) {
    for (const key of children.then.puts) {
      if (node.puts.has(key) || intersects(node.dels, key)) {
        return false;
      }
      node.puts.add(key);
    }
    for (const key of children.else.puts) {
      const unsafe = node.puts.has(key) && !children.then.puts.has(key);
      if (unsafe || intersects(node.dels, key)) {
        return false;
      }
      node.puts.add(key);
    }
    node.dels.push(...children.then.dels, ...children.else.dels);
  }
  for (const op of node.ops) {
    if ('requestPut' in op) {
      const key = bytesToBinary(op.requestPut.key);
      if (node.puts.has(key) || intersects(node.dels, key)) {
        return false;
      }
      node.puts.add(key);
    }
  }
  return true;
}

/** TxnStep is one step of a planned txn, in execution order. */
export type TxnStep =
  | { readonly kind: 'op'; readonly op: Exclude<RequestOp, { requestTxn: TxnRequest }>;
      readonly target: ResponseOp[] }
  | { readonly kind: 'txn'; readonly response: TxnResponse; readonly target: ResponseOp[] };

/** TxnPlan is the chosen path of a txn: its root response (to fill) and its steps. */
export interface TxnPlan {
  readonly root: TxnResponse;
  readonly steps: TxnStep[];
  /** Nested txn responses, whose header revision is set when the txn ends. */
  readonly nested: TxnResponse[];
}

/** Chooses the path of `request`: `holds` evaluates a compare against the pre-txn state. */
export function planTxn(request: TxnRequest, holds: (compare: Compare) => boolean): TxnPlan {
  const choose = (txn: TxnRequest): { succeeded: boolean; ops: readonly RequestOp[] } => {
    const succeeded = (txn.compare ?? []).every(holds);
    return { succeeded, ops: (succeeded ? txn.success : txn.failure) ?? [] };
  };
  const top = choose(request);
  const root: TxnResponse = { header: { revision: 0 }, succeeded: top.succeeded, responses: [] };
  const steps: TxnStep[] = [];
  const nested: TxnResponse[] = [];
  const stack = [{ ops: top.ops, next: 0, target: root.responses }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    assert(frame !== undefined, 'frame exists');
    const op = frame.ops[frame.next];
    if (op === undefined) {
      stack.pop();
      continue;
    }
    frame.next += 1;
    if ('requestTxn' in op) {
      const chosen = choose(op.requestTxn);
      const response: TxnResponse = {
        header: { revision: 0 }, succeeded: chosen.succeeded, responses: [],
      };
      nested.push(response);
      steps.push({ kind: 'txn', response, target: frame.target });
      stack.push({ ops: chosen.ops, next: 0, target: response.responses });
    } else {
      steps.push({ kind: 'op', op, target: frame.target });
    }
  }
  return { root, steps, nested };
}
