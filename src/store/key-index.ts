/**
 * @module store/key-index
 *
 * KeyIndex holds every retained version of every key, like etcd's treeIndex of keyIndex
 * plus its "key" bucket:
 *
 * - `log` (store/record-log): every record in (revision, sub) order, as typed-array columns.
 *   A record names its key by key id and links to the key's previous record, so a key's
 *   history is a chain from its newest record. A tombstone record (version 0) ends a
 *   generation; the next put starts a new one with version 1. The live version at revision
 *   R is the newest record with revision <= R, unless that record is a tombstone.
 * - key ids: key (binary string) -> id, id -> key and id -> newest record.
 * - `keys`: the same keys in byte order, for range scans (src/store/sorted-keys.ts).
 * - values: in the injected ValueStore; the index keeps each value's ref and length.
 *
 * Records are named by id (their position in the log). Ids change when compaction removes
 * records, so callers MUST NOT keep an id across a command.
 *
 * Compaction at revision C keeps, per key, the latest record <= C unless it is a tombstone,
 * and every record > C (etcd keyIndex.compact). A key with no record left disappears.
 */
import { assert, assertNonNegativeInteger } from './assert.js';
import { binaryToBytes, emptyBytes } from './bytes.js';
import { RecordLog, type RecordFields } from './record-log.js';
import { SortedKeys } from './sorted-keys.js';
import { EventType, type EventTypeValue, type KeyValue, type WatchEvent } from './types.js';
import type { ValueStore } from './value-store.js';

/** KeyBounds is a normalized key range: [start, end), `end` undefined means unbounded. */
export interface KeyBounds {
  readonly start: string;
  readonly end: string | undefined;
  /** True when the range is the single key `start`. */
  readonly single: boolean;
}

/** The fields of a put, as the index records them. */
export interface PutFields {
  readonly keyText: string;
  readonly revision: number;
  readonly sub: number;
  readonly createRevision: number;
  readonly version: number;
  readonly lease: number;
  readonly value: Uint8Array;
}

/** KeyIndex is the multi-version index (see the module comment). */
export class KeyIndex {
  private readonly log = new RecordLog();
  private readonly keyIds = new Map<string, number>();
  /** Key id -> key; undefined for a free id. */
  private readonly keyTexts: Array<string | undefined> = [];
  /** Key id -> id of its newest record (-1 for a free id). */
  private readonly newest: number[] = [];
  private readonly freeKeyIds: number[] = [];
  private readonly keys = new SortedKeys();
  private compactions = 0;

  /** Creates an empty index whose values live in `values`. */
  constructor(private readonly values: ValueStore) {}

  /** Number of keys with at least one retained record. */
  get keyCount(): number {
    return this.keys.size;
  }

  /** Number of retained records. */
  get recordCount(): number {
    return this.log.size;
  }

  /** Counts compactions that removed records: record ids from before a change are stale. */
  get epoch(): number {
    return this.compactions;
  }

  /** The record count and total key and value bytes (a snapshot's size). */
  sizes(): { count: number; keyBytes: number; valueBytes: number } {
    let keyBytes = 0;
    let valueBytes = 0;
    for (let id = 0; id < this.log.size; id++) {
      keyBytes += this.keyText(id).length;
      valueBytes += this.log.valueLength(id);
    }
    return { count: this.log.size, keyBytes, valueBytes };
  }

  /** Records a put, which MUST be newer than every record; returns its id. */
  appendPut(put: PutFields): number {
    assert(put.version >= 1, 'a live record has version >= 1');
    assertNonNegativeInteger(put.createRevision, 'create revision');
    const valueRef = put.value.length === 0 ? 0 : this.values.append(put.value);
    const keyId = this.keyIdOf(put.keyText);
    return this.append({
      revision: put.revision, sub: put.sub, createRevision: put.createRevision,
      version: put.version, lease: put.lease, valueRef, valueLength: put.value.length,
      keyId, previous: this.newest[keyId]!,
    });
  }

  /** Records the tombstone deleting `keyText` at (revision, sub); returns its id. */
  appendTombstone(keyText: string, at: { revision: number; sub: number }): number {
    assert(this.latest(keyText) >= 0, 'only a live key is deleted');
    const keyId = this.keyIdOf(keyText);
    return this.append({
      revision: at.revision, sub: at.sub, createRevision: 0, version: 0, lease: 0,
      valueRef: 0, valueLength: 0, keyId, previous: this.newest[keyId]!,
    });
  }

  /** Returns the id of the newest record of `keyText` when it is live, else -1. */
  latest(keyText: string): number {
    const keyId = this.keyIds.get(keyText);
    if (keyId === undefined) return -1;
    const id = this.newest[keyId]!;
    return this.log.version(id) === 0 ? -1 : id;
  }

  /** Returns the id of the live record of `keyText` at `revision`, or -1. */
  at(keyText: string, revision: number): number {
    const keyId = this.keyIds.get(keyText);
    if (keyId === undefined) return -1;
    let id = this.newest[keyId]!;
    while (id >= 0 && this.log.revision(id) > revision) {
      id = this.log.previous(id);
    }
    return id < 0 || this.log.version(id) === 0 ? -1 : id;
  }

  /** Returns the id of the record before `id` in its key's history when it is live, or -1. */
  previousLive(id: number): number {
    const before = this.log.previous(id);
    return before < 0 || this.log.version(before) === 0 ? -1 : before;
  }

  /**
   * Visits the live records at `revision` of the keys in `bounds`, in key order, until the
   * visitor returns false. The index MUST NOT change during the visit.
   */
  scanAt(bounds: KeyBounds, revision: number, visit: (id: number) => boolean): void {
    if (bounds.single) {
      const id = this.at(bounds.start, revision);
      if (id >= 0) visit(id);
      return;
    }
    this.keys.scan(bounds.start, bounds.end, (keyText) => {
      const id = this.at(keyText, revision);
      return id < 0 ? true : visit(id);
    });
  }

  /** Returns the ids [first, end) of the records of main revision `revision`. */
  recordsAt(revision: number): { first: number; end: number } {
    const first = this.log.lowerBound(revision);
    const end = this.log.lowerBound(revision + 1);
    assert(first <= end, 'record range is ordered');
    return { first, end };
  }

  /** Returns every field of record `id`. */
  fields(id: number): RecordFields {
    return this.log.fields(id);
  }

  /** Returns the main revision of record `id`. */
  modRevision(id: number): number {
    return this.log.revision(id);
  }

  /** Reports whether record `id` is a tombstone. */
  isTombstone(id: number): boolean {
    return this.log.version(id) === 0;
  }

  /** Returns the key of record `id` as a binary string. */
  keyText(id: number): string {
    const keyText = this.keyTexts[this.log.keyId(id)];
    assert(keyText !== undefined, 'a record names a known key');
    return keyText;
  }

  /** Returns record `id`'s value (in an array of its own). */
  value(id: number): Uint8Array {
    const fields = this.log.fields(id);
    return fields.valueLength === 0 ? emptyBytes
      : this.values.read(fields.valueRef, fields.valueLength);
  }

  /**
   * Returns record `id` as a KeyValue; its value is read only when `withValue` (else empty).
   * A tombstone carries only key and modRevision (etcd's DELETE event kv).
   */
  keyValue(id: number, withValue: boolean): KeyValue {
    const fields = this.log.fields(id);
    const value = !withValue || fields.valueLength === 0 ? emptyBytes
      : this.values.read(fields.valueRef, fields.valueLength);
    return {
      key: binaryToBytes(this.keyText(id)), createRevision: fields.createRevision,
      modRevision: fields.revision, version: fields.version, value, lease: fields.lease,
    };
  }

  /**
   * Visits every retained record in (revision, sub) order with its value as a view; both
   * `fields` (one object, reused) and the value are valid only during the call (snapshots).
   */
  forEachRecord(visit: (fields: RecordFields, keyText: string, value: Uint8Array) => void):
    void {
    const size = this.log.size;
    const fields = {
      revision: 0, sub: 0, createRevision: 0, version: 0, lease: 0, valueRef: 0,
      valueLength: 0, keyId: 0, previous: 0,
    };
    for (let id = 0; id < size; id++) {
      this.log.readInto(id, fields);
      const value = fields.valueLength === 0 ? emptyBytes
        : this.values.view(fields.valueRef, fields.valueLength);
      visit(fields, this.keyText(id), value);
    }
    assert(this.log.size === size, 'records did not change during the visit');
  }

  /**
   * Compacts history at `revision` (see the module comment), releasing the values of the
   * removed records; returns how many were removed. Only keys written in (previous,
   * revision] can change, because an earlier compaction left at most one live record
   * <= previous per key.
   */
  compact(bounds: { previousRevision: number; revision: number }): number {
    const { previousRevision: previous, revision } = bounds;
    assert(previous < revision, 'compaction moves forward');
    const touched = new Set<number>();
    const end = this.log.lowerBound(revision + 1);
    for (let id = this.log.lowerBound(previous + 1); id < end; id++) {
      touched.add(this.log.keyId(id));
    }
    const removed = new Uint8Array(this.log.size);
    let removedCount = 0;
    for (const keyId of touched) {
      removedCount += this.markCompacted(keyId, revision, removed);
    }
    if (removedCount > 0) {
      this.compactions += 1;
      const newIds = this.log.removeMarked(removed);
      for (let keyId = 0; keyId < this.newest.length; keyId++) {
        const id = this.newest[keyId]!;
        if (id < 0) continue;
        const moved = newIds[id]!;
        assert(moved >= 0, 'a key keeps its newest record');
        this.newest[keyId] = moved;
      }
    }
    this.maybeRelocateValues();
    return removedCount;
  }

  /** Marks the records of one touched key that compaction at `revision` removes. */
  private markCompacted(keyId: number, revision: number, removed: Uint8Array): number {
    const log = this.log;
    const newest = this.newest[keyId]!;
    let kept = newest;
    while (log.revision(kept) > revision) {
      kept = log.previous(kept);
      assert(kept >= 0, 'a touched key has a record at or before the compaction');
    }
    let cut = log.version(kept) === 0 ? kept : log.previous(kept);
    let count = 0;
    for (; cut >= 0; cut = log.previous(cut)) {
      const fields = log.fields(cut);
      if (fields.valueLength > 0) this.values.release(fields.valueRef, fields.valueLength);
      removed[cut] = 1;
      count += 1;
    }
    if (kept === newest && log.version(kept) === 0) {
      this.freeKey(keyId);
    }
    return count;
  }

  /** Moves the values the value store wants moved (so it can reclaim their space). */
  private maybeRelocateValues(): void {
    if (!this.values.relocationWanted()) return;
    for (let id = 0; id < this.log.size; id++) {
      const fields = this.log.fields(id);
      if (fields.valueLength === 0 || !this.values.shouldRelocate(fields.valueRef)) continue;
      const moved = this.values.append(this.values.view(fields.valueRef, fields.valueLength));
      this.values.release(fields.valueRef, fields.valueLength);
      this.log.setValueRef(id, moved);
    }
  }

  /** Returns the id of `keyText`, allocated when the key is new. */
  private keyIdOf(keyText: string): number {
    return this.keyIds.get(keyText) ?? this.allocateKey(keyText);
  }

  /** Appends the key's newest record (NB: built whole by the caller: a spread cost ~2 µs). */
  private append(fields: RecordFields): number {
    assert(fields.previous === this.newest[fields.keyId], 'the record links its key\'s newest');
    const id = this.log.append(fields);
    this.newest[fields.keyId] = id;
    assert(this.log.keyId(id) === fields.keyId, 'the record names its key');
    return id;
  }

  private allocateKey(keyText: string): number {
    const keyId = this.freeKeyIds.pop() ?? this.keyTexts.length;
    this.keyTexts[keyId] = keyText;
    this.newest[keyId] = -1;
    this.keyIds.set(keyText, keyId);
    this.keys.insert(keyText);
    return keyId;
  }

  private freeKey(keyId: number): void {
    const keyText = this.keyTexts[keyId];
    assert(keyText !== undefined, 'freed key is in use');
    this.keyIds.delete(keyText);
    this.keys.remove(keyText);
    this.keyTexts[keyId] = undefined;
    this.newest[keyId] = -1;
    this.freeKeyIds.push(keyId);
  }
}

/**
 * IndexEvent is a watch event of the index whose `prevKv` is read (once) when first asked
 * for: most watchers never want it, and reading it costs a value read. It MUST be asked
 * for before the next compaction (the WatchHub does so as it fans the event out, right
 * after the apply); a later first read fails an assertion.
 */
export class IndexEvent implements WatchEvent {
  readonly type: EventTypeValue;
  readonly #index: KeyIndex;
  readonly #previousId: number;
  readonly #epoch: number;
  #prevKv: KeyValue | undefined | null = null;

  /** Creates the event of record `kv`; `previousId` is the key's previous live record. */
  constructor(readonly kv: KeyValue, source: { index: KeyIndex; previousId: number }) {
    this.type = kv.version === 0 ? EventType.DELETE : EventType.PUT;
    this.#index = source.index;
    this.#previousId = source.previousId;
    this.#epoch = source.index.epoch;
    if (source.previousId < 0) this.#prevKv = undefined;
  }

  /** The key's previous version, when it had a live one. */
  get prevKv(): KeyValue | undefined {
    if (this.#prevKv === null) {
      assert(this.#index.epoch === this.#epoch, 'prevKv is read before the history changes');
      this.#prevKv = this.#index.keyValue(this.#previousId, true);
    }
    return this.#prevKv;
  }
}
