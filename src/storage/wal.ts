/**
 * @module storage/wal
 * The Raft log's write-ahead log: append-only segment files in `<data dir>/wal/`, written
 * with O_DSYNC so ONE write system call both appends a Ready and makes it durable (one
 * thread-pool hop, no LevelDB batch building, no compaction stalls on the commit path).
 *
 * ```
 * wal/0000000000000001.wal  frame* ;  frame = u32 length | u8 type | record (own CRC-32)
 *   type 'e'  a log entry      (storage/codec entry record; replaces any entry at or after it)
 *   type 'h'  the hard state   (storage/codec hard-state record; the last one wins)
 *   type 's'  a log reset      (storage/codec snapshot meta: the log restarts after it)
 * ```
 * - A Ready is one buffer and one write: its entries, then its hard state.
 * - A segment over `segmentBytes` is closed and a new one begins with the current hard state,
 *   so an older segment is only ever needed for its entries.
 * - `compact(index)` deletes closed segments whose entries all lie at or below `index` (the
 *   caller has made a snapshot covering them durable first).
 * - Replay checks every frame. A bad LAST frame of the newest segment is a write torn by a
 *   crash: it was never acknowledged (the write had not returned), so it is cut off. A bad
 *   frame anywhere else is corruption: the peer refuses to start and names it (as etcd).
 */
import {
  closeSync, constants, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync,
  unlinkSync, write, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Entry, HardState, SnapshotMeta } from '../raft/types.js';
import {
  decodeEntry, decodeHardState, decodeSnapshotMeta, encodeHardState, encodeSnapshotMeta,
  entryRecordBytes, writeEntryRecord,
} from './codec.js';
import { StorageError } from './errors.js';

const frameEntry = 0x65; // 'e'
const frameHardState = 0x68; // 'h'
const frameReset = 0x73; // 's'
/** Length prefix + type byte. */
const frameHeaderBytes = 5;
/** A frame longer than this is garbage (a torn length), not a record. */
const frameBytesMax = 256 * 1024 * 1024;
/** Default segment size, as etcd's WAL (64 MB). */
export const walSegmentBytesDefault = 64 * 1024 * 1024;

/** What the log's replay yields. */
export interface ReplayedLog {
  readonly hardState: HardState | null;
  /** Contiguous entries, oldest first (after the last reset, if any). */
  readonly entries: Entry[];
  /** Bytes cut off the newest segment's tail (a torn write), 0 normally. */
  readonly tornBytes: number;
}

/** One append: written as one buffer with one synced write. */
export interface WALAppend {
  readonly reset?: SnapshotMeta | null;
  readonly entries: readonly Entry[];
  readonly hardState: HardState | null;
}

interface Segment {
  readonly sequence: number;
  readonly path: string;
  /** Highest entry index (or log reset index) written to it (0: none). */
  maxIndex: number;
  bytes: number;
}

function segmentName(sequence: number): string {
  return `${sequence.toString(16).padStart(16, '0')}.wal`;
}

/** Encodes one append as the frames of one write, in one buffer. */
function encodeAppend(append: WALAppend): Buffer {
  const reset = append.reset == null ? null : encodeSnapshotMeta(append.reset);
  const hard = append.hardState === null ? null : encodeHardState(append.hardState);
  let total = (reset === null ? 0 : frameHeaderBytes + reset.length) +
    (hard === null ? 0 : frameHeaderBytes + hard.length);
  for (const entry of append.entries) total += frameHeaderBytes + entryRecordBytes(entry);
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  const put = (type: number, record: Uint8Array): void => {
    out.writeUInt32BE(1 + record.length, offset);
    out[offset + 4] = type;
    out.set(record, offset + frameHeaderBytes);
    offset += frameHeaderBytes + record.length;
  };
  if (reset !== null) put(frameReset, reset);
  for (const entry of append.entries) {
    const length = writeEntryRecord(entry, out, offset + frameHeaderBytes);
    out.writeUInt32BE(1 + length, offset);
    out[offset + 4] = frameEntry;
    offset += frameHeaderBytes + length;
  }
  if (hard !== null) put(frameHardState, hard);
  return out;
}

type DecodedFrame =
  | { type: 'hard'; hardState: HardState }
  | { type: 'reset'; meta: SnapshotMeta }
  | { type: 'entry'; entry: Entry };

/** Decodes one frame; throws STORAGE_ERR_CORRUPT (the codec's message) when damaged. */
function decodeFrame(type: number, record: Buffer): DecodedFrame {
  if (type === frameHardState) return { type: 'hard', hardState: decodeHardState(record) };
  if (type === frameReset) return { type: 'reset', meta: decodeSnapshotMeta(record) };
  if (type !== frameEntry || record.length < 21) {
    throw new StorageError('STORAGE_ERR_CORRUPT', `unknown frame type ${type}`);
  }
  return { type: 'entry', entry: decodeEntry(record, record.readDoubleBE(12)) };
}

/** Replay state: the log as rebuilt so far. */
class Replay {
  hardState: HardState | null = null;
  entries: Entry[] = [];

  /** Applies one decoded frame; returns the entry index it wrote (0 for others). */
  apply(decoded: DecodedFrame, where: string): number {
    switch (decoded.type) {
      case 'hard':
        this.hardState = decoded.hardState;
        return 0;
      case 'reset':
        this.entries = [];
        return decoded.meta.index;
      case 'entry':
        this.append(decoded.entry, where);
        return decoded.entry.index;
    }
  }

  private append(entry: Entry, where: string): void {
    const first = this.entries[0];
    if (first === undefined) {
      this.entries.push(entry);
      return;
    }
    const last = this.entries.at(-1)!;
    if (entry.index > last.index + 1) {
      throw new StorageError('STORAGE_ERR_CORRUPT',
        `${where}: the log jumps from entry ${last.index} to ${entry.index}`);
    }
    // An entry at or before the end replaces the suffix from its index (a follower's log
    // truncated by a new leader); one before the first entry restarts the log.
    if (entry.index <= last.index) this.entries.length = Math.max(0, entry.index - first.index);
    this.entries.push(entry);
  }
}

/** WriteAheadLog owns the segment files (see the module comment). */
export class WriteAheadLog {
  private readonly directory: string;
  private segments: Segment[] = [];
  private fd: number | null = null;
  /** The last append issued; the next starts after it (issue order on disk). */
  private tail: Promise<void> = Promise.resolve();
  /** The last hard state written (carried into each new segment). */
  private hardState: HardState | null = null;
  private closed = false;

  /** `dataDir` is the peer's data dir; the log lives in its `wal` subdirectory. */
  constructor(dataDir: string, private readonly segmentBytes = walSegmentBytesDefault) {
    this.directory = join(dataDir, 'wal');
  }

  /** Opens (creating if needed) and replays the log, cutting a torn tail off. */
  open(): ReplayedLog {
    // NB: a peer loads twice when it bootstraps (load, write the initial state, load again).
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.segments = [];
    mkdirSync(this.directory, { recursive: true });
    const names = readdirSync(this.directory).filter((name) => /^[0-9a-f]{16}\.wal$/.test(name))
      .sort();
    const replay = new Replay();
    let tornBytes = 0;
    for (const [position, name] of names.entries()) {
      const segment: Segment = { sequence: parseInt(name.slice(0, 16), 16),
        path: join(this.directory, name), maxIndex: 0, bytes: 0 };
      const newest = position === names.length - 1;
      tornBytes = this.replaySegment(segment, replay, newest);
      this.segments.push(segment);
    }
    if (this.segments.length === 0) this.startSegment(1);
    else this.fd = openSync(this.segments.at(-1)!.path, appendFlags());
    this.hardState = replay.hardState;
    return { hardState: replay.hardState, entries: replay.entries, tornBytes };
  }

  /** Appends entries and/or hard state durably (resolves once on disk); in issue order. */
  append(append: WALAppend): Promise<void> {
    if (this.closed) return Promise.reject(new StorageError('STORAGE_ERR_SYNC_FAILED', 'log closed'));
    const bytes = encodeAppend(append);
    const lastIndex = Math.max(append.entries.at(-1)?.index ?? 0, append.reset?.index ?? 0);
    const run = async (): Promise<void> => {
      const segment = this.segments.at(-1)!;
      await writeAll(this.fd!, bytes);
      // NB: the hard state on disk, not the newest issued: a new segment must not carry a
      // commit index ahead of the entries written so far.
      if (append.hardState !== null) this.hardState = append.hardState;
      segment.bytes += bytes.length;
      segment.maxIndex = Math.max(segment.maxIndex, lastIndex);
      if (segment.bytes >= this.segmentBytes) this.rotate();
    };
    const result = this.tail.then(run).catch((error: unknown) => {
      throw error instanceof StorageError ? error
        : new StorageError('STORAGE_ERR_SYNC_FAILED', 'synced log write failed', { cause: error });
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /**
   * Deletes the oldest closed segments whose entries all lie at or below `index`; stops at
   * the first segment it must keep, so the log on disk stays one unbroken suffix.
   */
  compact(index: number): Promise<void> {
    const run = (): void => {
      let drop = 0;
      while (drop < this.segments.length - 1 && this.segments[drop]!.maxIndex <= index) {
        unlinkSync(this.segments[drop]!.path);
        drop++;
      }
      if (drop === 0) return;
      syncDirectory(this.directory);
      this.segments = this.segments.slice(drop);
    };
    const result = this.tail.then(run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Waits for every issued append, then closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private replaySegment(segment: Segment, replay: Replay, newest: boolean): number {
    const bytes = readFileSync(segment.path);
    let offset = 0;
    while (offset < bytes.length) {
      const length = bytes.length - offset >= 4 ? bytes.readUInt32BE(offset) : 0;
      const end = offset + 4 + length;
      const framed = length >= 2 && length <= frameBytesMax && end <= bytes.length;
      let decoded: DecodedFrame;
      try {
        if (!framed) throw new StorageError('STORAGE_ERR_CORRUPT', `bad frame length ${length}`);
        decoded = decodeFrame(bytes[offset + 4]!, bytes.subarray(offset + frameHeaderBytes, end));
      } catch (error) {
        // Only the last frame of the newest segment can be a torn write (the append that
        // was in flight at the crash, never acknowledged); damage before it is corruption.
        if (newest && (!framed || end === bytes.length)) {
          return this.cutTail(segment, offset, bytes.length);
        }
        const detail = error instanceof Error ? error.message : String(error);
        throw new StorageError('STORAGE_ERR_CORRUPT',
          `${detail} (${segment.path}, frame at byte ${offset})`, { cause: error });
      }
      const index = replay.apply(decoded, `${segment.path} at byte ${offset}`);
      segment.maxIndex = Math.max(segment.maxIndex, index);
      offset = end;
    }
    segment.bytes = offset;
    return 0;
  }

  private cutTail(segment: Segment, offset: number, length: number): number {
    const fd = openSync(segment.path, constants.O_RDWR);
    try {
      ftruncateSync(fd, offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    segment.bytes = offset;
    return length - offset;
  }

  private startSegment(sequence: number): void {
    const path = join(this.directory, segmentName(sequence));
    this.fd = openSync(path, appendFlags());
    syncDirectory(this.directory);
    this.segments.push({ sequence, path, maxIndex: 0, bytes: 0 });
  }

  private rotate(): void {
    const previous = this.segments.at(-1)!;
    if (this.fd !== null) closeSync(this.fd);
    this.startSegment(previous.sequence + 1);
    if (this.hardState === null) return;
    // The new segment starts with the hard state, so older segments hold only entries.
    const record = encodeAppend({ entries: [], hardState: this.hardState });
    writeAllSync(this.fd!, record);
    this.segments.at(-1)!.bytes += record.length;
  }
}

/** O_DSYNC: each write returns only once its data (and the file size) is on disk. */
function appendFlags(): number {
  return constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_DSYNC;
}

function writeAll(fd: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const next = (offset: number): void => {
      write(fd, bytes, offset, bytes.length - offset, null, (error, written) => {
        if (error !== null) reject(error);
        else if (offset + written < bytes.length) next(offset + written);
        else resolve();
      });
    };
    next(0);
  });
}

function writeAllSync(fd: number, bytes: Buffer): void {
  // Rare (a segment change); synced by O_DSYNC like every other write.
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
}

function syncDirectory(directory: string): void {
  const fd = openSync(directory, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
