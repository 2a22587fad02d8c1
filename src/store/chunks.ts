/**
 * @module store/chunks
 *
 * Streaming forms of ByteWriter and ByteReader (store/bytes), for snapshots too large to
 * hold in memory as one array (issue 5: a 100k-key store with its history is ~50 MB):
 *
 * - `ChunkWriter` fills one fixed buffer and hands it to a sink whenever it is full. The
 *   sink MUST consume (copy or write out) each chunk before returning: the buffer is reused.
 * - `ChunkReader` reads a `ByteSource` (a Uint8Array is one; a file-backed stand-in is
 *   another) a chunk at a time, so only one chunk is in memory at once.
 *
 * The encoding is ByteWriter's: u64 big-endian, int as an 8-byte double, bytes as a u32
 * big-endian length then the bytes.
 */
import { assert, assertNonNegativeInteger, assertSafeInteger } from './assert.js';

/** Default chunk size, bytes: large enough that per-chunk costs vanish, small in memory. */
export const chunkBytesDefault = 1024 * 1024;

/** ByteSource is bytes that can be read by range, like a Uint8Array's `subarray`. */
export interface ByteSource {
  readonly byteLength: number;
  /** Returns bytes [start, end); the result is only read, never kept. */
  subarray(start: number, end: number): Uint8Array;
}

/** ChunkWriter appends encoded values to a reused buffer, flushed to a sink (see above). */
export class ChunkWriter {
  private readonly buffer: Uint8Array;
  private readonly view: DataView;
  private length = 0;
  private flushedBytes = 0;

  /** Creates a writer that hands full chunks of `chunkBytes` to `sink`. */
  constructor(private readonly sink: (chunk: Uint8Array) => void,
    chunkBytes = chunkBytesDefault) {
    assert(Number.isSafeInteger(chunkBytes) && chunkBytes >= 16, 'chunk holds a number');
    this.buffer = new Uint8Array(chunkBytes);
    this.view = new DataView(this.buffer.buffer);
  }

  /** Bytes written so far, flushed or not. */
  get writtenBytes(): number {
    return this.flushedBytes + this.length;
  }

  /** Appends one byte. */
  u8(value: number): this {
    assert(Number.isInteger(value) && value >= 0 && value <= 0xff, 'u8 in range');
    this.reserve(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
    return this;
  }

  /** Appends a u32 big-endian. */
  u32(value: number): this {
    assert(Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff, 'u32 in range');
    this.reserve(4);
    this.view.setUint32(this.length, value);
    this.length += 4;
    return this;
  }

  /** Appends a non-negative safe integer as 8 big-endian bytes (sortable). */
  u64(value: number): this {
    assertNonNegativeInteger(value, 'u64');
    this.reserve(8);
    this.view.setUint32(this.length, Math.floor(value / 0x1_0000_0000));
    this.view.setUint32(this.length + 4, value >>> 0);
    this.length += 8;
    return this;
  }

  /** Appends a safe integer as an 8-byte double. */
  int(value: number): this {
    assertSafeInteger(value, 'int');
    this.reserve(8);
    this.view.setFloat64(this.length, value);
    this.length += 8;
    return this;
  }

  /** Appends a u32 length, then the bytes. */
  bytes(value: Uint8Array): this {
    return this.u32(value.length).raw(value);
  }

  /** Appends a binary string (one char per byte) as bytes: a u32 length, then the bytes. */
  binary(text: string): this {
    this.u32(text.length);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      assert(code <= 0xff, 'binary string chars are bytes');
      this.reserve(1);
      this.buffer[this.length] = code;
      this.length += 1;
    }
    return this;
  }

  /** Appends raw bytes, across as many chunks as they need. */
  raw(value: Uint8Array): this {
    let offset = 0;
    while (offset < value.length) {
      if (this.length === this.buffer.length) this.flush();
      const count = Math.min(value.length - offset, this.buffer.length - this.length);
      this.buffer.set(value.subarray(offset, offset + count), this.length);
      this.length += count;
      offset += count;
    }
    return this;
  }

  /**
   * Reserves `count` contiguous bytes (at most a chunk) and returns where they start in
   * `buffer` and `view`; the caller MUST write all of them before any other call. For
   * writers of many small fixed-layout pieces (a snapshot's record rows), one bounds check
   * instead of one per field.
   */
  claim(count: number): number {
    this.reserve(count);
    const at = this.length;
    this.length += count;
    return at;
  }

  /** The chunk buffer `claim` offsets point into. */
  get bytesBuffer(): Uint8Array {
    return this.buffer;
  }

  /** A DataView of `bytesBuffer`. */
  get dataView(): DataView {
    return this.view;
  }

  /** Hands the buffered bytes to the sink (a no-op when there are none). */
  flush(): void {
    if (this.length === 0) return;
    this.sink(this.buffer.subarray(0, this.length));
    this.flushedBytes += this.length;
    this.length = 0;
  }

  private reserve(count: number): void {
    assert(count <= this.buffer.length, 'a number fits in a chunk');
    if (this.length + count > this.buffer.length) this.flush();
  }
}

/** ChunkReader reads what ChunkWriter wrote, from a ByteSource, a chunk at a time. */
export class ChunkReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private chunkStart = 0;
  private offset = 0;

  /** Creates a reader of `source` bytes [start, end) (default: all of them). */
  constructor(private readonly source: ByteSource,
    private readonly bounds: { start?: number; end?: number; chunkBytes?: number } = {}) {
    this.offset = bounds.start ?? 0;
    this.chunkStart = this.offset;
    assert(this.offset <= this.end, 'reader starts within its source');
  }

  /** Reports whether every byte up to the end has been read. */
  done(): boolean {
    return this.offset === this.end;
  }

  /** Reads one byte. */
  u8(): number {
    return this.take(1)[0]!;
  }

  /** Reads a u32 big-endian. */
  u32(): number {
    const bytes = this.take(4);
    return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
  }

  /** Reads an 8-byte big-endian non-negative integer. */
  u64(): number {
    const bytes = this.take(8);
    const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
    const value = view.getUint32(0) * 0x1_0000_0000 + view.getUint32(4);
    assertNonNegativeInteger(value, 'u64 read');
    return value;
  }

  /** Reads a length-prefixed byte string, as a view valid until the next read. */
  bytesView(): Uint8Array {
    return this.take(this.u32());
  }

  /** Returns the next `count` bytes, as a view valid until the next read. */
  take(count: number): Uint8Array {
    assert(this.offset + count <= this.end, 'encoded snapshot is truncated');
    const at = this.offset - this.chunkStart;
    if (at + count <= this.chunk.length) {
      this.offset += count;
      return this.chunk.subarray(at, at + count);
    }
    if (count <= this.chunkBytes) {
      // Load a chunk starting here: it holds the whole piece.
      this.chunkStart = this.offset;
      this.chunk = this.source.subarray(this.offset,
        Math.min(this.end, this.offset + this.chunkBytes));
      this.offset += count;
      return this.chunk.subarray(0, count);
    }
    // A piece larger than a chunk (a big value) is read on its own.
    const piece = this.source.subarray(this.offset, this.offset + count);
    this.offset += count;
    this.chunkStart = this.offset;
    this.chunk = new Uint8Array(0);
    return piece;
  }

  private get end(): number {
    return this.bounds.end ?? this.source.byteLength;
  }

  private get chunkBytes(): number {
    return this.bounds.chunkBytes ?? chunkBytesDefault;
  }
}
