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
import { bytesToBinary, copyBytes, emptyBytes } from './bytes.js';
import { type Outcome, type StoreErrorCode, fail, ok } from './errors.js';
import { type KeyIndex, type KVRecord, tombstoneRecord } from './key-index.js';
import type { Lessor } from './lessor.js';
import { type ReadView, checkRangeRevision, evaluateCompare, executeRange, keyBounds }
  from './range.js';
import { metaRow, recordRow } from './rows.js';
import { checkDuplicateKeys, planTxn, type TxnStep, validateTxn } from './txn.js';
import {
  type DeleteRangeRequest, type DeleteRangeResponse, EventType, type KeyValue, type PutRequest,
  type PutResponse, type RangeRequest, type ResponseOp, type RowMutation, type TxnRequest,
  type TxnResponse, type WatchEvent,
} from './types.js';

/** StoreState is the mutable state shared by the store's command handlers. */
export interface StoreState {
  readonly index: KeyIndex;
  readonly lessor: Lessor;
  revision: number;
  compactRevision: number;
}

/** Effects collects what one applied command emits: watch events and backend rows. */
export interface Effects {
  readonly events: WatchEvent[];
  readonly mutations: RowMutation[];
}

/** WriteTxn is one write transaction at revision beginRevision + 1. */
export class WriteTxn {
  readonly beginRevision: number;
  private readonly changes: KVRecord[] = [];

  /** Opens a write txn on `state`; `effects` receives its events and rows. */
  constructor(private readonly state: StoreState, private readonly effects: Effects) {
    this.beginRevision = state.revision;
  }

  /** The revision reads inside the txn see: the new one once something changed. */
  get viewRevision(): number {
    return this.changes.length > 0 ? this.beginRevision + 1 : this.beginRevision;
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
    const previous = index.latest(keyText);
    const revision = this.beginRevision + 1;
    const ignoring = request.ignoreValue === true || request.ignoreLease === true;
    assert(!ignoring || previous !== undefined, 'ignore flags need an existing key');
    const value = request.ignoreValue === true ? (previous?.kv.value ?? emptyBytes)
      : copyBytes(request.value ?? emptyBytes);
    const lease = request.ignoreLease === true ? (previous?.kv.lease ?? 0) : (request.lease ?? 0);
    const kv: KeyValue = {
      key: previous?.kv.key ?? copyBytes(request.key),
      createRevision: previous?.kv.createRevision ?? revision,
      modRevision: revision,
      version: (previous?.kv.version ?? 0) + 1,
      value,
      lease,
    };
    const record: KVRecord = { kv, keyText, sub: this.changes.length, tombstone: false };
    this.record(record, previous);
    const oldLease = previous?.kv.lease ?? 0;
    if (oldLease !== lease) {
      lessor.detach(oldLease, keyText);
      if (lease !== 0) {
        lessor.attach(lease, keyText);
      }
    }
    const response: PutResponse = request.prevKv === true && previous !== undefined
      ? { header: { revision }, prevKv: previous.kv } : { header: { revision } };
    return { responsePut: response };
  }

  /** Deletes every live key in the range at the txn's view revision. */
  deleteRange(request: DeleteRangeRequest): ResponseOp {
    const live: KVRecord[] = [];
    this.state.index.scanAt(keyBounds(request.key, request.rangeEnd), this.viewRevision,
      (record) => {
        live.push(record);
        return true;
      });
    for (const previous of live) {
      this.deleteKey(previous);
    }
    const revision = live.length > 0 || this.changes.length > 0
      ? this.beginRevision + 1 : this.beginRevision;
    const prevKvs = request.prevKv === true ? live.map((record) => record.kv) : [];
    const response: DeleteRangeResponse = { header: { revision }, deleted: live.length, prevKvs };
    return { responseDeleteRange: response };
  }

  /** Deletes the key of the live record `previous`. */
  deleteKey(previous: KVRecord): void {
    assert(!previous.tombstone, 'only live keys are deleted');
    const record = tombstoneRecord(previous.kv.key, previous.keyText, this.beginRevision + 1,
      this.changes.length);
    this.record(record, previous);
    this.state.lessor.detach(previous.kv.lease, previous.keyText);
  }

  /** Ends the txn: moves the store revision when something changed; returns the revision. */
  end(): number {
    if (this.changes.length === 0) {
      assert(this.state.revision === this.beginRevision, 'no change keeps the revision');
      return this.beginRevision;
    }
    this.state.revision = this.beginRevision + 1;
    const [key, value] = metaRow('revision', this.state.revision);
    this.effects.mutations.push({ op: 'put', key, value });
    return this.state.revision;
  }

  private record(record: KVRecord, previous: KVRecord | undefined): void {
    this.state.index.append(record);
    this.changes.push(record);
    const [key, value] = recordRow(record);
    this.effects.mutations.push({ op: 'put', key, value });
    const type = record.tombstone ? EventType.DELETE : EventType.PUT;
    this.effects.events.push(previous === undefined
      ? { type, kv: record.kv } : { type, kv: record.kv, prevKv: previous.kv });
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
      if (ignoring && state.index.latest(bytesToBinary(put.key)) === undefined) {
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
