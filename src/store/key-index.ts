/**
 * @module store/key-index
 *
 * KeyIndex holds every retained version of every key, like etcd's treeIndex of keyIndex
 * plus its "key" bucket, in memory:
 *
 * - `histories`: key (binary string) -> records ascending by (revision, sub). A tombstone
 *   record ends a generation; the next put starts a new one with version 1. This flat list
 *   is equivalent to etcd's generations: the live version at revision R is the last record
 *   with revision <= R, unless that record is a tombstone.
 * - `keys`: the same keys in byte order, for range scans (src/store/sorted-keys.ts).
 * - `byRevision`: main revision -> its records ascending by sub, for watch history,
 *   compaction and persistence.
 *
 * Compaction at revision C keeps, per key, the latest record <= C unless it is a tombstone,
 * and every record > C (etcd keyIndex.compact). A key with no record left disappears.
 */
import { assert, assertNonNegativeInteger } from './assert.js';
import { emptyBytes } from './bytes.js';
import { SortedKeys } from './sorted-keys.js';
import type { KeyValue } from './types.js';

/** KVRecord is one stored version of a key at revision (kv.modRevision, sub). */
export interface KVRecord {
  /** The version as clients see it; for a tombstone only key and modRevision are set. */
  readonly kv: KeyValue;
  /** The key as a binary string (src/store/bytes.ts). */
  readonly keyText: string;
  /** Position of the change within its revision's transaction, from 0. */
  readonly sub: number;
  readonly tombstone: boolean;
}

/** Builds the tombstone record that deletes `key` at (revision, sub). */
export function tombstoneRecord(
  key: Uint8Array, keyText: string, revision: number, sub: number,
): KVRecord {
  const kv: KeyValue = {
    key, createRevision: 0, modRevision: revision, version: 0, value: emptyBytes, lease: 0,
  };
  return { kv, keyText, sub, tombstone: true };
}

/** Orders two records by (revision, sub). */
function compareRecords(left: KVRecord, right: KVRecord): number {
  const delta = left.kv.modRevision - right.kv.modRevision;
  return delta !== 0 ? delta : left.sub - right.sub;
}

/** Finds the index of the last record with revision <= `revision`, or -1. */
function lastAtOrBefore(records: readonly KVRecord[], revision: number): number {
  let low = 0;
  let high = records.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const record = records[middle];
    assert(record !== undefined, 'middle record exists');
    if (record.kv.modRevision <= revision) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low - 1;
}

/** KeyBounds is a normalized key range: [start, end), `end` undefined means unbounded. */
export interface KeyBounds {
  readonly start: string;
  readonly end: string | undefined;
  /** True when the range is the single key `start`. */
  readonly single: boolean;
}

/** KeyIndex is the in-memory multi-version index (see the module comment). */
export class KeyIndex {
  private readonly histories = new Map<string, KVRecord[]>();
  private readonly keys = new SortedKeys();
  private readonly byRevision = new Map<number, KVRecord[]>();

  /** Number of keys with at least one retained record. */
  get keyCount(): number {
    return this.keys.size;
  }

  /** Appends `record`, which MUST be newer than every record of its key and revision. */
  append(record: KVRecord): void {
    assertNonNegativeInteger(record.sub, 'sub revision');
    // NB: a new list is created as a one-element literal: V8 gives `[]` 17 slots on its
    // first push, ~150 bytes per list, and most keys and revisions hold one record (a
    // store of 130k puts: 90 MB of heap before this, issue 5).
    const history = this.histories.get(record.keyText);
    if (history === undefined) {
      this.histories.set(record.keyText, [record]);
      this.keys.insert(record.keyText);
    } else {
      const last = history[history.length - 1];
      assert(last === undefined || compareRecords(last, record) < 0, 'key history ascends');
      history.push(record);
    }
    const sameRevision = this.byRevision.get(record.kv.modRevision);
    if (sameRevision === undefined) {
      this.byRevision.set(record.kv.modRevision, [record]);
    } else {
      const lastSub = sameRevision[sameRevision.length - 1];
      assert(lastSub === undefined || lastSub.sub < record.sub, 'sub revisions ascend');
      sameRevision.push(record);
    }
  }

  /** Returns the newest record of `keyText` when it is live (not a tombstone). */
  latest(keyText: string): KVRecord | undefined {
    const history = this.histories.get(keyText);
    const last = history?.[history.length - 1];
    return last === undefined || last.tombstone ? undefined : last;
  }

  /** Returns the live record of `keyText` at `revision`, if the key existed then. */
  at(keyText: string, revision: number): KVRecord | undefined {
    const history = this.histories.get(keyText);
    if (history === undefined) {
      return undefined;
    }
    const found = history[lastAtOrBefore(history, revision)];
    return found === undefined || found.tombstone ? undefined : found;
  }

  /** Returns the record before `record` in its key's history when it is live. */
  previous(record: KVRecord): KVRecord | undefined {
    const history = this.histories.get(record.keyText);
    assert(history !== undefined, 'record belongs to a known key');
    let position = lastAtOrBefore(history, record.kv.modRevision);
    while (position >= 0 && history[position] !== record) {
      position -= 1;
    }
    assert(position >= 0, 'record is in its key history');
    const before = history[position - 1];
    return before === undefined || before.tombstone ? undefined : before;
  }

  /**
   * Visits the live records at `revision` of the keys in `bounds`, in key order, until the
   * visitor returns false. The index MUST NOT change during the visit.
   */
  scanAt(bounds: KeyBounds, revision: number, visit: (record: KVRecord) => boolean): void {
    if (bounds.single) {
      const record = this.at(bounds.start, revision);
      if (record !== undefined) {
        visit(record);
      }
      return;
    }
    this.keys.scan(bounds.start, bounds.end, (keyText) => {
      const record = this.at(keyText, revision);
      return record === undefined ? true : visit(record);
    });
  }

  /** Returns the records of main revision `revision`, ascending by sub (maybe empty). */
  recordsAt(revision: number): readonly KVRecord[] {
    return this.byRevision.get(revision) ?? [];
  }

  /** Visits every retained record in (revision, sub) order. */
  forEachRecord(visit: (record: KVRecord) => void): void {
    const revisions = [...this.byRevision.keys()].sort((left, right) => left - right);
    for (const revision of revisions) {
      for (const record of this.byRevision.get(revision) ?? []) {
        visit(record);
      }
    }
  }

  /**
   * Compacts history at `revision` (see the module comment) and returns the removed records
   * in (revision, sub) order. Only keys written in (previous, revision] can change, because
   * an earlier compaction left at most one live record <= previous per key.
   */
  compact(bounds: { previousRevision: number; revision: number }): KVRecord[] {
    const { previousRevision: previous, revision } = bounds;
    assert(previous < revision, 'compaction moves forward');
    const touched = new Set<string>();
    for (let main = previous + 1; main <= revision; main++) {
      for (const record of this.byRevision.get(main) ?? []) {
        touched.add(record.keyText);
      }
    }
    const removed: KVRecord[] = [];
    for (const keyText of touched) {
      this.compactKey(keyText, revision, removed);
    }
    removed.sort(compareRecords);
    this.dropFromRevisions(removed);
    return removed;
  }

  private compactKey(keyText: string, revision: number, removed: KVRecord[]): void {
    const history = this.histories.get(keyText);
    assert(history !== undefined, 'touched key has history');
    const keep = lastAtOrBefore(history, revision);
    assert(keep >= 0, 'touched key has a record at or before the compaction');
    const kept = history[keep];
    assert(kept !== undefined, 'kept record exists');
    const cut = kept.tombstone ? keep + 1 : keep;
    removed.push(...history.splice(0, cut));
    if (history.length === 0) {
      this.histories.delete(keyText);
      this.keys.remove(keyText);
    }
  }

  private dropFromRevisions(removed: readonly KVRecord[]): void {
    const dropped = new Set(removed);
    const revisions = new Set(removed.map((record) => record.kv.modRevision));
    for (const revision of revisions) {
      const records = this.byRevision.get(revision) ?? [];
      const left = records.filter((record) => !dropped.has(record));
      if (left.length === 0) {
        this.byRevision.delete(revision);
      } else {
        this.byRevision.set(revision, left);
      }
    }
  }
}
