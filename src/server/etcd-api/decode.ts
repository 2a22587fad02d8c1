/**
 * @module server/etcd-api/decode
 * Converts decoded protobufjs messages (etcdserverpb) into the store's request types
 * (src/store/types.ts), field by field, without copying bytes.
 *
 * Rules, applied to every field:
 * - int64/uint64 fields arrive as `Long` (or number); they become numbers, and a value beyond
 *   Number.MAX_SAFE_INTEGER fails with ETCD_ERR_UNSAFE_INTEGER (INVALID_ARGUMENT). The store
 *   asserts safe integers, so this check MUST happen here, before any request reaches it.
 * - bytes fields are kept as the decoder's Buffer views (Uint8Array); an absent bytes field
 *   reads as protobufjs's shared empty array, which becomes an empty Uint8Array.
 * - enum fields are checked against the proto's values (protobufjs keeps unknown numbers);
 *   an unknown RangeRequest sort option fails like etcd (ETCD_ERR_INVALID_SORT_OPTION), any
 *   other with ETCD_ERR_INVALID_ENUM. The store asserts on enums, so this is required too.
 * - nested txns are walked iteratively with an explicit stack (no recursion on client input).
 */
import {
  type Compare, CompareResult, type CompareResultValue, CompareTarget, type CompareTargetValue,
  type CompactionRequest, type DeleteRangeRequest, type LeaseGrantRequest, type PutRequest,
  type RangeRequest, type RequestOp, SortOrder, type SortOrderValue, SortTarget,
  type SortTargetValue, type TxnRequest, WatchFilterType, type WatchFilterTypeValue,
} from '../../store/types.js';
import type { WatchCreateRequest } from '../../store/watch-hub.js';
import { type EtcdErrorCode, etcdError } from './errors.js';
import type { WireMessage } from './proto.js';

const emptyBytes = new Uint8Array(0);

/** A 64-bit integer as protobufjs decodes it. */
interface LongLike {
  readonly low: number;
  readonly high: number;
  toNumber(): number;
}

function isLongLike(value: unknown): value is LongLike {
  return typeof value === 'object' && value !== null && 'low' in value && 'high' in value
    && typeof (value as { toNumber?: unknown }).toNumber === 'function';
}

/** Reads a 64-bit integer field as a safe integer (0 when absent). */
export function int64Field(wire: WireMessage, field: string): number {
  const value = wire[field];
  if (value === undefined || value === null) {
    return 0;
  }
  const number = isLongLike(value) ? value.toNumber() : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
    throw etcdError('ETCD_ERR_UNSAFE_INTEGER', { detail: field });
  }
  return number;
}

/** Reads a bytes field (an empty Uint8Array when absent). */
export function bytesField(wire: WireMessage, field: string): Uint8Array {
  const value = wire[field];
  return value instanceof Uint8Array ? value : emptyBytes;
}

/** Reads a bool field. */
export function boolField(wire: WireMessage, field: string): boolean {
  return wire[field] === true;
}

/** Reads a string field. */
export function stringField(wire: WireMessage, field: string): string {
  const value = wire[field];
  return typeof value === 'string' ? value : '';
}

/** Reads a repeated string field. */
export function stringsField(wire: WireMessage, field: string): string[] {
  const value = wire[field];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string')
    : [];
}

/** Reads a message field, or undefined when it is absent. */
export function messageField(wire: WireMessage, field: string): WireMessage | undefined {
  const value = wire[field];
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array)
    ? value as WireMessage : undefined;
}

function messagesField(wire: WireMessage, field: string): WireMessage[] {
  const value = wire[field];
  return Array.isArray(value) ? value as WireMessage[] : [];
}

/** Reads an enum field and checks it is one of `values`. */
function enumField<T extends number>(
  wire: WireMessage, field: string, values: Record<string, T>, code: EtcdErrorCode,
): T {
  const value = wire[field] ?? 0;
  const known: readonly number[] = Object.values(values);
  if (typeof value !== 'number' || !known.includes(value)) {
    throw etcdError(code, code === 'ETCD_ERR_INVALID_ENUM' ? { detail: field } : undefined);
  }
  return value as T;
}

/** RangeRequest (etcd checkRangeRequest: unknown sort options are rejected). */
export function toRangeRequest(wire: WireMessage): RangeRequest {
  return {
    key: bytesField(wire, 'key'),
    rangeEnd: bytesField(wire, 'rangeEnd'),
    limit: int64Field(wire, 'limit'),
    revision: int64Field(wire, 'revision'),
    sortOrder: enumField<SortOrderValue>(wire, 'sortOrder', SortOrder,
      'ETCD_ERR_INVALID_SORT_OPTION'),
    sortTarget: enumField<SortTargetValue>(wire, 'sortTarget', SortTarget,
      'ETCD_ERR_INVALID_SORT_OPTION'),
    serializable: boolField(wire, 'serializable'),
    keysOnly: boolField(wire, 'keysOnly'),
    countOnly: boolField(wire, 'countOnly'),
    minModRevision: int64Field(wire, 'minModRevision'),
    maxModRevision: int64Field(wire, 'maxModRevision'),
    minCreateRevision: int64Field(wire, 'minCreateRevision'),
    maxCreateRevision: int64Field(wire, 'maxCreateRevision'),
  };
}

/** PutRequest. */
export function toPutRequest(wire: WireMessage): PutRequest {
  return {
    key: bytesField(wire, 'key'),
    value: bytesField(wire, 'value'),
    lease: int64Field(wire, 'lease'),
    prevKv: boolField(wire, 'prevKv'),
    ignoreValue: boolField(wire, 'ignoreValue'),
    ignoreLease: boolField(wire, 'ignoreLease'),
  };
}

/** DeleteRangeRequest. */
export function toDeleteRangeRequest(wire: WireMessage): DeleteRangeRequest {
  return {
    key: bytesField(wire, 'key'),
    rangeEnd: bytesField(wire, 'rangeEnd'),
    prevKv: boolField(wire, 'prevKv'),
  };
}

function toCompare(wire: WireMessage): Compare {
  const compare = {
    result: enumField<CompareResultValue>(wire, 'result', CompareResult, 'ETCD_ERR_INVALID_ENUM'),
    target: enumField<CompareTargetValue>(wire, 'target', CompareTarget, 'ETCD_ERR_INVALID_ENUM'),
    key: bytesField(wire, 'key'),
    rangeEnd: bytesField(wire, 'rangeEnd'),
  };
  // NB: the operands are a oneof (target_union), here and in the replicated command: keep
  // ONLY the one the target reads (etcd reads nothing else). With all five set, the command
  // codec wrote every member and decoding kept the last (lease), so in a real cluster every
  // value/version/create/mod compare ran against a lost operand.
  switch (compare.target) {
    case CompareTarget.VERSION: return { ...compare, version: int64Field(wire, 'version') };
    case CompareTarget.CREATE:
      return { ...compare, createRevision: int64Field(wire, 'createRevision') };
    case CompareTarget.MOD: return { ...compare, modRevision: int64Field(wire, 'modRevision') };
    case CompareTarget.VALUE: return { ...compare, value: bytesField(wire, 'value') };
    case CompareTarget.LEASE: return { ...compare, lease: int64Field(wire, 'lease') };
  }
}

/** A txn level still to convert: its wire message and the ops arrays to fill. */
interface TxnFrame {
  readonly wire: WireMessage;
  readonly success: RequestOp[];
  readonly failure: RequestOp[];
}

function newTxnFrame(wire: WireMessage): { frame: TxnFrame; request: TxnRequest } {
  const frame: TxnFrame = { wire, success: [], failure: [] };
  const request: TxnRequest = {
    compare: messagesField(wire, 'compare').map(toCompare),
    success: frame.success,
    failure: frame.failure,
  };
  return { frame, request };
}

/**
 * Converts one RequestOp; a nested txn is returned unconverted as a new frame. An op with
 * no request set fails like etcd's checkRequestOp ("etcdserver: key not found").
 */
function toRequestOp(wire: WireMessage): { op: RequestOp; frame?: TxnFrame } {
  const range = messageField(wire, 'requestRange');
  if (range !== undefined) {
    return { op: { requestRange: toRangeRequest(range) } };
  }
  const put = messageField(wire, 'requestPut');
  if (put !== undefined) {
    return { op: { requestPut: toPutRequest(put) } };
  }
  const deleteRange = messageField(wire, 'requestDeleteRange');
  if (deleteRange !== undefined) {
    return { op: { requestDeleteRange: toDeleteRangeRequest(deleteRange) } };
  }
  const txn = messageField(wire, 'requestTxn');
  if (txn !== undefined) {
    const nested = newTxnFrame(txn);
    return { op: { requestTxn: nested.request }, frame: nested.frame };
  }
  throw etcdError('ETCD_ERR_KEY_NOT_FOUND');
}

/** TxnRequest, nested txns included (iteratively; the request size bounds the depth). */
export function toTxnRequest(wire: WireMessage): TxnRequest {
  const top = newTxnFrame(wire);
  const stack: TxnFrame[] = [top.frame];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    for (const [field, ops] of [['success', frame.success], ['failure', frame.failure]] as const) {
      for (const opWire of messagesField(frame.wire, field)) {
        const converted = toRequestOp(opWire);
        ops.push(converted.op);
        if (converted.frame !== undefined) {
          stack.push(converted.frame);
        }
      }
    }
  }
  return top.request;
}

/** CompactionRequest. */
export function toCompactionRequest(wire: WireMessage): CompactionRequest {
  return { revision: int64Field(wire, 'revision'), physical: boolField(wire, 'physical') };
}

/** LeaseGrantRequest. */
export function toLeaseGrantRequest(wire: WireMessage): LeaseGrantRequest {
  return { TTL: int64Field(wire, 'TTL'), ID: int64Field(wire, 'ID') };
}

/** A request whose only field of interest is an id (lease, member or target id). */
export interface IdRequest {
  readonly id: number;
}

/** Reads requests whose only field of interest is the int64/uint64 `field` (IDs). */
export function toId(field: string): (wire: WireMessage) => IdRequest {
  return (wire) => ({ id: int64Field(wire, field) });
}

/**
 * WatchCreateRequest. Like etcd's recvLoop, an empty key becomes "\0" (the smallest key).
 * `watchId` is the id the CLIENT asked for on its stream; the watch stream maps it.
 */
export function toWatchCreateRequest(wire: WireMessage): WatchCreateRequest {
  const key = bytesField(wire, 'key');
  const filters = Array.isArray(wire.filters) ? wire.filters as unknown[] : [];
  const known: readonly unknown[] = Object.values(WatchFilterType);
  if (!filters.every((filter) => known.includes(filter))) {
    throw etcdError('ETCD_ERR_INVALID_ENUM', { detail: 'filters' });
  }
  return {
    key: key.length === 0 ? new Uint8Array([0]) : key,
    rangeEnd: bytesField(wire, 'rangeEnd'),
    startRevision: int64Field(wire, 'startRevision'),
    progressNotify: boolField(wire, 'progressNotify'),
    filters: filters as WatchFilterTypeValue[],
    prevKv: boolField(wire, 'prevKv'),
    watchId: int64Field(wire, 'watchId'),
    fragment: boolField(wire, 'fragment'),
  };
}

/** WatchRequest: exactly one of create, cancel or progress (or nothing, which is ignored). */
export type WatchStreamRequest =
  | { readonly kind: 'create'; readonly request: WatchCreateRequest }
  | { readonly kind: 'cancel'; readonly watchId: number }
  | { readonly kind: 'progress' }
  | { readonly kind: 'empty' };

/** WatchRequest. */
export function toWatchRequest(wire: WireMessage): WatchStreamRequest {
  const create = messageField(wire, 'createRequest');
  if (create !== undefined) {
    return { kind: 'create', request: toWatchCreateRequest(create) };
  }
  const cancel = messageField(wire, 'cancelRequest');
  if (cancel !== undefined) {
    return { kind: 'cancel', watchId: int64Field(cancel, 'watchId') };
  }
  if (messageField(wire, 'progressRequest') !== undefined) {
    return { kind: 'progress' };
  }
  return { kind: 'empty' };
}

/** MemberAddRequest. */
export function toMemberAddRequest(wire: WireMessage): { peerURLs: string[];
  isLearner: boolean; } {
  return { peerURLs: stringsField(wire, 'peerURLs'), isLearner: boolField(wire, 'isLearner') };
}

/** The decoded form of requests whose fields Coracle ignores (StatusRequest, ...). */
export type NoFields = Readonly<Record<string, never>>;

const noFields: NoFields = Object.freeze({});

/** Reads requests whose fields Coracle ignores (StatusRequest, AlarmRequest, ...). */
export function toNothing(_wire: WireMessage): NoFields {
  return noFields;
}
