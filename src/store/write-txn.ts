/**
 * @module store/write-txn
 *
 * WriteTxn applies the writes of one command at ONE new main revision, like etcd's
 * storeTxnWrite: the n-th change gets sub revision n, reads inside the txn see earlier
 * changes of the same txn, and the store revision moves forward only when `end` finds at
 * least one change (a delete of nothing, or a txn whose branch only reads, leaves it).
 *
 * `applyTxn` is the whole txn pipeline: validate, reject duplicate keys, plan the path with
 * compares evaluated against the pre-txn state, check the path's reads and puts against that
 * same state (etcd checkRequests), and only then execute. Every error is found before the
 * first write, so a failed command never changes state.
 */
import { assert, assertNever } from './assert.js';
import { binaryToBytes, bytesToBinary, emptyBytes } from './bytes.js';
import { type Outcome, type StoreErrorCode, fail, ok } from './errors.js';
import { IndexEvent, type KeyIndex } from './key-index.js';
import type { Lessor } from './lessor.js';
import { type ReadView, checkRangeRevision, evaluateCompare, executeRange, keyBounds }
  from './range.js';
import { checkDuplicateKeys, planTxn, type TxnStep, validateTxn } from './txn.js';
import type {
  DeleteRangeRequest, DeleteRangeResponse, KeyValue, PutRequest, PutResponse, RangeRequest,
  ResponseOp, TxnRequest, TxnResponse, WatchEvent,
} from './types.js';

/** StoreState is the mutable state shared by the store's command handlers. */
export interface StoreState {
  readonly index: KeyIndex;
  readonly lessor: Lessor;
  revision: number;
  compactRevision: number;
}

/** Effects collects what one applied command emits: its watch events. */
export interface Effects {
  readonly events: WatchEvent[];
}

/** WriteTxn is one write transaction at revision beginRevision + 1. */
export class WriteTxn {
  readonly beginRevision: number;
  private changes = 0;

  /** Opens a write txn on `state`; `effects` receives its events. */
  constructor(private readonly state: StoreState, private readonly effects: Effects) {
    this.beginRevision = state.revision;
  }

  /** The revision reads inside the txn see: the new one once something changed. */
  get viewRevision(): number {
    return this.changes > 0 ? this.beginRevision + 1 : this.beginRevision;
  }

  /** The read view inside the txn. */
  view(): ReadView {
    const state = this.state;
    return { index: state.index, revision: this.viewRevision,
      compactRevision: state.compactRevision };
  }

  /** Executes a range read inside the txn; its revision was checked before the txn. */
  range(request: RangeRequest): ResponseOp {
    const outcome = executeRange(this.view(), request);
    assert(outcome.ok, 'range revision was checked before the txn');
    return { responseRange: outcome.response };
  }

  /** Puts one key; lease and ignore flags were checked before the txn. */
  put(request: PutRequest): ResponseOp {
    const { index, lessor } = this.state;
    const keyText = bytesToBinary(request.key);
    const previousId = index.latest(keyText);
    const previous = previousId < 0 ? undefined : index.fields(previousId);
    const revision = this.beginRevision + 1;
    const ignoring = request.ignoreValue === true || request.ignoreLease === true;
    assert(!ignoring || previous !== undefined, 'ignore flags need an existing key');
    // NB: an ignored value is read back and stored again: records never share a value.
    const value = request.ignoreValue === true ? index.value(previousId)
      : (request.value ?? emptyBytes);
    const lease = request.ignoreLease === true ? (previous?.lease ?? 0) : (request.lease ?? 0);
    const kv: KeyValue = {
      key: request.key,
      createRevision: previous?.createRevision ?? revision,
      modRevision: revision,
      version: (previous?.version ?? 0) + 1,
      value,
      lease,
    };
    index.appendPut({ keyText, revision, sub: this.changes, createRevision: kv.createRevision,
      version: kv.version, lease, value });
    this.record(kv, previousId);
    const oldLease = previous?.lease ?? 0;
    if (oldLease !== lease) {
      lessor.detach(oldLease, keyText);
      if (lease !== 0) {
        lessor.attach(lease, keyText);
      }
    }
    const response: PutResponse = request.prevKv === true && previousId >= 0
      ? { header: { revision }, prevKv: index.keyValue(previousId, true) }
      : { header: { revision } };
    return { responsePut: response };
  }

  /** Deletes every live key in the range at the txn's view revision. */
  deleteRange(request: DeleteRangeRequest): ResponseOp {
    const live: number[] = [];
    const index = this.state.index;
    index.scanAt(keyBounds(request.key, request.rangeEnd), this.viewRevision, (id) => {
      live.push(id);
      return true;
    });
    // Read before the deletes: the index MUST NOT change during a scan, and prevKvs show the
    // versions deleted.
    const prevKvs = request.prevKv === true ? live.map((id) => index.keyValue(id, true)) : [];
    for (const previousId of live) {
      this.deleteKey(previousId);
    }
    const revision = live.length > 0 || this.changes > 0
      ? this.beginRevision + 1 : this.beginRevision;
    const response: DeleteRangeResponse = { header: { revision }, deleted: live.length, prevKvs };
    return { responseDeleteRange: response };
  }

  /** Deletes the key of the live record `previousId`. */
  deleteKey(previousId: number): void {
    const index = this.state.index;
    assert(!index.isTombstone(previousId), 'only live keys are deleted');
    const keyText = index.keyText(previousId);
    const lease = index.fields(previousId).lease;
    const revision = this.beginRevision + 1;
    index.appendTombstone(keyText, { revision, sub: this.changes });
    const kv: KeyValue = {
      key: binaryToBytes(keyText), createRevision: 0, modRevision: revision,
      version: 0, value: emptyBytes, lease: 0,
    };
    this.record(kv, previousId);
    this.state.lessor.detach(lease, keyText);
  }

  /** Ends the txn: moves the store revision when something changed; returns the revision. */
  end(): number {
    if (this.changes === 0) {
      assert(this.state.revision === this.beginRevision, 'no change keeps the revision');
      return this.beginRevision;
    }
    this.state.revision = this.beginRevision + 1;
    return this.state.revision;
  }

  private record(kv: KeyValue, previousId: number): void {
    this.changes += 1;
    this.effects.events.push(new IndexEvent(kv, { index: this.state.index, previousId }));
  }
}

/** Checks the chosen path's reads and puts against the pre-txn state (etcd checkRequests). */
function checkPath(state: StoreState, steps: readonly TxnStep[]): StoreErrorCode | undefined {
  const view: ReadView = { index: state.index, revision: state.revision,
    compactRevision: state.compactRevision };
  for (const step of steps) {
    if (step.kind !== 'op') {
      continue;
    }
    const op = step.op;
    if ('requestRange' in op) {
      const error = checkRangeRevision(view, op.requestRange.revision ?? 0);
      if (error !== undefined) {
        return error;
      }
    } else if ('requestPut' in op) {
      const put = op.requestPut;
      const ignoring = put.ignoreValue === true || put.ignoreLease === true;
      if (ignoring && state.index.latest(bytesToBinary(put.key)) < 0) {
        return 'STORE_ERR_KEY_NOT_FOUND';
      }
      const lease = put.lease ?? 0;
      if (lease !== 0 && state.lessor.get(lease) === undefined) {
        return 'STORE_ERR_LEASE_NOT_FOUND';
      }
    }
  }
  return undefined;
}

function executeStep(txn: WriteTxn, step: TxnStep): void {
  if (step.kind === 'txn') {
    step.target.push({ responseTxn: step.response });
    return;
  }
  const op = step.op;
  if ('requestRange' in op) {
    step.target.push(txn.range(op.requestRange));
  } else if ('requestPut' in op) {
    step.target.push(txn.put(op.requestPut));
  } else if ('requestDeleteRange' in op) {
    step.target.push(txn.deleteRange(op.requestDeleteRange));
  } else {
    assertNever(op, 'request op');
  }
}

/** Applies a txn request (see the module comment); Put and DeleteRange come through here. */
export function applyTxn(
  state: StoreState, request: TxnRequest, effects: Effects,
): Outcome<TxnResponse> {
  const invalid = validateTxn(request) ?? checkDuplicateKeys(request);
  if (invalid !== undefined) {
    return fail(invalid);
  }
  const preView: ReadView = { index: state.index, revision: state.revision,
    compactRevision: state.compactRevision };
  const plan = planTxn(request, (compare) => evaluateCompare(preView, compare));
  const unchecked = checkPath(state, plan.steps);
  if (unchecked !== undefined) {
    return fail(unchecked);
  }
  const txn = new WriteTxn(state, effects);
  for (const step of plan.steps) {
    executeStep(txn, step);
  }
  const revision = txn.end();
  plan.root.header = { revision };
  for (const nested of plan.nested) {
    nested.header = { revision };
  }
  assert(revision >= txn.beginRevision, 'the revision never goes back');
  return ok(plan.root);
}
