/**
 * @module storage/level-storage
 * A peer's durable state: the Raft log and hard state in a write-ahead log of its own
 * (storage/wal, `<data dir>/wal/`), everything else in one LevelDB (package `level`) with
 * keyspaces split by a one-byte prefix (DESIGN §4).
 *
 * ```
 * 'p'  snapshot metadata     'd'  snapshot data (the whole state machine: store + members)
 * 'c'  log compaction index (f64 + crc)
 * 'i'  cluster identity (JSON)
 * 'e' u64(index), 'h', 'a', 'm', 's' <row key>: the log, hard state, applied index, member
 *      registry and store rows of data dirs from before the WAL (migrated, then deleted)
 * ```
 * Why the log left LevelDB (measured with `coracle bench kv`-style runs on this 2-core
 * machine): a synced LevelDB batch costs ~0.55 ms at idle and 3–8 ms under load (JS batch
 * building, its own log plus memtable, compaction stalls, and the row batches queued ahead
 * of it), and it is on every commit's critical path twice (leader and follower). One O_DSYNC
 * append costs ~0.25 ms. Sequential put p50 went from 3.5 to 2.2 ms and 64-in-flight puts
 * from ~2,100 to ~3,800/s.
 *
 * - A Ready's entries and hard state are ONE synced append (group commit).
 * - A received snapshot is written (synced) to LevelDB first, then a log reset frame with
 *   the Ready's entries; a crash between the two leaves a log the loader reconciles with the
 *   snapshot (see `entriesAfterSnapshot`).
 * - The state machine is not written here per Ready: a restart restores the snapshot and
 *   re-applies the log after it (server/peer).
 * - A local snapshot is written (synced) with its compaction index, then the log segments it
 *   covers are deleted.
 */
import { crc32 } from 'node:zlib';
import { Level } from 'level';
import type { Entry, HardState, Snapshot } from '../raft/types.js';
import {
  decodeEntry, decodeHardState, decodeIndexKey, decodeSnapshotMeta,
  encodeSnapshotMeta, indexKey,
} from './codec.js';
import { StorageError } from './errors.js';
import { WriteAheadLog } from './wal.js';
import type { ReplayedLog } from './wal.js';
import type {
  ClusterIdentity, LoadedState, RaftStorage, ReadyWrite,
} from './raft-storage.js';

const prefixEntry = 0x65; // 'e'
const prefixRow = 0x73; // 's'
const keyHardState = Buffer.from('h');
const keySnapshotMeta = Buffer.from('p');
const keySnapshotData = Buffer.from('d');
const keyApplied = Buffer.from('a');
const keyCompacted = Buffer.from('c');
const keyIdentity = Buffer.from('i');
const keyMembers = Buffer.from('m');

type BatchOperation =
  | { type: 'put'; key: Buffer; value: Buffer }
  | { type: 'del'; key: Buffer };

/** Wraps bytes as a Buffer WITHOUT copying (LevelDB copies them into its batch anyway). */
function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function encodeIndexRecord(index: number): Buffer {
  const body = Buffer.allocUnsafe(8);
  body.writeDoubleBE(index, 0);
  const record = Buffer.allocUnsafe(12);
  record.writeUInt32BE(crc32(body), 0);
  record.set(body, 4);
  return record;
}

function decodeIndexRecord(record: Buffer, what: string): number {
  if (record.length !== 12 || crc32(record.subarray(4)) !== record.readUInt32BE(0)) {
    throw new StorageError('STORAGE_ERR_CORRUPT', `${what}: CRC mismatch`);
  }
  return record.readDoubleBE(4);
}

/**
 * The log entries a restart resumes with: those after the compaction index, consistent with
 * the snapshot. A crash between a received snapshot's LevelDB write and its log reset leaves
 * the old log: entries after the snapshot survive only if the log holds the snapshot's own
 * entry with its term (otherwise they belong to a divergent history and are dropped).
 */
function entriesAfterSnapshot(log: ReplayedLog, snapshot: Snapshot | null, compacted: number):
  Entry[] {
  let entries = log.entries;
  const first = entries[0];
  if (first === undefined) return entries;
  if (snapshot !== null) {
    const { index, term } = snapshot.meta;
    const at = index >= first.index ? entries[index - first.index] : undefined;
    if (at !== undefined && at.term !== term) return [];
    if (first.index > index + 1) {
      throw new StorageError('STORAGE_ERR_CORRUPT',
        `log starts at ${first.index} but the snapshot ends at ${index}`);
    }
  }
  if (compacted >= first.index) entries = entries.slice(compacted - first.index + 1);
  return entries;
}

/** LevelStorage persists a peer's Raft state: the log in a WAL, the rest in LevelDB. */
export class LevelStorage implements RaftStorage {
  private readonly db: Level<Buffer, Buffer>;
  private readonly wal: WriteAheadLog;
  private readonly directory: string;
  /** The last batch issued; the next one starts after it (issue order on disk). */
  private tail: Promise<void> = Promise.resolve();

  /** Opens (creating if needed) the database in `directory`. */
  constructor(directory: string, private readonly options: {
    walSegmentBytes?: number;
    /** Told when a load cut a torn append off the log's tail (for the peer's log). */
    onTornTail?: (bytes: number) => void;
  } = {}) {
    this.directory = directory;
    this.db = new Level<Buffer, Buffer>(directory, {
      keyEncoding: 'buffer', valueEncoding: 'buffer',
    });
    this.wal = new WriteAheadLog(directory, options.walSegmentBytes);
  }

  /** Opens the database and reads everything a restart needs, checking every record. */
  async load(): Promise<LoadedState> {
    await this.db.open();
    const legacy = await this.loadLegacyLog();
    const log = this.wal.open();
    if (log.tornBytes > 0) this.options.onTornTail?.(log.tornBytes);
    // NB: idempotent: a migration cut short by a crash is redone from the LevelDB copy, whose
    // re-appended entries replace any partial copy in the WAL.
    if (legacy !== null) await this.migrateLegacyLog(legacy);
    const replayed = legacy === null ? log
      : { ...log, entries: legacy.entries, hardState: legacy.hardState ?? log.hardState };
    const hardState: HardState = replayed.hardState ?? { term: 0, vote: 0, commit: 0 };
    const snapshot = await this.loadSnapshot();
    const compactedRecord = await this.db.get(keyCompacted);
    const compacted = compactedRecord === undefined ? snapshot?.meta.index ?? 0
      : decodeIndexRecord(compactedRecord, 'compaction index');
    const entries = entriesAfterSnapshot(replayed, snapshot, compacted);
    const identityRecord = await this.db.get(keyIdentity);
    const identity = identityRecord === undefined ? null : parseIdentity(identityRecord);
    return { persisted: { hardState, snapshot, entries }, identity };
  }

  /** The log and hard state of a data dir written before the WAL existed, if any. */
  private async loadLegacyLog(): Promise<{ hardState: HardState | null; entries: Entry[] } | null> {
    const hardRecord = await this.db.get(keyHardState);
    const entries = await this.loadLegacyEntries();
    if (hardRecord === undefined && entries.length === 0) return null;
    return { hardState: hardRecord === undefined ? null : decodeHardState(hardRecord), entries };
  }

  /**
   * Moves a legacy log into the WAL (synced), then deletes it from LevelDB with the store
   * rows, applied index and member registry older versions kept there (the state machine is
   * now rebuilt from the snapshot and the log).
   */
  private async migrateLegacyLog(legacy: { hardState: HardState | null; entries: Entry[] }):
    Promise<void> {
    await this.wal.append({ entries: legacy.entries, hardState: legacy.hardState });
    const operations: BatchOperation[] = [keyHardState, keyApplied, keyMembers]
      .map((key) => ({ type: 'del', key }));
    for (const entry of legacy.entries) {
      operations.push({ type: 'del', key: indexKey(prefixEntry, entry.index) });
    }
    for await (const key of this.db.keys({
      gte: Buffer.from([prefixRow]), lt: Buffer.from([prefixRow + 1]),
    })) {
      operations.push({ type: 'del', key });
    }
    await this.batch(operations, true);
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

  private async loadLegacyEntries(): Promise<Entry[]> {
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
    return entries;
  }

  /**
   * Writes a Ready's entries and hard state in one synced log append; a received snapshot
   * first goes (synced) to LevelDB, and the append then starts with a log reset to it.
   */
  async writeReady(write: ReadyWrite): Promise<void> {
    if (write.snapshot !== null) {
      const { meta, data } = write.snapshot;
      await this.batch([
        { type: 'put', key: keySnapshotMeta, value: encodeSnapshotMeta(meta) },
        { type: 'put', key: keySnapshotData, value: view(data) },
        { type: 'put', key: keyCompacted, value: encodeIndexRecord(meta.index) },
      ], true);
    }
    if (write.snapshot === null && write.entries.length === 0 && write.hardState === null) return;
    await this.wal.append({ reset: write.snapshot?.meta ?? null, entries: write.entries,
      hardState: write.hardState });
  }

  /**
   * Stores a local snapshot with the log's new compaction index (synced), then deletes the
   * log segments at and below it.
   */
  async writeSnapshot(snapshot: Snapshot, compactIndex = snapshot.meta.index): Promise<void> {
    const index = Math.min(compactIndex, snapshot.meta.index);
    await this.batch([
      { type: 'put', key: keySnapshotMeta, value: encodeSnapshotMeta(snapshot.meta) },
      { type: 'put', key: keySnapshotData, value: view(snapshot.data) },
      { type: 'put', key: keyCompacted, value: encodeIndexRecord(index) },
    ], true);
    await this.wal.compact(index);
  }

  /** Records which cluster and member this data dir belongs to. */
  async writeIdentity(identity: ClusterIdentity): Promise<void> {
    await this.batch([
      { type: 'put', key: keyIdentity, value: Buffer.from(JSON.stringify(identity)) },
    ], true);
  }

  /** Closes the log and the database. */
  async close(): Promise<void> {
    // Every batch already issued (a snapshot written in the background, rows) lands first.
    await this.tail;
    await this.wal.close();
    if (this.db.status === 'open' || this.db.status === 'opening') await this.db.close();
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
