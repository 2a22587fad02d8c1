/**
 * @module storage/raft-storage
 * The durable-state port of a peer (hashicorp/raft's LogStore + StableStore + SnapshotStore
 * in one). The state machine itself is not stored: a restart restores the last snapshot and
 * re-applies the log after it.
 *
 * Atomicity rules (DESIGN §4), which every adapter MUST keep:
 * - `writeReady`: a Ready's snapshot, entries and hard state go in ONE batch, synced to disk
 *   before the promise resolves (unless `sync` is false: a commit-index-only change, which
 *   Raft may lose and re-learn); entries at or after the first new index are replaced.
 * - Writes reach the disk in the order they were issued, even when the caller does not
 *   await one before issuing the next (the adapter serializes them).
 * - `writeSnapshot`: a local snapshot is stored and the log at and below `compactIndex` (the
 *   snapshot index by default) deleted in ONE batch.
 *
 * Snapshot data may stay on disk: the loaded snapshot, `stageSnapshot` and `openSnapshot`
 * hand out StoredSnapshotData that reads it a piece at a time (raft/types SnapshotData); its
 * holder MUST close it once nothing reads it. It stays readable until then, even after a
 * newer snapshot replaced it on disk.
 */
import type { PersistedState } from '../raft/membership.js';
import type { Entry, HardState, Snapshot, SnapshotData } from '../raft/types.js';

/** StoredSnapshotData is snapshot data an adapter keeps; close it once nothing reads it. */
export interface StoredSnapshotData extends SnapshotData {
  close(): void;
}

/** Reports whether `data` is StoredSnapshotData (in-memory data needs no closing). */
export function isStoredSnapshotData(data: SnapshotData): data is StoredSnapshotData {
  return typeof (data as Partial<StoredSnapshotData>).close === 'function';
}

/** Closes `data` when it is StoredSnapshotData. */
export function closeSnapshotData(data: SnapshotData | null | undefined): void {
  if (data !== null && data !== undefined && isStoredSnapshotData(data)) data.close();
}

/** ClusterIdentity ties a data dir to one member of one cluster. */
export interface ClusterIdentity {
  readonly clusterId: string;
  readonly memberId: number;
  readonly name: string;
  /** True for a founding member (its id derives from its peer URL and the token). */
  readonly founding?: boolean;
}

/** LoadedState is everything a peer needs to resume after a restart. */
export interface LoadedState {
  readonly persisted: PersistedState;
  readonly identity: ClusterIdentity | null;
}

/** ReadyWrite is the durable part of one Ready. */
export interface ReadyWrite {
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader: it replaces the whole log. */
  readonly snapshot: Snapshot | null;
  /** False only when nothing but the commit index changed (Ready.mustSync); default true. */
  readonly sync?: boolean;
}

/** RaftStorage is the durable-state port; see the module comment for its atomicity rules. */
export interface RaftStorage {
  load(): Promise<LoadedState>;
  writeReady(write: ReadyWrite): Promise<void>;
  /**
   * Stages a local snapshot's data: `produce` writes its bytes synchronously, chunk by chunk,
   * each consumed before `write` returns. Nothing is durable until `writeSnapshot` stores a
   * snapshot with this data (without a copy, when the adapter staged it to disk).
   */
  stageSnapshot(produce: (write: (chunk: Uint8Array) => void) => void): StoredSnapshotData;
  writeSnapshot(snapshot: Snapshot, compactIndex?: number): Promise<void>;
  /** Returns the snapshot stored last, its data read lazily (the caller closes it), or null. */
  openSnapshot(): { meta: Snapshot['meta']; data: StoredSnapshotData } | null;
  writeIdentity(identity: ClusterIdentity): Promise<void>;
  close(): Promise<void>;
}
