/**
 * @module api/object-store
 * Kubernetes objects over the replicated MVCC store (DESIGN §6): an object is JSON at
 * `/registry/<resource>/<namespace>/<name>` (cluster-scoped kinds have no namespace part),
 * its `metadata.resourceVersion` is the key's mod revision, and a list's resourceVersion is
 * the store revision the range was read at. Creates compare the key's create revision with
 * 0, updates and deletes compare its mod revision, all in one transaction, so optimistic
 * concurrency is exactly the store's (a lost race is a 409, never a lost write).
 *
 * NB: `metadata.resourceVersion` is NOT stored in the value; it is injected on read, because
 * the mod revision of a put is only known once the entry is applied.
 */
import type { EtcdBackend } from '../server/etcd-api/backend.js';
import { isEtcdError } from '../server/etcd-api/errors.js';
import type { KubeObject } from '../resources/types.js';
import type { Compare, KeyValue, RequestOp, TxnResponse } from '../store/types.js';
import { CompareResult, CompareTarget } from '../store/types.js';
import {
  APIError, newInternalError, newRequestEntityTooLarge, newResourceExpired,
  newServiceUnavailable, newTimeout, newTooManyRequests,
} from './status.js';

/** Largest stored object, in bytes of JSON (DESIGN §10: object size 1 MiB). */
export const objectBytesMax = 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * StoredObject is an object as read, with its mod revision. The JSON is parsed only when
 * `object` is first asked for: a plain list or get sends the stored bytes with the
 * resourceVersion spliced in (`json()`), which is most of the cost of a large list saved.
 * NB: `json()` always renders the STORED bytes; a caller that mutates `object` must
 * serialize it itself.
 */
export class StoredObject {
  private parsed: KubeObject | undefined;

  /** Wraps one key-value of the store. */
  constructor(private readonly kv: KeyValue) {}

  /** The key's mod revision: the object's resourceVersion. */
  get modRevision(): number {
    return this.kv.modRevision;
  }

  /** The parsed object with its resourceVersion (parsed once, on first use). */
  get object(): KubeObject {
    if (this.parsed === undefined) {
      const object = JSON.parse(decoder.decode(this.kv.value)) as KubeObject;
      object.metadata.resourceVersion = String(this.kv.modRevision);
      this.parsed = object;
    }
    return this.parsed;
  }

  /** The object's JSON with its resourceVersion, as byte chunks to write in order. */
  json(): Uint8Array[] {
    const value = this.kv.value;
    const at = metadataBodyStart(value);
    if (at < 0) return [encoder.encode(JSON.stringify(this.object))];
    const empty = value[at] === 0x7d; // '}': the metadata object is empty.
    const injected = encoder.encode(`"resourceVersion":"${this.kv.modRevision}"${empty ? '' : ','}`);
    return [value.subarray(0, at), injected, value.subarray(at)];
  }
}

const apiVersionPrefix = encoder.encode('{"apiVersion":');
const metadataKey = encoder.encode(',"metadata":{');

/**
 * Where the body of the top-level metadata object starts in a value written by
 * `encodeObject` (which puts apiVersion, kind and metadata first), or -1 for any other
 * layout. NB: `,"metadata":{` cannot occur inside the apiVersion or kind strings, since a
 * quote inside a JSON string is always escaped, so its first occurrence is the key.
 */
function metadataBodyStart(value: Uint8Array): number {
  for (let i = 0; i < apiVersionPrefix.length; i++) {
    if (value[i] !== apiVersionPrefix[i]) return -1;
  }
  const limit = Math.min(value.length - metadataKey.length, 4096);
  outer: for (let i = apiVersionPrefix.length; i <= limit; i++) {
    for (let j = 0; j < metadataKey.length; j++) {
      if (value[i + j] !== metadataKey[j]) continue outer;
    }
    return i + metadataKey.length;
  }
  return -1;
}

/** Consistency of a read: a ReadIndex round (`linearizable`) or this peer's state (`local`). */
export type ReadConsistency = 'linearizable' | 'local';

/** ListPage is one page of a range over a prefix. */
export interface ListPage {
  readonly items: StoredObject[];
  /** The store revision the page was read at. */
  readonly revision: number;
  /** True when more keys follow the last one returned. */
  readonly more: boolean;
  /** The key of the last item, when any. */
  readonly lastKey?: string;
}

/** ExtraWrite is a key a write touches besides the object (e.g. an allocated IP's marker). */
export interface ExtraWrite {
  readonly key: string;
  /** 'create': the key must not exist and is put; 'delete': the key is deleted. */
  readonly action: 'create' | 'delete';
}

/** WriteOutcome says how a conditional write ended. */
export type WriteOutcome =
  | { readonly kind: 'ok'; readonly modRevision: number }
  | {
    readonly kind: 'conflict';
    /** The object as it is now (undefined: absent). */
    readonly current: StoredObject | undefined;
    /** An extra 'create' key that already exists, when one does. */
    readonly extraConflictKey?: string;
  };

/** Returns the end of the range holding every key with `prefix`. */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** Serializes an object for storage (resourceVersion left out; see the module comment). */
export function encodeObject(object: KubeObject): Uint8Array {
  const { resourceVersion: _dropped, ...metadata } = object.metadata;
  const { apiVersion, kind, metadata: _metadata, ...rest } = object;
  // NB: apiVersion, kind and metadata first: StoredObject.json() relies on this layout.
  const bytes = encoder.encode(JSON.stringify({ apiVersion, kind, metadata, ...rest }));
  if (bytes.length > objectBytesMax) throw newRequestEntityTooLarge(objectBytesMax);
  return bytes;
}

/** Wraps a stored value; it is parsed lazily (see StoredObject). */
export function decodeObject(kv: KeyValue): StoredObject {
  return new StoredObject(kv);
}

/**
 * Maps a backend failure to the Status a Kubernetes client expects: no quorum or a timed-out
 * proposal → 503 (the client retries), overload → 429, compacted → 410, anything else 500.
 */
export function toAPIError(error: unknown): APIError {
  if (error instanceof APIError) return error;
  if (!isEtcdError(error)) {
    return newInternalError(error instanceof Error ? error.message : String(error), error);
  }
  switch (error.code) {
    case 'ETCD_ERR_NO_LEADER': case 'ETCD_ERR_NOT_LEADER': case 'ETCD_ERR_LEADER_CHANGED':
    case 'ETCD_ERR_STOPPED': case 'ETCD_ERR_TIMEOUT': case 'ETCD_ERR_TIMEOUT_LEADER_FAIL':
    case 'ETCD_ERR_UNHEALTHY':
      return newServiceUnavailable(
        `the control plane cannot reach a quorum of its peers right now (${error.message}); ` +
        'retry, or use reads with resourceVersion=0 for possibly stale data');
    case 'ETCD_ERR_TOO_MANY_REQUESTS':
      return newTooManyRequests(`too many requests: ${error.message}`, 1);
    case 'STORE_ERR_COMPACTED':
      return newResourceExpired('too old resource version: the requested revision has been ' +
        'compacted');
    case 'STORE_ERR_FUTURE_REV':
      return newTimeout('Too large resource version: the requested revision is newer than ' +
        'the latest this peer has applied; retry');
    case 'STORE_ERR_REQUEST_TOO_LARGE': case 'ETCD_ERR_REQUEST_TOO_LARGE':
      return newRequestEntityTooLarge(objectBytesMax);
    default:
      return newInternalError(error.message, error);
  }
}

function compare(key: Uint8Array, target: 'create' | 'mod', revision: number): Compare {
  return target === 'create'
    ? { result: CompareResult.EQUAL, target: CompareTarget.CREATE, key, createRevision: revision }
    : { result: CompareResult.EQUAL, target: CompareTarget.MOD, key, modRevision: revision };
}

function extraOps(extras: readonly ExtraWrite[]): { compares: Compare[]; ops: RequestOp[] } {
  const compares: Compare[] = [];
  const ops: RequestOp[] = [];
  for (const extra of extras) {
    const key = encoder.encode(extra.key);
    if (extra.action === 'create') {
      compares.push(compare(key, 'create', 0));
      ops.push({ requestPut: { key, value: encoder.encode('1') } });
    } else {
      ops.push({ requestDeleteRange: { key } });
    }
  }
  return { compares, ops };
}

/** ObjectStore reads and writes Kubernetes objects through an EtcdBackend. */
export class ObjectStore {
  /** Creates the store over `backend` (a Raft peer, or a LocalBackend in unit tests). */
  constructor(readonly backend: EtcdBackend) {}

  /** Reads one object; undefined when absent. */
  async get(key: string, consistency: ReadConsistency): Promise<StoredObject | undefined> {
    const response = await this.call(() => this.backend.range({
      key: encoder.encode(key), serializable: consistency === 'local',
    }));
    const kv = response.kvs[0];
    return kv === undefined ? undefined : decodeObject(kv);
  }

  /**
   * Reads up to `limit` objects (0: all) under `prefix` from `startKey` on, at `revision`
   * (0: the current one). A compacted revision is a 410.
   */
  async list(prefix: string, options: {
    readonly startKey?: string; readonly limit: number; readonly revision: number;
    readonly consistency: ReadConsistency;
  }): Promise<ListPage> {
    const response = await this.call(() => this.backend.range({
      key: encoder.encode(options.startKey ?? prefix), rangeEnd: encoder.encode(prefixEnd(prefix)),
      limit: options.limit, revision: options.revision,
      serializable: options.consistency === 'local' || options.revision > 0,
    }));
    const items = response.kvs.map(decodeObject);
    const last = response.kvs[response.kvs.length - 1];
    return {
      items, revision: response.header.revision, more: response.more,
      ...(last === undefined ? {} : { lastKey: decoder.decode(last.key) }),
    };
  }

  /** The store revision as this peer sees it now (a linearizable read when asked). */
  async revision(consistency: ReadConsistency): Promise<number> {
    const response = await this.call(() => this.backend.range({
      key: encoder.encode('\0'), countOnly: true, serializable: consistency === 'local',
    }));
    return response.header.revision;
  }

  /** Creates `key` when it does not exist (with `extras` in the same transaction). */
  async create(key: string, object: KubeObject, extras: readonly ExtraWrite[] = []):
    Promise<WriteOutcome> {
    return this.conditionalPut(key, object, compare(encoder.encode(key), 'create', 0), extras);
  }

  /** Replaces `key` when its mod revision is still `expectedModRevision`. */
  async update(key: string, object: KubeObject, expectedModRevision: number,
    extras: readonly ExtraWrite[] = []): Promise<WriteOutcome> {
    const guard = compare(encoder.encode(key), 'mod', expectedModRevision);
    return this.conditionalPut(key, object, guard, extras);
  }

  /** Deletes `key` when its mod revision is still `expectedModRevision`. */
  async delete(key: string, expectedModRevision: number, extras: readonly ExtraWrite[] = []):
    Promise<WriteOutcome> {
    const keyBytes = encoder.encode(key);
    const more = extraOps(extras);
    const response = await this.txn([compare(keyBytes, 'mod', expectedModRevision)],
      [{ requestDeleteRange: { key: keyBytes } }, ...more.ops], keyBytes);
    return this.outcome(response);
  }

  /**
   * Deletes every key under each prefix, then `key`, when `key` is unchanged (namespace
   * deletion).
   */
  async deleteWithPrefixes(key: string, expectedModRevision: number,
    prefixes: readonly string[]): Promise<WriteOutcome> {
    const keyBytes = encoder.encode(key);
    const ops: RequestOp[] = prefixes.map((prefix) => ({ requestDeleteRange: {
      key: encoder.encode(prefix), rangeEnd: encoder.encode(prefixEnd(prefix)),
    } }));
    ops.push({ requestDeleteRange: { key: keyBytes } });
    const response = await this.txn([compare(keyBytes, 'mod', expectedModRevision)], ops,
      keyBytes);
    return this.outcome(response);
  }

  private async conditionalPut(key: string, object: KubeObject, guard: Compare,
    extras: readonly ExtraWrite[]): Promise<WriteOutcome> {
    const keyBytes = encoder.encode(key);
    const more = extraOps(extras);
    const response = await this.txn([guard, ...more.compares],
      [{ requestPut: { key: keyBytes, value: encodeObject(object) } }, ...more.ops], keyBytes,
      more.compares.length > 0 ? extras : undefined);
    return this.outcome(response);
  }

  private async txn(compares: Compare[], success: RequestOp[], key: Uint8Array,
    extras?: readonly ExtraWrite[]): Promise<TxnResponse> {
    const failure: RequestOp[] = [{ requestRange: { key } }];
    for (const extra of extras ?? []) {
      if (extra.action === 'create') failure.push({ requestRange: { key: encoder.encode(extra.key) } });
    }
    return this.call(() => this.backend.txn({ compare: compares, success, failure }));
  }

  private outcome(response: TxnResponse): WriteOutcome {
    if (response.succeeded) return { kind: 'ok', modRevision: response.header.revision };
    const [first, ...rest] = response.responses;
    const kv = first !== undefined && 'responseRange' in first
      ? first.responseRange.kvs[0] : undefined;
    const current = kv === undefined ? undefined : decodeObject(kv);
    for (const extra of rest) {
      if ('responseRange' in extra && extra.responseRange.kvs.length > 0) {
        const extraConflictKey = decoder.decode(extra.responseRange.kvs[0]!.key);
        return { kind: 'conflict', current, extraConflictKey };
      }
    }
    return { kind: 'conflict', current };
  }

  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toAPIError(error);
    }
  }
}
