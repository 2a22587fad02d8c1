/**
 * @module store/types
 *
 * Request, response and event types of the MVCC store. They mirror etcdserverpb and mvccpb
 * field for field, in the camelCase that protobufjs produces, so the gRPC shell can pass
 * decoded messages through. Enums are the proto's numbers. Differences from protobufjs:
 * int64 fields are plain `number` (the store asserts safe integers; the shell converts
 * Long values), and absent optional fields mean the proto default (0, false, empty bytes).
 *
 * The store copies every key and value it keeps. Byte arrays in the responses and events of
 * an apply may be the request's own (the new version's key and value): callers MUST NOT
 * mutate either afterwards. Reads return arrays of their own.
 */

/** Compare.CompareResult. */
export const CompareResult = { EQUAL: 0, GREATER: 1, LESS: 2, NOT_EQUAL: 3 } as const;
/** A CompareResult value. */
export type CompareResultValue = (typeof CompareResult)[keyof typeof CompareResult];

/** Compare.CompareTarget. */
export const CompareTarget = { VERSION: 0, CREATE: 1, MOD: 2, VALUE: 3, LEASE: 4 } as const;
/** A CompareTarget value. */
export type CompareTargetValue = (typeof CompareTarget)[keyof typeof CompareTarget];

/** RangeRequest.SortOrder. */
export const SortOrder = { NONE: 0, ASCEND: 1, DESCEND: 2 } as const;
/** A SortOrder value. */
export type SortOrderValue = (typeof SortOrder)[keyof typeof SortOrder];

/** RangeRequest.SortTarget. */
export const SortTarget = { KEY: 0, VERSION: 1, CREATE: 2, MOD: 3, VALUE: 4 } as const;
/** A SortTarget value. */
export type SortTargetValue = (typeof SortTarget)[keyof typeof SortTarget];

/** mvccpb.Event.EventType. */
export const EventType = { PUT: 0, DELETE: 1 } as const;
/** An EventType value. */
export type EventTypeValue = (typeof EventType)[keyof typeof EventType];

/** WatchCreateRequest.FilterType. */
export const WatchFilterType = { NOPUT: 0, NODELETE: 1 } as const;
/** A WatchFilterType value. */
export type WatchFilterTypeValue = (typeof WatchFilterType)[keyof typeof WatchFilterType];

/** mvccpb.KeyValue: one version of a key. */
export interface KeyValue {
  readonly key: Uint8Array;
  /** Revision of the put that created this generation of the key (0 for a tombstone). */
  readonly createRevision: number;
  /** Revision of the last modification (for a DELETE event: the delete's revision). */
  readonly modRevision: number;
  /** 1 on create, +1 per put; a delete resets it (0 for a tombstone). */
  readonly version: number;
  readonly value: Uint8Array;
  /** Attached lease id, 0 for none. */
  readonly lease: number;
}

/** ResponseHeader, reduced to what the store knows (the shell adds cluster and member ids). */
export interface ResponseHeader {
  readonly revision: number;
}

/** RangeRequest. `rangeEnd` empty: the single key; `[0]`: every key >= key. */
export interface RangeRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  /** Most kvs to return; 0 means no limit. */
  readonly limit?: number;
  /** Revision to read at; 0 (or absent) means the current revision. */
  readonly revision?: number;
  readonly sortOrder?: SortOrderValue;
  readonly sortTarget?: SortTargetValue;
  /** Read locally; the store always does, the shell decides linearizability. */
  readonly serializable?: boolean;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  readonly minModRevision?: number;
  readonly maxModRevision?: number;
  readonly minCreateRevision?: number;
  readonly maxCreateRevision?: number;
}

/** RangeResponse; `count` is the number of keys in range before limit and filters (etcd). */
export interface RangeResponse {
  readonly header: ResponseHeader;
  readonly kvs: KeyValue[];
  readonly more: boolean;
  readonly count: number;
}

/** PutRequest. */
export interface PutRequest {
  readonly key: Uint8Array;
  readonly value?: Uint8Array;
  readonly lease?: number;
  readonly prevKv?: boolean;
  readonly ignoreValue?: boolean;
  readonly ignoreLease?: boolean;
}

/** PutResponse. */
export interface PutResponse {
  readonly header: ResponseHeader;
  readonly prevKv?: KeyValue;
}

/** DeleteRangeRequest; the range is read like RangeRequest's. */
export interface DeleteRangeRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly prevKv?: boolean;
}

/** DeleteRangeResponse. */
export interface DeleteRangeResponse {
  readonly header: ResponseHeader;
  readonly deleted: number;
  readonly prevKvs: KeyValue[];
}

/** Compare: one guard of a txn; the field matching `target` holds the operand. */
export interface Compare {
  readonly result: CompareResultValue;
  readonly target: CompareTargetValue;
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly version?: number;
  readonly createRevision?: number;
  readonly modRevision?: number;
  readonly value?: Uint8Array;
  readonly lease?: number;
}

/** RequestOp: exactly one of its fields is set. */
export type RequestOp =
  | { readonly requestRange: RangeRequest }
  | { readonly requestPut: PutRequest }
  | { readonly requestDeleteRange: DeleteRangeRequest }
  | { readonly requestTxn: TxnRequest };

/** TxnRequest. */
export interface TxnRequest {
  readonly compare?: readonly Compare[];
  readonly success?: readonly RequestOp[];
  readonly failure?: readonly RequestOp[];
}

/** ResponseOp: the response of one RequestOp, in request order. */
export type ResponseOp =
  | { readonly responseRange: RangeResponse }
  | { readonly responsePut: PutResponse }
  | { readonly responseDeleteRange: DeleteRangeResponse }
  | { readonly responseTxn: TxnResponse };

/** TxnResponse. */
export interface TxnResponse {
  header: ResponseHeader;
  readonly succeeded: boolean;
  readonly responses: ResponseOp[];
}

/** CompactionRequest; `physical` is accepted and ignored (compaction is synchronous). */
export interface CompactionRequest {
  readonly revision: number;
  readonly physical?: boolean;
}

/** CompactionResponse. */
export interface CompactionResponse {
  readonly header: ResponseHeader;
}

/** LeaseGrantRequest; `ID` 0 lets the store pick the id. */
export interface LeaseGrantRequest {
  /** TTL in seconds; raised to leaseTtlSecondsMin when smaller. */
  readonly TTL: number;
  readonly ID?: number;
}

/** LeaseGrantResponse. */
export interface LeaseGrantResponse {
  readonly header: ResponseHeader;
  readonly ID: number;
  readonly TTL: number;
}

/** LeaseRevokeRequest. */
export interface LeaseRevokeRequest {
  readonly ID: number;
}

/** LeaseRevokeResponse. */
export interface LeaseRevokeResponse {
  readonly header: ResponseHeader;
}

/** LeaseKeepAliveRequest. */
export interface LeaseKeepAliveRequest {
  readonly ID: number;
}

/** LeaseKeepAliveResponse; TTL is the granted TTL in seconds. */
export interface LeaseKeepAliveResponse {
  readonly header: ResponseHeader;
  readonly ID: number;
  readonly TTL: number;
}

/** LeaseTimeToLiveRequest; `keys` asks for the attached keys. */
export interface LeaseTimeToLiveRequest {
  readonly ID: number;
  readonly keys?: boolean;
}

/** LeaseTimeToLiveResponse; TTL is the remaining seconds, -1 when the lease is unknown. */
export interface LeaseTimeToLiveResponse {
  readonly header: ResponseHeader;
  readonly ID: number;
  readonly TTL: number;
  readonly grantedTTL: number;
  readonly keys: Uint8Array[];
}

/** LeasePromoteResponse: how many leases had their expiry pushed out. */
export interface LeasePromoteResponse {
  readonly header: ResponseHeader;
  readonly leases: number;
}

/** WatchEvent (mvccpb.Event): one change at one revision, in apply order. */
export interface WatchEvent {
  readonly type: EventTypeValue;
  /** For DELETE: only `key` and `modRevision` (the delete's revision) are set, as etcd. */
  readonly kv: KeyValue;
  /** The key's previous version, when it had a live one; watchers ask for it with prevKv. */
  readonly prevKv?: KeyValue | undefined;
}
