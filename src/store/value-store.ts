/**
 * @module store/value-store
 *
 * ValueStore is where the MVCC store keeps the bytes of its values, so that they need not
 * live in the V8 heap: the store's index holds only a value's ref and length (issue 5: 100k
 * keys of 256-byte values with their history were ~45 MB of slabs plus ~1M small objects).
 * The server keeps them in an append-only file read back with pread (storage/value-file),
 * served from the OS page cache, which is not process memory; tests use `MemoryValueStore`.
 *
 * Contract, which every adapter MUST keep:
 * - `append` copies the bytes (the caller may reuse its array) and returns a ref, a
 *   non-negative safe integer; a ref stays valid until it is released or the store cleared.
 * - `read(ref, length)` returns exactly the bytes appended, in an array of their own that the
 *   caller may keep; `view` may return a view that is valid only until the next call.
 * - Every call is synchronous: the store core is. A failure (a short or corrupt read, a full
 *   disk) throws: the adapter is a cache of the replicated state, which a restart rebuilds
 *   from the Raft snapshot and log, so crashing is the recovery (crash-only, STYLE §4).
 * - Refs and relocations are invisible to clients and to the replicated state: two stores
 *   with different adapters, or different relocations, stay equal in `stateHash` and in
 *   snapshot bytes.
 */
import { assert, assertNonNegativeInteger } from './assert.js';

/** ValueStore keeps value bytes outside the index (see the module comment). */
export interface ValueStore {
  /** Stores a copy of `bytes` (not empty) and returns its ref. */
  append(bytes: Uint8Array): number;
  /** Returns the `length` bytes stored at `ref`, in an array the caller may keep. */
  read(ref: number, length: number): Uint8Array;
  /**
   * Returns the `length` bytes stored at `ref`, possibly as a view valid only until the next
   * call on this store; meant for reading many values in ref order (snapshots, relocation).
   */
  view(ref: number, length: number): Uint8Array;
  /** Says the value at `ref` is no longer referenced; its space may be reclaimed. */
  release(ref: number, length: number): void;
  /**
   * True when some values should move (be appended again and their old ref released) so
   * that space can be reclaimed; `shouldRelocate` then says which.
   */
  relocationWanted(): boolean;
  /** True when the value at `ref` should move (see `relocationWanted`). */
  shouldRelocate(ref: number): boolean;
  /** Forgets every value: the store that used them was replaced (a snapshot was restored). */
  clear(): void;
}

/**
 * MemoryValueStore keeps each value in a map, for tests and in-process stores. With
 * `relocateAll` every value is reported as due to move, so tests can exercise relocation.
 */
export class MemoryValueStore implements ValueStore {
  private readonly values = new Map<number, Uint8Array>();
  private refNext = 0;
  private readonly relocateAll: boolean;

  /** Creates an empty store. */
  constructor(options: { relocateAll?: boolean } = {}) {
    this.relocateAll = options.relocateAll ?? false;
  }

  /** Number of values held (released ones are gone). */
  get size(): number {
    return this.values.size;
  }

  append(bytes: Uint8Array): number {
    assert(bytes.length > 0, 'empty values are not stored');
    const ref = this.refNext;
    this.refNext += 1;
    this.values.set(ref, Uint8Array.prototype.slice.call(bytes));
    return ref;
  }

  read(ref: number, length: number): Uint8Array {
    return this.view(ref, length).slice();
  }

  view(ref: number, length: number): Uint8Array {
    assertNonNegativeInteger(ref, 'value ref');
    const value = this.values.get(ref);
    assert(value !== undefined, `value ${ref} is held`);
    assert(value.length === length, 'value has the recorded length');
    return value;
  }

  release(ref: number, length: number): void {
    const value = this.values.get(ref);
    assert(value !== undefined && value.length === length, 'released value is held');
    this.values.delete(ref);
  }

  relocationWanted(): boolean {
    return this.relocateAll && this.values.size > 0;
  }

  shouldRelocate(ref: number): boolean {
    assert(this.values.has(ref), 'asked about a held value');
    return this.relocateAll;
  }

  clear(): void {
    this.values.clear();
  }
}
