/**
 * @module raft/sim/storage
 * MemoryStorage is a simulated node's disk: exactly what the node persisted (hard state,
 * snapshot, entries after the snapshot) and nothing else. A crash discards the RaftNode and
 * keeps this; a restart builds a new RaftNode from `load()`.
 *
 * Contract (the Ready rules of raft/types.ts): a Ready's `snapshot` REPLACES the whole
 * persisted log; its `entries` overwrite persisted entries at or after `entries[0].index`
 * and delete any beyond the new end; its `hardState` replaces the stored one. Every write
 * is synchronous and atomic (the simulated disk never tears a write; a crash happens between
 * writes, never inside one).
 */
import { assert, assertSafeIndex } from '../../util/assert.js';
import type { PersistedState } from '../raft.js';
import type { Entry, HardState, Ready, Snapshot } from '../types.js';

/** MemoryStorage holds one node's durable state. */
export class MemoryStorage {
  private hardState: HardState;
  private snapshot: Snapshot | null;
  private entries: Entry[];
  /** Synced writes performed (one per persisted Ready or compaction). */
  writes = 0;

  /** Creates the disk of a node that starts from `initial` (bootstrap or joiner state). */
  constructor(initial: PersistedState) {
    this.hardState = initial.hardState;
    this.snapshot = initial.snapshot;
    this.entries = [...initial.entries];
    this.assertContiguous();
  }

  /** Returns the index of the last persisted entry (or of the snapshot). */
  lastIndex(): number {
    const last = this.entries[this.entries.length - 1];
    return last?.index ?? this.snapshotIndex();
  }

  /** Returns the index of the persisted snapshot, 0 when there is none. */
  snapshotIndex(): number {
    return this.snapshot?.meta.index ?? 0;
  }

  /** Returns the persisted snapshot, if any. */
  persistedSnapshot(): Snapshot | null {
    return this.snapshot;
  }

  /** Persists the durable part of a Ready: snapshot, then entries, then hard state. */
  persistReady(ready: Ready): void {
    if (ready.snapshot !== null) {
      assertSafeIndex(ready.snapshot.meta.index, 'snapshot index');
      this.snapshot = ready.snapshot;
      this.entries = [];
    }
    if (ready.entries.length > 0) this.persistEntries(ready.entries);
    if (ready.hardState !== null) this.hardState = ready.hardState;
    this.writes++;
    this.assertContiguous();
  }

  /**
   * Persists a snapshot the application took locally at `snapshot.meta.index`, dropping the
   * persisted entries it covers. It MUST cover only entries this disk already holds.
   */
  persistCompaction(snapshot: Snapshot): void {
    const index = snapshot.meta.index;
    assert(index > this.snapshotIndex(), 'compaction must move the snapshot forward');
    assert(index <= this.lastIndex(), 'compaction beyond the persisted log');
    this.entries = this.entries.filter((entry) => entry.index > index);
    this.snapshot = snapshot;
    this.writes++;
    this.assertContiguous();
  }

  /** Returns a copy of the persisted state to restart a node from. */
  load(): PersistedState {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: [...this.entries] };
  }

  private persistEntries(entries: readonly Entry[]): void {
    const first = entries[0]!.index;
    assert(first >= 1, 'entry indexes start at 1');
    assert(first <= this.lastIndex() + 1, `persisting entry ${first} would leave a gap ` +
      `after the persisted last index ${this.lastIndex()}`);
    assert(first > this.snapshotIndex(), `persisting entry ${first} inside the snapshot`);
    for (let i = 1; i < entries.length; i++) {
      assert(entries[i]!.index === first + i, 'a Ready must carry contiguous entries');
    }
    const keep = this.entries.slice(0, Math.max(0, first - this.snapshotIndex() - 1));
    this.entries = keep.concat(entries);
  }

  /** Checks the ends of the log; each write checks the contiguity of what it adds. */
  private assertContiguous(): void {
    const first = this.entries[0];
    const last = this.entries[this.entries.length - 1];
    if (first === undefined || last === undefined) return;
    assert(first.index === this.snapshotIndex() + 1, 'persisted log must follow the snapshot');
    assert(last.index === first.index + this.entries.length - 1, 'persisted log has a gap');
  }
}
