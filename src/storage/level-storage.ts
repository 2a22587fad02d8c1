/**
 * @module storage/level-storage
 * The LevelDB RaftStorage (package `level`): one database per peer, keyspaces split by a
 * one-byte prefix (DESIGN §4).
 *
 * ```
 * 'e' u64(index)   log entry (storage/codec)         'h'  hard state
 * 'p'              snapshot metadata                  'd'  snapshot data
 * 'a'              applied index (f64 + crc)          'i'  cluster identity (JSON)
 * 'm'              member registry (JSON)
 * 's' <row key>    MVCC store rows (store/rows)
 * ```
 * Every write is one `batch`; Raft state batches use `sync: true` so they are on disk before
 * the promise resolves (group commit: one fsync covers a whole Ready).
 */
import { crc32 } from 'node:zlib';
import { Level } from 'level';
import type { Row } from '../store/rows.js';
import type { Entry, HardState, Snapshot } from '../raft/types.js';
import {
  decodeEntry, decodeHardState, decodeIndexKey, decodeSnapshotMeta, encodeEntry,
  encodeHardState, encodeSnapshotMeta, indexKey,
} from './codec.js';
import { StorageError } from './errors.js';
import type {
  AppliedWrite, ClusterIdentity, LoadedState, RaftStorage, ReadyWrite,
} from './raft-storage.js';

const prefixEntry = 0x65; // 'e'
const prefixRow = 0x73; // 's'
const keyHardState = Buffer.from('h');
const keySnapshotMeta = Buffer.from('p');
const keySnapshotData = Buffer.from('d');
const keyApplied = Buffer.from('a');
const keyIdentity = Buffer.from('i');
const keyMembers = Buffer.from('m');

type BatchOperation =
  | { type: 'put'; key: Buffer; value: Buffer }
  | { type: 'del'; key: Buffer };

function rowKey(key: Uint8Array): Buffer {
  const buffer = Buffer.allocUnsafe(1 + key.length);
  buffer[0] = prefixRow;
  buffer.set(key, 1);
  return buffer;
}

/** Wraps bytes as a Buffer WITHOUT copying (LevelDB copies them into its batch anyway). */
function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function encodeApplied(index: number): Buffer {
  const body = Buffer.allocUnsafe(8);
  body.writeDoubleBE(index, 0);
  const record = Buffer.allocUnsafe(12);
  record.writeUInt32BE(crc32(body), 0);
  record.set(body, 4);
  return record;
}

function decodeApplied(record: Buffer): number {
  if (record.length !== 12 || crc32(record.subarray(4)) !== record.readUInt32BE(0)) {
    throw new StorageError('STORAGE_ERR_CORRUPT', 'applied index: CRC mismatch');
  }
  return record.readDoubleBE(4);
}

/** LevelStorage persists a peer's Raft log, hard state, snapshot and store rows in LevelDB. */
export class LevelStorage implements RaftStorage {
  private readonly db: Level<Buffer, Buffer>;
  /** Index range of the entries on disk, tracked so truncation can delete precisely. */
  private firstIndex = 1;
  private lastIndex = 0;
  /** The last batch issued; the next one starts after it (issue order on disk). */
  private tail: Promise<void> = Promise.resolve();

  /** Opens (creating if needed) the database in `directory`. */
  constructor(directory: string) {
    this.db = new Level<Buffer, Buffer>(directory, {
      keyEncoding: 'buffer', valueEncoding: 'buffer',
    });
  }

  /** Opens the database and reads everything a restart needs, checking every record. */
  async load(): Promise<LoadedState> {
    await this.db.open();
    const hardRecord = await this.db.get(keyHardState);
    const hardState: HardState = hardRecord === undefined
      ? { term: 0, vote: 0, commit: 0 } : decodeHardState(hardRecord);
    const snapshot = await this.loadSnapshot();
    const entries = await this.loadEntries(snapshot?.meta.index ?? 0);
    const appliedRecord = await this.db.get(keyApplied);
    const appliedIndex = appliedRecord === undefined ? 0 : decodeApplied(appliedRecord);
    const storeRows: Row[] = [];
    for await (const [key, value] of this.db.iterator({
      gte: Buffer.from([prefixRow]), lt: Buffer.from([prefixRow + 1]),
    })) {
      storeRows.push([new Uint8Array(key.subarray(1)), new Uint8Array(value)]);
    }
    const identityRecord = await this.db.get(keyIdentity);
    const identity = identityRecord === undefined ? null : parseIdentity(identityRecord);
    const membersRecord = await this.db.get(keyMembers);
    const membersJSON = membersRecord === undefined ? null : membersRecord.toString('utf8');
    return {
      persisted: { hardState, snapshot, entries }, appliedIndex, storeRows, identity, membersJSON,
    };
  }

  private async loadSnapshot(): Promise<Snapshot | null> {
    const metaRecord = await this.db.get(keySnapshotMeta);
    if (metaRecord === undefined) return null;
    const meta = decodeSnapshotMeta(metaRecord);
    const data = await this.db.get(keySnapshotData);
    if (data === undefined) {
      throw new StorageError('STORAGE_ERR_CORRUPT', 'snapshot metadata without its data');
    }
    return { meta, data: new Uint8Array(data) };
  }

  private async loadEntries(snapshotIndex: number): Promise<Entry[]> {
    const entries: Entry[] = [];
    for await (const [key, value] of this.db.iterator({
      gte: indexKey(prefixEntry, 0), lt: Buffer.from([prefixEntry + 1]),
    })) {
      const index = decodeIndexKey(key);
      const entry = decodeEntry(value, index);
      const previous = entries.at(-1);
      if (previous !== undefined && previous.index + 1 !== index) {
        throw new StorageError('STORAGE_ERR_CORRUPT',
          `log has a gap between ${previous.index} and ${index}`);
      }
      entries.push(entry);
    }
    const first = entries[0];
    if (first !== undefined && first.index > snapshotIndex + 1) {
      throw new StorageError('STORAGE_ERR_CORRUPT',
        `log starts at ${first.index} but the snapshot ends at ${snapshotIndex}`);
    }
    this.firstIndex = first?.index ?? snapshotIndex + 1;
    this.lastIndex = entries.at(-1)?.index ?? snapshotIndex;
    return entries;
  }

  /** Writes a Ready's snapshot, entries and hard state in one synced batch. */
  async writeReady(write: ReadyWrite): Promise<void> {
    const operations: BatchOperation[] = [];
    let firstIndex = this.firstIndex;
    let lastIndex = this.lastIndex;
    if (write.snapshot !== null) {
      this.deleteEntries(operations, firstIndex, lastIndex);
      operations.push({ type: 'put', key: keySnapshotMeta,
        value: encodeSnapshotMeta(write.snapshot.meta) });
      operations.push({ type: 'put', key: keySnapshotData, value: view(write.snapshot.data) });
      firstIndex = write.snapshot.meta.index + 1;
      lastIndex = write.snapshot.meta.index;
    }
    const first = write.entries[0];
    if (first !== undefined) {
      // Entries from `first.index` on are replaced; stale ones beyond the new end go.
      const newLast = write.entries.at(-1)!.index;
      this.deleteEntries(operations, Math.max(newLast + 1, firstIndex), lastIndex);
      for (const entry of write.entries) {
        operations.push({ type: 'put', key: indexKey(prefixEntry, entry.index),
          value: encodeEntry(entry) });
      }
      if (lastIndex < firstIndex) firstIndex = first.index;
      lastIndex = newLast;
    }
    if (write.hardState !== null) {
      operations.push({ type: 'put', key: keyHardState, value: encodeHardState(write.hardState) });
    }
    if (operations.length === 0) return;
    // The index range is updated at once so a write issued before this one lands computes
    // its deletions from it; LevelDB applies batches in issue order (see `batch`).
    this.firstIndex = firstIndex;
    this.lastIndex = lastIndex;
    await this.batch(operations, write.sync !== false);
  }

  /** Writes applied store rows and the applied index in one batch. */
  async writeApplied(write: AppliedWrite): Promise<void> {
    const operations: BatchOperation[] = [];
    if (write.replaceRows !== undefined) {
      // Every earlier write must be on disk before the rows to delete are listed.
      await this.tail;
      for await (const key of this.db.keys({
        gte: Buffer.from([prefixRow]), lt: Buffer.from([prefixRow + 1]),
      })) {
        operations.push({ type: 'del', key });
      }
      for (const [key, value] of write.replaceRows) {
        operations.push({ type: 'put', key: rowKey(key), value: view(value) });
      }
    }
    for (const mutation of write.mutations) {
      if (mutation.op === 'put') {
        operations.push({ type: 'put', key: rowKey(mutation.key), value: view(mutation.value) });
      } else {
        operations.push({ type: 'del', key: rowKey(mutation.key) });
      }
    }
    if (write.membersJSON !== undefined) {
      operations.push({ type: 'put', key: keyMembers, value: Buffer.from(write.membersJSON) });
    }
    operations.push({ type: 'put', key: keyApplied, value: encodeApplied(write.appliedIndex) });
    // NB: not synced. The log holding these entries is durable; a crash loses at most a
    // suffix of applied state, which the restart re-applies from the log, atomically.
    await this.batch(operations, false);
  }

  /** Stores a local snapshot and deletes the log at and below its index, in one batch. */
  async writeSnapshot(snapshot: Snapshot, compactIndex = snapshot.meta.index): Promise<void> {
    const operations: BatchOperation[] = [];
    const index = Math.min(compactIndex, snapshot.meta.index);
    this.deleteEntries(operations, this.firstIndex, Math.min(index, this.lastIndex));
    operations.push({ type: 'put', key: keySnapshotMeta, value: encodeSnapshotMeta(snapshot.meta) });
    operations.push({ type: 'put', key: keySnapshotData, value: view(snapshot.data) });
    this.firstIndex = Math.max(this.firstIndex, index + 1);
    this.lastIndex = Math.max(this.lastIndex, index);
    await this.batch(operations, true);
  }

  /** Records which cluster and member this data dir belongs to. */
  async writeIdentity(identity: ClusterIdentity): Promise<void> {
    await this.batch([
      { type: 'put', key: keyIdentity, value: Buffer.from(JSON.stringify(identity)) },
    ], true);
  }

  /** Closes the database. */
  async close(): Promise<void> {
    // Every batch already issued (a snapshot written in the background, rows) lands first.
    await this.tail;
    if (this.db.status === 'open' || this.db.status === 'opening') await this.db.close();
  }

  private deleteEntries(operations: BatchOperation[], from: number, to: number): void {
    for (let index = from; index <= to; index++) {
      operations.push({ type: 'del', key: indexKey(prefixEntry, index) });
    }
  }

  /**
   * Writes one batch after every batch issued before it (a promise chain), so callers may
   * issue unsynced writes without awaiting them and still get issue order on disk.
   */
  private batch(operations: BatchOperation[], sync: boolean): Promise<void> {
    const run = async (): Promise<void> => {
      try {
        await this.db.batch(operations, { sync });
      } catch (error) {
        throw new StorageError('STORAGE_ERR_SYNC_FAILED',
          sync ? 'synced write failed' : 'write failed', { cause: error });
      }
    };
    const result = this.tail.then(run);
    // The chain continues after a failure; the failure itself reaches this write's caller.
    this.tail = result.catch(() => undefined);
    return result;
  }
}

function parseIdentity(record: Buffer): ClusterIdentity {
  try {
    const parsed = JSON.parse(record.toString('utf8')) as ClusterIdentity;
    if (typeof parsed.clusterId !== 'string' || typeof parsed.memberId !== 'number' ||
      typeof parsed.name !== 'string') {
      throw new Error('missing fields');
    }
    return parsed;
  } catch (error) {
    throw new StorageError('STORAGE_ERR_CORRUPT', 'cluster identity is unreadable', { cause: error });
  }
}
