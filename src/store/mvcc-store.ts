/**
 * @module store/mvcc-store
 *
 * MVCCStore is Coracle's replicated state machine: an MVCC key-value store with etcd v3
 * semantics (DESIGN §5), applied from the Raft log. It is a deterministic core: synchronous,
 * no clock (time arrives as `nowMs` inside commands, stamped by the proposer), no
 * randomness, no IO.
 *
 * Contract:
 * - `apply(command)` MUST be called with committed commands in log order, on every peer.
 *   It returns the result (a response or an expected error value) and the watch events of
 *   the command (hand them to `WatchHub.onApplied` BEFORE applying the next command).
 * - A failed command changes nothing and emits no events.
 * - The revision starts at 1 and moves by exactly one per command that changes a key.
 * - Reads (`range`, `leaseTimeToLive`) are local and serializable; linearizability is the
 *   shell's job (ReadIndex).
 * - Two stores fed the same commands have equal `stateHash()` and equal `snapshot()` bytes.
 * - Values live in the injected ValueStore (store/value-store; in memory by default), which
 *   this store owns: a restored store starts by clearing it.
 */
import { assert, assertNonNegativeInteger, assertSafeInteger, assertNever } from './assert.js';
import { type Crc32Function, Fnv64, binaryToBytes, bytesToBinary } from './bytes.js';
import type { ByteSource } from './chunks.js';
import { type Outcome, fail, ok } from './errors.js';
import { IndexEvent, KeyIndex } from './key-index.js';
import { Lessor } from './lessor.js';
import { expiredLeasesBatchMax } from './limits.js';
import { executeRange, type ReadView } from './range.js';
import { type DecodedRow, type Row, leaseRow, metaRow, readSnapshot, writeSnapshot }
  from './rows.js';
import { validateDeleteRange, validatePut, validateRange } from './txn.js';
import {
  type CompactionRequest, type CompactionResponse, type DeleteRangeRequest,
  type DeleteRangeResponse, type LeaseGrantRequest, type LeaseGrantResponse,
  type LeaseKeepAliveRequest, type LeaseKeepAliveResponse, type LeasePromoteResponse,
  type LeaseRevokeRequest, type LeaseRevokeResponse, type LeaseTimeToLiveRequest,
  type LeaseTimeToLiveResponse, type PutRequest,
  type PutResponse, type RangeRequest, type RangeResponse, type TxnRequest,
  type TxnResponse, type WatchEvent,
} from './types.js';
import { MemoryValueStore, type ValueStore } from './value-store.js';
import { type Effects, type StoreState, WriteTxn, applyTxn } from './write-txn.js';

/** StoreCommand is one replicated command, the payload of a Raft log entry. */
export type StoreCommand =
  | { readonly type: 'put'; readonly request: PutRequest }
  | { readonly type: 'deleteRange'; readonly request: DeleteRangeRequest }
  | { readonly type: 'txn'; readonly request: TxnRequest }
  | { readonly type: 'compaction'; readonly request: CompactionRequest }
  | { readonly type: 'leaseGrant'; readonly request: LeaseGrantRequest; readonly nowMs: number }
  | { readonly type: 'leaseRevoke'; readonly request: LeaseRevokeRequest }
  | { readonly type: 'leaseKeepAlive'; readonly request: LeaseKeepAliveRequest;
      readonly nowMs: number }
  /** Proposed once by a new leader: every expiry becomes >= nowMs + TTL + extendMs. */
  | { readonly type: 'leasePromote'; readonly nowMs: number; readonly extendMs: number };

/** The response type of each command type. */
export interface CommandResponses {
  put: PutResponse;
  deleteRange: DeleteRangeResponse;
  txn: TxnResponse;
  compaction: CompactionResponse;
  leaseGrant: LeaseGrantResponse;
  leaseRevoke: LeaseRevokeResponse;
  leaseKeepAlive: LeaseKeepAliveResponse;
  leasePromote: LeasePromoteResponse;
}

/** ApplyResult is everything one applied command produced. */
export interface ApplyResult<R> {
  readonly result: Outcome<R>;
  /**
   * Watch events in order; all share `revision` (empty when no key changed). A `prevKv` is
   * read when first asked for, which MUST be before the next apply (see IndexEvent).
   */
  readonly events: WatchEvent[];
  /** The store revision after the command. */
  readonly revision: number;
}

/** WatchableHistory is what the WatchHub reads from the store. */
export interface WatchableHistory {
  readonly revision: number;
  readonly compactRevision: number;
  /** The events of main revision `revision`, which MUST be > compactRevision. */
  eventsAt(revision: number): WatchEvent[];
}

/** MVCCStoreOptions are the store's ports. */
export interface MVCCStoreOptions {
  /** Where values live (default: in memory). */
  readonly values?: ValueStore;
  /**
   * The CRC-32 of snapshots (default: store/bytes' own, in JavaScript). A shell passes
   * zlib's native one: a snapshot checksums every byte of the state, ~3% of a follower's CPU
   * at 256 puts in flight with the JavaScript one.
   */
  readonly crc32?: Crc32Function;
}

/** MVCCStore is the replicated MVCC key-value state machine (see the module comment). */
export class MVCCStore implements WatchableHistory {
  private readonly state: StoreState;
  private readonly crc32: Crc32Function | undefined;

  /**
   * Creates an empty store keeping its values in `values` (default: in memory) whose
   * snapshots are checked with `crc32` (default: store/bytes' own, see MVCCStoreOptions).
   */
  constructor(options: MVCCStoreOptions = {}) {
    this.crc32 = options.crc32;
    this.state = {
      index: new KeyIndex(options.values ?? new MemoryValueStore()), lessor: new Lessor(),
      revision: 1, compactRevision: 0,
    };
  }

  /** The current store revision (1 for an empty store; the first write makes it 2). */
  get revision(): number {
    return this.state.revision;
  }

  /** The revision of the last compaction (0 before any). Reads below it fail. */
  get compactRevision(): number {
    return this.state.compactRevision;
  }

  /** Number of keys with retained history (live or deleted but not compacted away). */
  get keyCount(): number {
    return this.state.index.keyCount;
  }

  /** Number of retained version records, history included (tombstones too). */
  get recordCount(): number {
    return this.state.index.recordCount;
  }

  /** Applies one committed command (see the module comment for the contract). */
  apply<C extends StoreCommand>(command: C): ApplyResult<CommandResponses[C['type']]> {
    const effects: Effects = { events: [] };
    const before = this.state.revision;
    const result = this.dispatch(command, effects);
    if (!result.ok) {
      assert(effects.events.length === 0, 'a failed command emits no events');
      assert(this.state.revision === before, 'a failed command keeps the revision');
    }
    assert(this.state.revision >= before, 'the revision never goes back');
    assert(effects.events.length === 0 || this.state.revision === before + 1,
      'events come with exactly one new revision');
    // NB: the cast is sound because dispatch switches on command.type.
    return {
      result: result as Outcome<CommandResponses[C['type']]>,
      events: effects.events, revision: this.state.revision,
    };
  }

  /** Reads a range locally (a serializable read). */
  range(request: RangeRequest): Outcome<RangeResponse> {
    const invalid = validateRange(request);
    if (invalid !== undefined) {
      return fail(invalid);
    }
    return executeRange(this.readView(), request);
  }

  /**
   * Reports a lease's granted TTL, its remaining whole seconds at `nowMs` (etcd truncates;
   * 0 once expired but not yet revoked) and, when asked, its keys in byte order. An unknown
   * lease reports TTL -1, as etcd's LeaseTimeToLive does.
   */
  leaseTimeToLive(request: LeaseTimeToLiveRequest, nowMs: number): LeaseTimeToLiveResponse {
    assertSafeInteger(nowMs, 'nowMs');
    const id = request.ID;
    const header = { revision: this.state.revision };
    const lease = this.state.lessor.get(id);
    if (lease === undefined) {
      return { header, ID: id, TTL: -1, grantedTTL: 0, keys: [] };
    }
    const remainingMs = Math.max(0, lease.expiryMs - nowMs);
    const keyBytes = request.keys === true ? [...lease.keys].sort().map(binaryToBytes) : [];
    return {
      header, ID: id, TTL: Math.floor(remainingMs / 1000), grantedTTL: lease.ttlSeconds,
      keys: keyBytes,
    };
  }

  /** Lists every lease id in ascending order (etcd LeaseLeases). */
  leaseIds(): number[] {
    return this.state.lessor.list().map((lease) => lease.id);
  }

  /**
   * Returns up to `countMax` lease ids whose expiry is <= nowMs, soonest first. The store
   * never expires leases itself: the leader proposes a `leaseRevoke` for each.
   */
  expiredLeases(nowMs: number, options: { countMax?: number } = {}): number[] {
    const countMax = Math.min(options.countMax ?? expiredLeasesBatchMax, expiredLeasesBatchMax);
    return this.state.lessor.expired({ nowMs, countMax });
  }

  /** Returns the events of main revision `revision` from retained history. */
  eventsAt(revision: number): WatchEvent[] {
    assertNonNegativeInteger(revision, 'history revision');
    assert(revision > this.state.compactRevision, 'history above the compaction is complete');
    const index = this.state.index;
    const { first, end } = index.recordsAt(revision);
    const events: WatchEvent[] = [];
    for (let id = first; id < end; id++) {
      const kv = index.keyValue(id, !index.isTombstone(id));
      events.push(new IndexEvent(kv, { index, previousId: index.previousLive(id) }));
    }
    return events;
  }

  /**
   * Hashes the replicated state: revision, compacted revision, every live key-value at the
   * current revision in key order, and every lease. Equal on all peers that applied the same
   * commands; FNV-1a 64 as 16 hex digits.
   */
  stateHash(): string {
    const hash = new Fnv64().int(this.state.revision).int(this.state.compactRevision);
    const everything = { start: '', end: undefined, single: false };
    const index = this.state.index;
    index.scanAt(everything, this.state.revision, (id) => {
      const kv = index.keyValue(id, true);
      hash.bytes(kv.key).bytes(kv.value).int(kv.createRevision).int(kv.modRevision)
        .int(kv.version).int(kv.lease);
      return true;
    });
    for (const lease of this.state.lessor.list()) {
      hash.int(lease.id).int(lease.ttlSeconds).int(lease.expiryMs);
    }
    return hash.digest();
  }

  /**
   * Writes the whole state, history included, deterministically (src/store/rows.ts) to
   * `sink`, one reused chunk at a time; returns the size in bytes.
   */
  snapshotTo(sink: (chunk: Uint8Array) => void): number {
    const index = this.state.index;
    const rows: Row[] = [
      metaRow('revision', this.state.revision),
      metaRow('compactRevision', this.state.compactRevision),
      metaRow('leaseIdNext', this.state.lessor.idNext),
      ...this.state.lessor.list().map(leaseRow),
    ];
    return writeSnapshot({
      records: index.sizes(), rows,
      forEachRecord: (visit) => index.forEachRecord(visit),
    }, sink, this.crc32 === undefined ? {} : { crc32: this.crc32 });
  }

  /** Returns the snapshot bytes as one array (tests and the Maintenance API). */
  snapshot(): Uint8Array {
    const chunks: Uint8Array[] = [];
    const size = this.snapshotTo((chunk) => chunks.push(chunk.slice()));
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    assert(offset === size, 'snapshot chunks add up to its size');
    return bytes;
  }

  /**
   * Rebuilds a store from snapshot bytes (`snapshot()`'s, or a source reading them from a
   * file) starting at `start`; its values go to `values`, cleared first.
   */
  static restore(source: ByteSource, options: MVCCStoreOptions & { start?: number } = {}):
    MVCCStore {
    options.values?.clear();
    const { start, ...storeOptions } = options;
    const store = new MVCCStore(storeOptions);
    store.load(source, start ?? 0);
    return store;
  }

  private load(source: ByteSource, start: number): void {
    const state = this.state;
    let revisionMax = 1;
    readSnapshot(source, (row) => {
      if (row.kind === 'record') {
        this.loadRecord(row);
        revisionMax = Math.max(revisionMax, row.revision);
      } else {
        this.loadRow(row);
      }
    }, this.crc32 === undefined ? { start } : { start, crc32: this.crc32 });
    const everything = { start: '', end: undefined, single: false };
    state.index.scanAt(everything, state.revision, (id) => {
      const lease = state.index.fields(id).lease;
      if (lease !== 0) {
        state.lessor.attach(lease, state.index.keyText(id));
      }
      return true;
    });
    assert(state.revision >= revisionMax, 'meta revision covers every record');
    assert(state.compactRevision <= state.revision, 'compaction is not in the future');
  }

  private loadRecord(row: Extract<DecodedRow, { kind: 'record' }>): void {
    const index = this.state.index;
    if (row.tombstone) {
      index.appendTombstone(row.keyText, row);
    } else {
      index.appendPut(row);
    }
  }

  private loadRow(row: Exclude<DecodedRow, { kind: 'record' }>): void {
    const state = this.state;
    if (row.kind === 'lease') {
      state.lessor.restore(row);
    } else if (row.name === 'revision') {
      state.revision = row.value;
    } else if (row.name === 'compactRevision') {
      state.compactRevision = row.value;
    } else {
      state.lessor.idNext = row.value;
    }
  }

  private readView(): ReadView {
    return { index: this.state.index, revision: this.state.revision,
      compactRevision: this.state.compactRevision };
  }

  private dispatch(command: StoreCommand, effects: Effects): Outcome<unknown> {
    switch (command.type) {
      case 'put':
        return this.applyPut(command.request, effects);
      case 'deleteRange':
        return this.applyDeleteRange(command.request, effects);
      case 'txn':
        return applyTxn(this.state, command.request, effects);
      case 'compaction':
        return this.applyCompaction(command.request);
      case 'leaseGrant':
        return this.applyLeaseGrant(command.request, command.nowMs);
      case 'leaseRevoke':
        return this.applyLeaseRevoke(command.request, effects);
      case 'leaseKeepAlive':
        return this.applyLeaseKeepAlive(command.request, command.nowMs);
      case 'leasePromote':
        return this.applyLeasePromote(command);
      default:
        return assertNever(command, 'store command');
    }
  }

  private applyPut(request: PutRequest, effects: Effects): Outcome<PutResponse> {
    const invalid = validatePut(request);
    if (invalid !== undefined) {
      return fail(invalid);
    }
    // NB: what applyTxn does for a one-put txn, without planning one: the same checks in the
    // same order (etcd checkRequests), then the put (the hot path of every write).
    const state = this.state;
    const ignoring = request.ignoreValue === true || request.ignoreLease === true;
    if (ignoring && state.index.latest(bytesToBinary(request.key)) < 0) {
      return fail('STORE_ERR_KEY_NOT_FOUND');
    }
    const lease = request.lease ?? 0;
    if (lease !== 0 && state.lessor.get(lease) === undefined) {
      return fail('STORE_ERR_LEASE_NOT_FOUND');
    }
    const txn = new WriteTxn(state, effects);
    const response = txn.put(request);
    const revision = txn.end();
    assert('responsePut' in response, 'a put answers with a put response');
    assert(response.responsePut.header.revision === revision, 'the put made the new revision');
    return ok(response.responsePut);
  }

  private applyDeleteRange(
    request: DeleteRangeRequest, effects: Effects,
  ): Outcome<DeleteRangeResponse> {
    const invalid = validateDeleteRange(request);
    if (invalid !== undefined) {
      return fail(invalid);
    }
    const outcome = applyTxn(this.state, { success: [{ requestDeleteRange: request }] }, effects);
    assert(outcome.ok, 'a valid delete cannot fail');
    const first = outcome.response.responses[0];
    assert(first !== undefined && 'responseDeleteRange' in first, 'a delete answers in kind');
    return ok(first.responseDeleteRange);
  }

  private applyCompaction(request: CompactionRequest): Outcome<CompactionResponse> {
    const state = this.state;
    assertSafeInteger(request.revision, 'compaction revision');
    if (request.revision > state.revision) {
      return fail('STORE_ERR_FUTURE_REV');
    }
    if (request.revision <= state.compactRevision) {
      return fail('STORE_ERR_COMPACTED');
    }
    state.index.compact({ previousRevision: state.compactRevision, revision: request.revision });
    state.compactRevision = request.revision;
    return ok({ header: { revision: state.revision } });
  }

  private applyLeaseGrant(request: LeaseGrantRequest, nowMs: number):
    Outcome<LeaseGrantResponse> {
    const outcome = this.state.lessor.grant(request, nowMs);
    if (!outcome.ok) {
      return outcome;
    }
    const lease = outcome.response;
    return ok({ header: { revision: this.state.revision }, ID: lease.id, TTL: lease.ttlSeconds });
  }

  private applyLeaseRevoke(
    request: LeaseRevokeRequest, effects: Effects,
  ): Outcome<LeaseRevokeResponse> {
    const keys = this.state.lessor.revoke(request.ID);
    if (keys === undefined) {
      return fail('STORE_ERR_LEASE_NOT_FOUND');
    }
    const index = this.state.index;
    const txn = new WriteTxn(this.state, effects);
    for (const keyText of keys) {
      const live = index.latest(keyText);
      assert(live >= 0 && index.fields(live).lease === request.ID, 'attached keys are live');
      txn.deleteKey(live);
    }
    const revision = txn.end();
    return ok({ header: { revision } });
  }

  private applyLeaseKeepAlive(request: LeaseKeepAliveRequest, nowMs: number):
    Outcome<LeaseKeepAliveResponse> {
    const outcome = this.state.lessor.keepAlive(request.ID, nowMs);
    if (!outcome.ok) {
      return outcome;
    }
    const lease = outcome.response;
    return ok({ header: { revision: this.state.revision }, ID: lease.id, TTL: lease.ttlSeconds });
  }

  private applyLeasePromote(clock: { nowMs: number; extendMs: number }):
    Outcome<LeasePromoteResponse> {
    const changed = this.state.lessor.promote(clock);
    return ok({ header: { revision: this.state.revision }, leases: changed.length });
  }
}
