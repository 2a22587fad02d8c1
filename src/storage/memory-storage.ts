/**
 * @module storage/memory-storage
 * An in-memory RaftStorage for tests: the same contract as the LevelDB adapter, checked by
 * the shared contract suite, with nothing on disk.
 */
import type { Entry, HardState, Snapshot } from '../raft/types.js';
import type {
  ClusterIdentity, LoadedState, RaftStorage, ReadyWrite, StoredSnapshotData,
} from './raft-storage.js';

/** Snapshot data held in memory, closed by doing nothing. */
function inMemory(bytes: Uint8Array): StoredSnapshotData {
  return {
    byteLength: bytes.byteLength,
    subarray: (start, end) => bytes.subarray(start, end),
    close: () => undefined,
  };
}

/** MemoryStorage keeps the durable state in maps. */
export class MemoryStorage implements RaftStorage {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private snapshot: Snapshot | null = null;
  private entries = new Map<number, Entry>();
  private identity: ClusterIdentity | null = null;

  load(): Promise<LoadedState> {
    const entries = [...this.entries.values()].sort((a, b) => a.index - b.index);
    return Promise.resolve({
      persisted: { hardState: this.hardState, snapshot: this.snapshot, entries },
      identity: this.identity,
    });
  }

  writeReady(write: ReadyWrite): Promise<void> {
    if (write.snapshot !== null) {
      this.snapshot = write.snapshot;
      this.entries.clear();
    }
    const first = write.entries[0]?.index;
    if (first !== undefined) {
      for (const index of [...this.entries.keys()]) {
        if (index >= first) this.entries.delete(index);
      }
      for (const entry of write.entries) this.entries.set(entry.index, entry);
    }
    if (write.hardState !== null) this.hardState = write.hardState;
    return Promise.resolve();
  }

  writeSnapshot(snapshot: Snapshot, compactIndex = snapshot.meta.index): Promise<void> {
    this.snapshot = snapshot;
    const through = Math.min(compactIndex, snapshot.meta.index);
    for (const index of [...this.entries.keys()]) {
      if (index <= through) this.entries.delete(index);
    }
    return Promise.resolve();
  }

  stageSnapshot(produce: (write: (chunk: Uint8Array) => void) => void): StoredSnapshotData {
    const chunks: Uint8Array[] = [];
    produce((chunk) => chunks.push(chunk.slice()));
    return inMemory(Buffer.concat(chunks));
  }

  openSnapshot(): { meta: Snapshot['meta']; data: StoredSnapshotData } | null {
    const snapshot = this.snapshot;
    if (snapshot === null) return null;
    return { meta: snapshot.meta, data: inMemory(snapshot.data.subarray(0,
      snapshot.data.byteLength)) };
  }

  writeIdentity(identity: ClusterIdentity): Promise<void> {
    this.identity = identity;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
