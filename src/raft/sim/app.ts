/**
 * @module raft/sim/app
 * The simulated application state machine: a set of client values, each remembered with the
 * log index that first carried it. It is deliberately tiny but real: it is snapshotted with
 * `encode()`, handed to the core by `compact`, shipped by InstallSnapshot and restored with
 * `restore()`, so the checkers see exactly what a follower rebuilt from a snapshot.
 *
 * Contract: `apply` MUST see committed entries in index order with no gap (it asserts so).
 * A value applied a second time (a duplicated Propose message can append it twice) is
 * ignored, as a real state machine ignores a retried request id; entries are the unit of
 * State Machine Safety, values the unit of client-visible history.
 */
import { assert } from '../../util/assert.js';
import { EntryType } from '../types.js';
import type { Entry } from '../types.js';

/** The largest number of values one app holds; a run never gets near it. */
const valuesMax = 1_000_000;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

const keyCache = new WeakMap<Entry, string>();

/** Encodes a client value as entry data. */
export function encodeValue(value: string): Uint8Array {
  return textEncoder.encode(value);
}

/** Decodes entry data as a client value. */
export function decodeValue(data: Uint8Array): string {
  return textDecoder.decode(data);
}

/**
 * Returns an identity string for an entry: term, type and data. Two entries with the same
 * key are the same entry for the checkers. Keys are cached per (immutable) entry object.
 */
export function entryKey(entry: Entry): string {
  const cached = keyCache.get(entry);
  if (cached !== undefined) return cached;
  let data = '';
  for (const byte of entry.data) data += byte.toString(16).padStart(2, '0');
  const key = `${entry.term}/${entry.type}/${data}`;
  keyCache.set(entry, key);
  return key;
}

/** What applying one entry did to the app. */
export interface ApplyOutcome {
  /** The client value the entry carried, or null for no-ops and membership changes. */
  readonly value: string | null;
  /** True when the value was new; false for a duplicate that was ignored. */
  readonly fresh: boolean;
}

/** SimApp is one node's in-memory application state. */
export class SimApp {
  /** The last applied log index (from entries or a restored snapshot). */
  appliedIndex: number;
  /** Values in application order, mapped to the index that first carried them. */
  readonly values = new Map<string, number>();
  /** Duplicated values ignored since this app was created. */
  duplicatesIgnored = 0;

  /** Creates an empty app at `appliedIndex` 0. */
  constructor() {
    this.appliedIndex = 0;
  }

  /** Rebuilds an app from snapshot data taken at `index`. */
  static fromSnapshot(index: number, data: Uint8Array): SimApp {
    const app = new SimApp();
    app.restore(index, data);
    return app;
  }

  /** Applies one committed entry; entries MUST arrive in order, without gaps. */
  apply(entry: Entry): ApplyOutcome {
    assert(entry.index === this.appliedIndex + 1,
      `apply out of order: entry ${entry.index} after applied ${this.appliedIndex}`);
    this.appliedIndex = entry.index;
    if (entry.type !== EntryType.Normal || entry.data.length === 0) {
      return { value: null, fresh: false };
    }
    const value = decodeValue(entry.data);
    if (this.values.has(value)) {
      this.duplicatesIgnored++;
      return { value, fresh: false };
    }
    assert(this.values.size < valuesMax, 'app values above valuesMax');
    this.values.set(value, entry.index);
    return { value, fresh: true };
  }

  /** Encodes the state for a snapshot: the applied index and the values with their indexes. */
  encode(): Uint8Array {
    const pairs: Array<[string, number]> = [...this.values];
    return textEncoder.encode(JSON.stringify({ appliedIndex: this.appliedIndex, pairs }));
  }

  /** Replaces the state with a snapshot's; asserts the snapshot matches its index. */
  restore(index: number, data: Uint8Array): void {
    const decoded = JSON.parse(textDecoder.decode(data)) as {
      appliedIndex?: unknown;
      pairs?: unknown;
    };
    assert(decoded.appliedIndex === index,
      `snapshot data is for index ${String(decoded.appliedIndex)}, meta says ${index}`);
    assert(Array.isArray(decoded.pairs), 'snapshot data has no values');
    this.values.clear();
    for (const pair of decoded.pairs as Array<[string, number]>) {
      assert(pair[1] <= index, 'snapshot holds a value beyond its index');
      this.values.set(pair[0], pair[1]);
    }
    this.appliedIndex = index;
  }
}
