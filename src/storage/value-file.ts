/**
 * @module storage/value-file
 * ValueFile is the server's ValueStore (store/value-store): the MVCC store's values in
 * append-only segment files under `<data dir>/values/`, read back with pread. What is read
 * comes from the OS page cache, which is not the process's memory (issue 5: values were
 * ~45 MB of the peer's RSS at 100k keys, plus the malloc fragmentation their slabs caused).
 *
 * ```
 *  ref = segment * segmentBytes + offset        record: u32 length | u32 crc32 | value
 *  00000000.val [rec][rec][rec]...             a record never straddles two segments
 *  00000001.val [rec][rec]..[write buffer]     the tail; appends are buffered in memory
 *                                              and written (pwrite) when the buffer fills
 * ```
 *
 * The files are a CACHE of the replicated state, not durable state: nothing is fsynced,
 * and opening the store deletes whatever a previous process left (a restart rebuilds the
 * store from the Raft snapshot and the log). So a torn or lost write can only be seen by
 * this process, as a short or corrupt read, and that is answered with a crash (the error
 * below), after which the restart rebuilds the file.
 *
 * Space: `release` counts down a segment's live bytes; a segment with none left is deleted.
 * A sealed segment whose live bytes fall below a quarter of its size asks for relocation
 * (`shouldRelocate`): the store appends those values again at the tail and releases the old
 * ones, which empties the segment. So the files hold at most about 4x the live values plus
 * one segment, however long the process runs.
 */
import {
  closeSync, mkdirSync, openSync, readSync, readdirSync, unlinkSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { assert } from '../util/assert.js';
import type { ValueStore } from '../store/value-store.js';
import { StorageError } from './errors.js';

/** Segment size, bytes (default 64 MiB): a file is deleted once none of it is live. */
export const valueSegmentBytesDefault = 64 * 1024 * 1024;
/** Append buffer, bytes (default 256 KiB): one pwrite per this many appended bytes. */
export const valueBufferBytesDefault = 256 * 1024;
/** Read-ahead window for in-order reads (snapshots), bytes. */
const readAheadBytes = 256 * 1024;
/** Bytes of a record's header: u32 length, u32 crc32. */
const headerBytes = 8;
const segmentSuffix = '.val';

/** ValueFileError says the value cache failed; the process restarts to rebuild it. */
export class ValueFileError extends StorageError {
  /** Creates the error; `cause` is the underlying failure, if any. */
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORAGE_ERR_VALUE_FILE', message, options);
    this.name = 'ValueFileError';
  }
}

interface Segment {
  readonly index: number;
  readonly path: string;
  readonly fd: number;
  /** Header and value bytes of the values not yet released. */
  liveBytes: number;
  /** Bytes in the file once sealed (a sealed segment is not full to the byte); 0 before. */
  sealedBytes: number;
}

/** ValueFile keeps values in segment files (see the module comment). */
export class ValueFile implements ValueStore {
  private readonly directory: string;
  private readonly segmentBytes: number;
  private readonly segments = new Map<number, Segment>();
  private tail: Segment;
  /** Bytes appended to the tail segment, buffered ones included. */
  private tailBytes = 0;
  /** Bytes of the tail segment written to its file; the rest is in `buffer`. */
  private flushedBytes = 0;
  private readonly buffer: Buffer;
  /** The read-ahead window of `view`: bytes of `segment` from `start`. */
  private window: { segment: number; start: number; bytes: Buffer } | null = null;
  private readAhead: Buffer | null = null;

  /** Opens the store in `directory`, deleting any segment a previous process left. */
  constructor(directory: string, options: { segmentBytes?: number; bufferBytes?: number } = {}) {
    this.directory = directory;
    this.segmentBytes = options.segmentBytes ?? valueSegmentBytesDefault;
    assert(Number.isSafeInteger(this.segmentBytes) && this.segmentBytes >= 1024,
      'segment size >= 1 KiB');
    this.buffer = Buffer.allocUnsafeSlow(options.bufferBytes ?? valueBufferBytesDefault);
    try {
      mkdirSync(directory, { recursive: true });
      for (const name of readdirSync(directory)) {
        if (name.endsWith(segmentSuffix)) unlinkSync(join(directory, name));
      }
    } catch (error) {
      throw new ValueFileError(`cannot prepare ${directory}`, { cause: error });
    }
    this.tail = this.openSegment(0);
  }

  /** Bytes the segment files take (released values included until their file goes). */
  get fileBytes(): number {
    let bytes = this.tailBytes;
    for (const segment of this.segments.values()) bytes += segment.sealedBytes;
    return bytes;
  }

  /** Bytes of the values held, headers included. */
  get liveBytes(): number {
    let live = 0;
    for (const segment of this.segments.values()) live += segment.liveBytes;
    return live;
  }

  append(value: Uint8Array): number {
    assert(value.length > 0, 'empty values are not stored');
    // A view of the append buffer (from `view`) would be overwritten by the flush below.
    const bytes = value.buffer === this.buffer.buffer ? value.slice() : value;
    const size = headerBytes + bytes.length;
    assert(size <= this.segmentBytes, 'a value fits in a segment');
    if (this.tailBytes + size > this.segmentBytes) this.sealTail();
    const ref = this.tail.index * this.segmentBytes + this.tailBytes;
    const header = Buffer.allocUnsafe(headerBytes);
    header.writeUInt32BE(bytes.length, 0);
    header.writeUInt32BE(crc32(bytes), 4);
    if (size > this.buffer.length) {
      this.flush();
      this.writeAt(header, this.flushedBytes);
      this.writeAt(bytes, this.flushedBytes + headerBytes);
      this.flushedBytes += size;
    } else {
      if (this.tailBytes - this.flushedBytes + size > this.buffer.length) this.flush();
      const at = this.tailBytes - this.flushedBytes;
      this.buffer.set(header, at);
      this.buffer.set(bytes, at + headerBytes);
    }
    this.tailBytes += size;
    this.tail.liveBytes += size;
    return ref;
  }

  read(ref: number, length: number): Uint8Array {
    const { segment, offset } = this.locate(ref);
    const size = headerBytes + length;
    const record = Buffer.allocUnsafeSlow(size);
    if (segment === this.tail && offset >= this.flushedBytes) {
      this.buffer.copy(record, 0, offset - this.flushedBytes, offset - this.flushedBytes + size);
    } else {
      this.readAt(segment, record, offset);
    }
    return this.check(record, 0, { ref, length });
  }

  view(ref: number, length: number): Uint8Array {
    const { segment, offset } = this.locate(ref);
    const size = headerBytes + length;
    if (segment === this.tail && offset >= this.flushedBytes) {
      const at = offset - this.flushedBytes;
      return this.check(this.buffer, at, { ref, length });
    }
    if (size > readAheadBytes) return this.read(ref, length);
    let window = this.window;
    if (window === null || window.segment !== segment.index || offset < window.start
      || offset + size > window.start + window.bytes.length) {
      const end = segment === this.tail ? this.flushedBytes : segment.sealedBytes;
      this.readAhead ??= Buffer.allocUnsafeSlow(readAheadBytes);
      const bytes = this.readAhead.subarray(0, Math.min(readAheadBytes, end - offset));
      this.readAt(segment, bytes, offset);
      window = { segment: segment.index, start: offset, bytes };
      this.window = window;
    }
    const at = offset - window.start;
    return this.check(window.bytes, at, { ref, length });
  }

  release(ref: number, length: number): void {
    const { segment } = this.locate(ref);
    segment.liveBytes -= headerBytes + length;
    assert(segment.liveBytes >= 0, 'a segment never releases more than it holds');
    if (segment.liveBytes === 0 && segment !== this.tail) this.dropSegment(segment);
  }

  relocationWanted(): boolean {
    for (const segment of this.segments.values()) {
      if (this.isSparse(segment)) return true;
    }
    return false;
  }

  shouldRelocate(ref: number): boolean {
    return this.isSparse(this.locate(ref).segment);
  }

  clear(): void {
    const next = this.tail.index + 1;
    for (const segment of [...this.segments.values()]) this.dropSegment(segment);
    this.tail = this.openSegment(next);
  }

  /** Closes every segment file; the files stay until the next open deletes them. */
  close(): void {
    for (const segment of this.segments.values()) closeSync(segment.fd);
    this.segments.clear();
    this.window = null;
    this.readAhead = null;
  }

  private isSparse(segment: Segment): boolean {
    return segment !== this.tail && segment.liveBytes < this.segmentBytes / 4;
  }

  private locate(ref: number): { segment: Segment; offset: number } {
    assert(Number.isSafeInteger(ref) && ref >= 0, 'value ref is a non-negative integer');
    const segment = this.segments.get(Math.floor(ref / this.segmentBytes));
    assert(segment !== undefined, `value ${ref} is in a held segment`);
    return { segment, offset: ref % this.segmentBytes };
  }

  /**
   * Checks the record at `offset` of `bytes` against what the index expects; returns its
   * value as a view of `bytes` (one allocation: this runs for every value of a snapshot).
   */
  private check(bytes: Buffer, offset: number, expected: { ref: number; length: number }):
    Uint8Array {
    assert(offset + headerBytes + expected.length <= bytes.length, 'the record was read whole');
    const length = bytes.readUInt32BE(offset);
    if (length !== expected.length) {
      throw new ValueFileError(`value ${expected.ref}: length ${length} on file, ` +
        `${expected.length} expected`);
    }
    const value = new Uint8Array(bytes.buffer, bytes.byteOffset + offset + headerBytes, length);
    if (crc32(value) !== bytes.readUInt32BE(offset + 4)) {
      throw new ValueFileError(`value ${expected.ref}: CRC mismatch`);
    }
    return value;
  }

  private readAt(segment: Segment, target: Buffer, offset: number): void {
    let count: number;
    try {
      count = readSync(segment.fd, target, 0, target.length, offset);
    } catch (error) {
      throw new ValueFileError(`cannot read ${segment.path}`, { cause: error });
    }
    if (count !== target.length) {
      throw new ValueFileError(`short read of ${segment.path} at ${offset}: ` +
        `${count} of ${target.length} bytes`);
    }
  }

  private writeAt(bytes: Uint8Array, position: number): void {
    try {
      let written = 0;
      while (written < bytes.length) {
        written += writeSync(this.tail.fd, bytes, written, bytes.length - written,
          position + written);
      }
    } catch (error) {
      throw new ValueFileError(`cannot write ${this.tail.path}`, { cause: error });
    }
  }

  private flush(): void {
    const pending = this.tailBytes - this.flushedBytes;
    if (pending === 0) return;
    this.writeAt(this.buffer.subarray(0, pending), this.flushedBytes);
    this.flushedBytes = this.tailBytes;
  }

  private sealTail(): void {
    this.flush();
    const sealed = this.tail;
    sealed.sealedBytes = this.tailBytes;
    this.tail = this.openSegment(sealed.index + 1);
    if (sealed.liveBytes === 0) this.dropSegment(sealed);
  }

  private openSegment(index: number): Segment {
    const path = join(this.directory, `${String(index).padStart(8, '0')}${segmentSuffix}`);
    let fd: number;
    try {
      fd = openSync(path, 'w+');
    } catch (error) {
      throw new ValueFileError(`cannot create ${path}`, { cause: error });
    }
    const segment: Segment = { index, path, fd, liveBytes: 0, sealedBytes: 0 };
    this.segments.set(index, segment);
    this.tailBytes = 0;
    this.flushedBytes = 0;
    return segment;
  }

  private dropSegment(segment: Segment): void {
    this.segments.delete(segment.index);
    if (this.window?.segment === segment.index) this.window = null;
    try {
      closeSync(segment.fd);
      unlinkSync(segment.path);
    } catch (error) {
      throw new ValueFileError(`cannot delete ${segment.path}`, { cause: error });
    }
  }
}
