/**
 * @module storage/memory-storage
 * An in-memory RaftStorage for tests: the same contract as the LevelDB adapter, checked by
 * the shared contract suite, with nothing on disk.
 */
import { bytesToBinary, binaryToBytes } from '../store/bytes.js';
import type { Row } from '../store/rows.js';
import type { Entry, HardState, Snapshot } from '../raft/types.js';
import type {
  AppliedWrite, ClusterIdentity, LoadedState, RaftStorage, ReadyWrite,
} from './raft-storage.js';

/** MemoryStorage keeps the durable state in maps. */
export class MemoryStorage implements RaftStorage {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private snapshot: Snapshot | null = null;
  private entries = new Map<number, Entry>();
  private appliedIndex = 0;
  private rows = new Map<string, Uint8Array>();
  private identity: ClusterIdentity | null = null;
  private membersJSON: string | null = null;

  load(): Promise<LoadedState> {
    const entries = [...this.entries.values()].sort((a, b) => a.index - b.index);
    const storeRows: Row[] = [...this.rows.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => [binaryToBytes(key), value] as const);
    return Promise.resolve({
      persisted: { hardState: this.hardState, snapshot: this.snapshot, entries },
      appliedIndex: this.appliedIndex, storeRows, identity: this.identity,
      membersJSON: this.membersJSON,
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

  writeApplied(write: AppliedWrite): Promise<void> {
    if (write.replaceRows !== undefined) {
      this.rows.clear();
      for (const [key, value] of write.replaceRows) this.rows.set(bytesToBinary(key), value);
    }
    for (const mutation of write.mutations) {
      if (mutation.op === 'put') this.rows.set(bytesToBinary(mutation.key), mutation.value);
      else this.rows.delete(bytesToBinary(mutation.key));
    }
    this.appliedIndex = write.appliedIndex;
    if (write.membersJSON !== undefined) this.membersJSON = write.membersJSON;
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

  writeIdentity(identity: ClusterIdentity): Promise<void> {
    this.identity = identity;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
