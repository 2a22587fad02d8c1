/**
 * @module raft/log
 * The Raft log as the core sees it: a snapshot prefix, then entries, with three cursors.
 *
 * ```
 *   snapshot.index   applied        committed       stableIndex      lastIndex
 *        |  ...........|...............|................|................|
 *        compacted     handed to app   known committed  durably stored   appended
 * ```
 *
 * Entries above `stableIndex` are not yet durable; the shell persists them from the next
 * Ready. NB: `committed` may exceed `stableIndex` on a follower (the leader says so), but
 * committed entries are only handed out in a Ready that also persists them, so nothing is
 * applied before it is durable locally.
 */
import { assert, assertSafeIndex } from '../util/assert.js';
import type { Entry, Snapshot, SnapshotData, SnapshotMeta } from './types.js';

/** The empty snapshot every log starts from when it has none. */
export const emptySnapshotMeta: SnapshotMeta = {
  index: 0,
  term: 0,
  membership: { voters: [], learners: [] },
};

/** RaftLog holds the in-memory log and its cursors; it is owned by one RaftNode. */
export class RaftLog {
  /** Metadata of the newest snapshot; entries start right after it. */
  snapshotMeta: SnapshotMeta;
  /** Data of the newest snapshot, kept to send to followers that fall behind it. */
  snapshotData: SnapshotData | null;
  /** A snapshot received from the leader that the shell must persist and apply. */
  pendingSnapshot: Snapshot | null = null;
  /**
   * The position the in-memory log starts after: the snapshot's, or lower when the shell
   * keeps some entries behind its newest snapshot so slightly lagging followers catch up
   * from the log instead of receiving a whole snapshot (etcd's SnapshotCatchUpEntries).
   */
  offsetIndex: number;
  offsetTerm: number;
  committed: number;
  applied: number;
  stableIndex: number;
  private entries: Entry[];

  /** Creates a log from persisted state; `entries` may overlap the snapshot. */
  constructor(snapshot: Snapshot | null, entries: readonly Entry[]) {
    this.snapshotMeta = snapshot?.meta ?? emptySnapshotMeta;
    this.snapshotData = snapshot?.data ?? null;
    this.offsetIndex = this.snapshotMeta.index;
    this.offsetTerm = this.snapshotMeta.term;
    const first = this.offsetIndex + 1;
    this.entries = entries.filter((entry) => entry.index >= first);
    for (let i = 0; i < this.entries.length; i++) {
      assert(this.entries[i]!.index === first + i, 'persisted entries must be contiguous');
    }
    this.committed = this.snapshotMeta.index;
    this.applied = this.snapshotMeta.index;
    this.stableIndex = this.lastIndex();
  }

  /** Returns the index of the first entry still held (offset index + 1). */
  firstIndex(): number {
    return this.offsetIndex + 1;
  }

  /** Returns the index of the last entry, or the snapshot index when there is none. */
  lastIndex(): number {
    return this.offsetIndex + this.entries.length;
  }

  /** Returns the term of the last entry (or of the snapshot). */
  lastTerm(): number {
    return this.termAt(this.lastIndex())!;
  }

  /** Returns the term at `index`, or null when it is compacted away or beyond the end. */
  termAt(index: number): number | null {
    if (index === this.offsetIndex) return this.offsetTerm;
    if (index < this.offsetIndex || index > this.lastIndex()) return null;
    return this.entries[index - this.firstIndex()]!.term;
  }

  /** Returns the entry at `index`, or null when compacted or beyond the end. */
  entry(index: number): Entry | null {
    if (index < this.firstIndex() || index > this.lastIndex()) return null;
    return this.entries[index - this.firstIndex()]!;
  }

  /** Returns true when the log holds an entry (or snapshot) at `index` with `term`. */
  matchTerm(index: number, term: number): boolean {
    return this.termAt(index) === term;
  }

  /** Returns true when a candidate's last (index, term) is at least as up to date (§5.4.1). */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Returns entries in [low, high) whose data totals at most `bytesMax`, but always at least
   * one entry when the range is not empty. Returns null when `low` is compacted.
   */
  slice(low: number, high: number, bytesMax: number): Entry[] | null {
    if (low < this.firstIndex()) return null;
    assert(high <= this.lastIndex() + 1, 'slice beyond the end of the log');
    const result: Entry[] = [];
    let bytes = 0;
    for (let index = low; index < high; index++) {
      const entry = this.entries[index - this.firstIndex()]!;
      bytes += entry.data.length;
      if (result.length > 0 && bytes > bytesMax) break;
      result.push(entry);
    }
    return result;
  }

  /** Appends entries at the end; they become unstable until the shell persists them. */
  append(entries: readonly Entry[]): void {
    for (const entry of entries) {
      assert(entry.index === this.lastIndex() + 1, 'append must be contiguous');
      assert(entry.term >= this.lastTerm(), 'terms in the log must not decrease');
      this.entries.push(entry);
    }
  }

  /**
   * Truncates everything at and after `index` (a conflicting suffix). Committed entries can
   * never be truncated: doing so would break State Machine Safety (Figure 3).
   */
  truncateFrom(index: number): void {
    assert(index > this.committed, 'cannot truncate committed entries');
    assert(index >= this.firstIndex(), 'cannot truncate into the snapshot');
    this.entries.length = index - this.firstIndex();
    this.stableIndex = Math.min(this.stableIndex, index - 1);
  }

  /**
   * Finds the first entry of `entries` that conflicts with the log (same index, other term)
   * or is new; returns 0 when every entry is already present.
   */
  findConflict(entries: readonly Entry[]): number {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * Returns the largest index at or below `index` whose term is at most `term`, the
   * leader's and follower's common ground for fast backtracking (etcd's findConflictByTerm).
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let probe = Math.min(index, this.lastIndex());
    for (; probe >= this.offsetIndex; probe--) {
      const probeTerm = this.termAt(probe);
      if (probeTerm === null) break;
      if (probeTerm <= term) return { index: probe, term: probeTerm };
    }
    return { index: Math.max(probe, this.offsetIndex), term: 0 };
  }

  /** Moves `committed` forward; it never moves back and never passes the last index. */
  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    assert(index <= this.lastIndex(), 'commit index beyond the last index');
    assertSafeIndex(index, 'commit');
    this.committed = index;
    return true;
  }

  /** Returns committed entries not yet handed out, at most `countMax` of them. */
  nextCommittedEntries(countMax: number): Entry[] {
    const high = Math.min(this.committed, this.applied + countMax);
    if (high <= this.applied) return [];
    const low = Math.max(this.applied + 1, this.firstIndex());
    return this.entries.slice(low - this.firstIndex(), high - this.firstIndex() + 1);
  }

  /** Returns the entries not yet persisted. */
  unstableEntries(): Entry[] {
    return this.entries.slice(this.stableIndex + 1 - this.firstIndex());
  }

  /** Replaces the whole log with a snapshot received from the leader (InstallSnapshot). */
  restore(snapshot: Snapshot): void {
    assert(snapshot.meta.index > this.committed, 'restore must move past the commit index');
    this.entries = [];
    this.snapshotMeta = snapshot.meta;
    this.snapshotData = snapshot.data;
    this.offsetIndex = snapshot.meta.index;
    this.offsetTerm = snapshot.meta.term;
    this.pendingSnapshot = snapshot;
    this.committed = snapshot.meta.index;
    this.stableIndex = snapshot.meta.index;
  }

  /**
   * Records the application's snapshot at `meta.index` and drops the entries at or below
   * `compactIndex` (at most the snapshot index; entries in between stay for followers).
   */
  compact(meta: SnapshotMeta, data: SnapshotData, compactIndex: number): void {
    assert(meta.index <= this.applied, 'cannot compact beyond the applied index');
    assert(meta.index > this.snapshotMeta.index, 'snapshots must move forward');
    assert(this.termAt(meta.index) === meta.term, 'snapshot term must match the log');
    assert(compactIndex <= meta.index, 'cannot drop entries beyond the snapshot');
    this.snapshotMeta = meta;
    this.snapshotData = data;
    if (compactIndex <= this.offsetIndex) return;
    const term = this.termAt(compactIndex);
    assert(term !== null, 'compaction point must be in the log');
    this.entries = this.entries.slice(compactIndex - this.offsetIndex);
    this.offsetIndex = compactIndex;
    this.offsetTerm = term;
  }
}
