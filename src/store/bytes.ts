/**
 * @module store/bytes
 *
 * Byte helpers for the store: lexicographic comparison (Go's bytes.Compare order), the
 * "binary string" form of keys used by the index, a bounded binary writer and reader for the
 * row encoding, FNV-1a 64-bit hashing and CRC-32. All pure and synchronous.
 *
 * NB: a binary string holds one char per byte (code 0-255), so JavaScript's string `<`
 * compares binary strings in exactly the byte order of their arrays. The index keys its maps
 * and its sorted list by that form.
 */
import { assert, assertNonNegativeInteger, assertSafeInteger } from './assert.js';

/** Empty byte array shared by tombstones and defaults; MUST NOT be mutated. */
export const emptyBytes: Uint8Array = new Uint8Array(0);

/** Compares two byte arrays lexicographically: negative, zero or positive, like memcmp. */
export function compareBytes(left: Uint8Array, right: Uint8Array): number {
  const common = Math.min(left.length, right.length);
  for (let i = 0; i < common; i++) {
    const delta = (left[i] ?? 0) - (right[i] ?? 0);
    if (delta !== 0) {
      return delta;
    }
  }
  return left.length - right.length;
}

/** Reports whether two byte arrays hold the same bytes. */
export function bytesEqual(left: Uint8Array, right: Uint8Array): boolean {
  return left.length === right.length && compareBytes(left, right) === 0;
}

/** Keys up to this many bytes are converted a char at a time (see bytesToBinary). */
const binaryLoopBytesMax = 64;

/** Converts bytes to their binary string form (one char per byte). */
export function bytesToBinary(bytes: Uint8Array): string {
  let text = '';
  if (bytes.length <= binaryLoopBytesMax) {
    // NB: a loop for short keys, the common case on every put: spreading the typed array
    // into fromCharCode went through its iterator (~0.3 µs for an 8-byte key; the loop ~0.06).
    for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]!);
    return text;
  }
  const stepMax = 4096;
  for (let start = 0; start < bytes.length; start += stepMax) {
    const part = bytes.subarray(start, start + stepMax);
    text += String.fromCharCode.apply(null, part as unknown as number[]);
  }
  assert(text.length === bytes.length, 'binary string has one char per byte');
  return text;
}

/** Converts a binary string (one char per byte) back to bytes. */
export function binaryToBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    assert(code <= 0xff, 'binary string chars are bytes');
    bytes[i] = code;
  }
  return bytes;
}

/** Encodes a UTF-8 string to bytes (tests and row names). */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/**
 * ByteWriter appends fixed-width numbers and length-prefixed byte strings to a growing
 * buffer. Numbers are safe integers written as IEEE-754 doubles (exact for safe integers),
 * except `u64` which writes a non-negative integer big-endian so that row keys sort by it.
 */
export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;

  /**
   * Creates a writer. `capacityBytes` (default 64) is the initial buffer size: a caller that
   * knows the exact size gets ONE allocation and a `finish` without a copy (the hot apply
   * path and 30 MB snapshots would otherwise regrow and copy many times).
   */
  constructor(capacityBytes = 64) {
    assert(Number.isSafeInteger(capacityBytes) && capacityBytes > 0, 'capacity is positive');
    this.buffer = new Uint8Array(capacityBytes);
    this.view = new DataView(this.buffer.buffer);
  }

  /** Appends one byte. */
  u8(value: number): this {
    assert(Number.isInteger(value) && value >= 0 && value <= 0xff, 'u8 in range');
    this.reserve(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
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

  /** Appends a safe integer (possibly negative) as an 8-byte double. */
  int(value: number): this {
    assertSafeInteger(value, 'int');
    this.reserve(8);
    this.view.setFloat64(this.length, value);
    this.length += 8;
    return this;
  }

  /** Appends a 4-byte length followed by the bytes. */
  bytes(value: Uint8Array): this {
    this.reserve(4 + value.length);
    this.view.setUint32(this.length, value.length);
    this.buffer.set(value, this.length + 4);
    this.length += 4 + value.length;
    return this;
  }

  /** Appends raw bytes without a length prefix. */
  raw(value: Uint8Array): this {
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  /** Returns a view of the bytes written so far (valid until the next write). */
  written(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /**
   * Returns the written bytes in an array of their own. NB: when the buffer is exactly full
   * it is handed over as is: any later write must grow into a new buffer first, so the
   * returned bytes can never change under the caller.
   */
  finish(): Uint8Array {
    if (this.length === this.buffer.length) return this.buffer;
    return this.buffer.slice(0, this.length);
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) {
      return;
    }
    let capacity = this.buffer.length * 2;
    while (capacity < needed) {
      capacity *= 2;
    }
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
}

/** ByteReader reads what ByteWriter wrote; a short or malformed buffer fails an assertion. */
export class ByteReader {
  private readonly view: DataView;
  private offset = 0;

  /** Creates a reader over `bytes` (not copied). */
  constructor(private readonly source: Uint8Array) {
    this.view = new DataView(source.buffer, source.byteOffset, source.byteLength);
  }

  /** Reads one byte. */
  u8(): number {
    this.need(1);
    const value = this.view.getUint8(this.offset);
    this.offset += 1;
    return value;
  }

  /** Reads an 8-byte big-endian non-negative integer. */
  u64(): number {
    this.need(8);
    const high = this.view.getUint32(this.offset);
    const low = this.view.getUint32(this.offset + 4);
    this.offset += 8;
    const value = high * 0x1_0000_0000 + low;
    assertNonNegativeInteger(value, 'u64 read');
    return value;
  }

  /** Reads an 8-byte double holding a safe integer. */
  int(): number {
    this.need(8);
    const value = this.view.getFloat64(this.offset);
    this.offset += 8;
    assertSafeInteger(value, 'int read');
    return value;
  }

  /** Reads a length-prefixed byte string as a view into the source (valid while it is). */
  bytesView(): Uint8Array {
    this.need(4);
    const length = this.view.getUint32(this.offset);
    this.offset += 4;
    this.need(length);
    const value = this.source.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** Reads a length-prefixed byte string (a copy). */
  bytes(): Uint8Array {
    this.need(4);
    const length = this.view.getUint32(this.offset);
    this.offset += 4;
    this.need(length);
    const value = this.source.slice(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** Reports whether every byte has been read. */
  done(): boolean {
    return this.offset === this.source.length;
  }

  private need(count: number): void {
    assert(this.offset + count <= this.source.length, 'encoded record is truncated');
  }
}

/**
 * Fnv64 computes FNV-1a 64-bit over a stream of bytes and integers, in four 16-bit limbs
 * so that it needs no BigInt. The digest is 16 lowercase hex digits.
 */
export class Fnv64 {
  private limbs: [number, number, number, number] = [0x2325, 0x8422, 0x9ce4, 0xcbf2];

  /** Mixes in one byte. */
  byte(value: number): this {
    const limbs = this.limbs;
    limbs[0] ^= value & 0xff;
    // h * 0x100000001b3 = h * 0x1b3 + (h << 40); limb 2 receives h0 << 8, limb 3 h1 << 8.
    let t0 = limbs[0] * 0x1b3;
    let t1 = limbs[1] * 0x1b3;
    let t2 = limbs[2] * 0x1b3 + (limbs[0] << 8);
    const t3 = limbs[3] * 0x1b3 + (limbs[1] << 8);
    t1 += t0 >>> 16;
    t0 &= 0xffff;
    t2 += t1 >>> 16;
    t1 &= 0xffff;
    limbs[3] = (t3 + (t2 >>> 16)) & 0xffff;
    limbs[2] = t2 & 0xffff;
    limbs[1] = t1;
    limbs[0] = t0;
    return this;
  }

  /** Mixes in a length prefix and the bytes, so concatenations cannot collide. */
  bytes(value: Uint8Array): this {
    return this.int(value.length).raw(value);
  }

  /** Mixes in the bytes without a length prefix (a stream hashed in pieces). */
  raw(value: Uint8Array): this {
    // The same arithmetic as `byte`, with the limbs in locals: hashing a 30 MB snapshot one
    // method call per byte took about half a second and stalled the Raft loop.
    let [l0, l1, l2, l3] = this.limbs;
    for (let i = 0; i < value.length; i++) {
      l0 ^= value[i]!;
      let t0 = l0 * 0x1b3;
      let t1 = l1 * 0x1b3;
      let t2 = l2 * 0x1b3 + (l0 << 8);
      const t3 = l3 * 0x1b3 + (l1 << 8);
      t1 += t0 >>> 16;
      t0 &= 0xffff;
      t2 += t1 >>> 16;
      t1 &= 0xffff;
      l3 = (t3 + (t2 >>> 16)) & 0xffff;
      l2 = t2 & 0xffff;
      l1 = t1;
      l0 = t0;
    }
    this.limbs = [l0, l1, l2, l3];
    return this;
  }

  /** Mixes in a safe integer as 8 bytes. */
  int(value: number): this {
    assertSafeInteger(value, 'hashed integer');
    const buffer = new DataView(new ArrayBuffer(8));
    buffer.setFloat64(0, value);
    for (let i = 0; i < 8; i++) {
      this.byte(buffer.getUint8(i));
    }
    return this;
  }

  /** Returns the digest as 16 hex digits. */
  digest(): string {
    const hex = (limb: number): string => limb.toString(16).padStart(4, '0');
    const [l0, l1, l2, l3] = this.limbs;
    return hex(l3) + hex(l2) + hex(l1) + hex(l0);
  }
}

/** The CRC-32 tables (IEEE polynomial, reflected), for four bytes at a time. */
const crcTables: readonly Int32Array[] = (() => {
  const tables = [0, 1, 2, 3].map(() => new Int32Array(256));
  const [t0, t1, t2, t3] = tables as [Int32Array, Int32Array, Int32Array, Int32Array];
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    t1[n] = t0[t0[n]! & 0xff]! ^ (t0[n]! >>> 8);
    t2[n] = t0[t1[n]! & 0xff]! ^ (t1[n]! >>> 8);
    t3[n] = t0[t2[n]! & 0xff]! ^ (t2[n]! >>> 8);
  }
  return tables;
})();

/**
 * Computes CRC-32 (IEEE 802.3, as zlib's `crc32` and the WAL's records) of `bytes`,
 * continuing from `previous` (the CRC of the bytes before; 0 to start), four bytes at a time
 * (slicing-by-4: ~0.9 ns per byte against FNV-1a 64's ~5 here). Shells that may use Node
 * pass zlib's native `crc32` instead (`Crc32Function`), about five times faster still.
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const [t0, t1, t2, t3] = crcTables as [Int32Array, Int32Array, Int32Array, Int32Array];
  let c = ~previous;
  const length = bytes.length;
  const aligned = length - (length & 3);
  let i = 0;
  for (; i < aligned; i += 4) {
    c ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    c = t3[c & 0xff]! ^ t2[(c >>> 8) & 0xff]! ^ t1[(c >>> 16) & 0xff]! ^ t0[c >>> 24]!;
  }
  for (; i < length; i++) c = t0[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** A CRC-32 with `crc32`'s contract (zlib's has it too). */
export type Crc32Function = (bytes: Uint8Array, previous?: number) => number;
