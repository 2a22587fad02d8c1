/**
 * @module util/proto-wire
 * The protobuf wire format (https://protobuf.dev/programming-guides/encoding/), by hand, for
 * the few messages on the hot path of every write (a replicated command, a batch of Raft
 * messages): protobufjs builds an object per message and per field on decode and a writer
 * op list on encode, which cost more than the rest of the path together.
 *
 * Contract: only non-negative safe integers are written (varints of at most 8 bytes); a
 * reader refuses anything else it meets (a longer varint, a field running past the end, an
 * unknown wire type) with `WireFormatError`, so callers can fall back to protobufjs for
 * inputs outside the fast path, or reject the bytes.
 */
import { assert } from './assert.js';

/** Wire type of varint fields (int32/64, uint32/64, bool, enum). */
export const wireVarint = 0;
/** Wire type of 64-bit fields (fixed64, double). */
export const wireFixed64 = 1;
/** Wire type of length-delimited fields (bytes, string, messages, packed repeated). */
export const wireBytes = 2;
/** Wire type of 32-bit fields (fixed32, float). */
export const wireFixed32 = 5;

/** WireFormatError: bytes the hand-written reader does not accept (see the module comment). */
export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

const twoTo32 = 0x1_0000_0000;

/** Returns the bytes of `value` as a varint; `value` MUST be a non-negative safe integer. */
export function varintBytes(value: number): number {
  assert(Number.isSafeInteger(value) && value >= 0, 'varint is a non-negative safe integer');
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x20_0000) return 3;
  if (value < 0x1000_0000) return 4;
  let bytes = 4;
  for (let rest = Math.floor(value / 0x1000_0000); rest > 0; rest = Math.floor(rest / 0x80)) {
    bytes++;
  }
  return bytes;
}

/** Returns the bytes of field `field` holding `value` as a varint (tag included). */
export function varintFieldBytes(field: number, value: number): number {
  return varintBytes(field << 3) + varintBytes(value);
}

/** Returns the bytes of length-delimited field `field` with a body of `length` bytes. */
export function bytesFieldBytes(field: number, length: number): number {
  return varintBytes(field << 3) + varintBytes(length) + length;
}

/**
 * WireWriter writes fields into a buffer the caller sized exactly (with the `*Bytes`
 * helpers above); `finish` asserts that it was filled to the last byte.
 */
export class WireWriter {
  private offset: number;

  /** Writes into `out` from `start`. */
  constructor(readonly out: Uint8Array, start = 0) {
    assert(start >= 0 && start <= out.length, 'writer starts inside its buffer');
    this.offset = start;
  }

  /** Where the next byte goes. */
  get position(): number {
    return this.offset;
  }

  /** Writes a non-negative safe integer as a varint. */
  varint(value: number): this {
    assert(Number.isSafeInteger(value) && value >= 0, 'varint is a non-negative safe integer');
    const out = this.out;
    let offset = this.offset;
    let rest = value;
    while (rest >= twoTo32) {
      out[offset++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    while (rest > 0x7f) {
      out[offset++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    out[offset++] = rest;
    this.offset = offset;
    return this;
  }

  /** Writes a field's tag. */
  tag(field: number, wireType: number): this {
    return this.varint((field << 3) | wireType);
  }

  /** Writes varint field `field` when `value` is not 0 (proto3 skips defaults). */
  varintField(field: number, value: number): this {
    return value === 0 ? this : this.tag(field, wireVarint).varint(value);
  }

  /** Writes bool field `field` when `value` is true. */
  boolField(field: number, value: boolean): this {
    return value ? this.tag(field, wireVarint).varint(1) : this;
  }

  /** Writes bytes field `field` when `value` is not empty (proto3 skips defaults). */
  bytesField(field: number, value: Uint8Array): this {
    if (value.length === 0) return this;
    this.tag(field, wireBytes).varint(value.length);
    this.out.set(value, this.offset);
    this.offset += value.length;
    return this;
  }

  /** Writes the tag and length of a length-delimited field whose body follows. */
  bytesHeader(field: number, length: number): this {
    return this.tag(field, wireBytes).varint(length);
  }

  /** Asserts that the buffer was filled exactly to `end` (its length by default). */
  finish(end = this.out.length): Uint8Array {
    assert(this.offset === end, 'the message fills the bytes sized for it');
    return this.out;
  }
}

/**
 * WireReader reads fields from `bytes` [start, end). Every method throws WireFormatError on
 * input it does not accept (see the module comment); nothing else is thrown.
 */
export class WireReader {
  private offset: number;

  /** Reads `bytes` from `start` to `end` (default: all of them). */
  constructor(readonly bytes: Uint8Array, start = 0, readonly end = bytes.length) {
    assert(start >= 0 && start <= end && end <= bytes.length, 'reader bounds are in range');
    this.offset = start;
  }

  /** Reports whether every byte was read. */
  done(): boolean {
    return this.offset >= this.end;
  }

  /** Where the next byte is read from. */
  get position(): number {
    return this.offset;
  }

  /** Reads a varint of at most 8 bytes as a safe integer (a longer one is refused). */
  varint(): number {
    const bytes = this.bytes;
    let offset = this.offset;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (offset >= this.end) throw new WireFormatError('varint runs past the end');
      const byte = bytes[offset++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) throw new WireFormatError('varint beyond 2^53');
        this.offset = offset;
        return value;
      }
      scale *= 0x80;
    }
    throw new WireFormatError('varint longer than 8 bytes');
  }

  /** Reads a field's tag: `field << 3 | wireType`. */
  tag(): number {
    const tag = this.varint();
    if (tag >>> 3 === 0) throw new WireFormatError('field number 0');
    return tag;
  }

  /** Reads a length prefix and returns the end of the body it announces. */
  lengthEnd(): number {
    const length = this.varint();
    const end = this.offset + length;
    if (end > this.end) throw new WireFormatError('length-delimited field runs past the end');
    return end;
  }

  /** Reads a length-delimited field's body as a view of the source bytes (no copy). */
  bytesView(): Uint8Array {
    const end = this.lengthEnd();
    const view = this.bytes.subarray(this.offset, end);
    this.offset = end;
    return view;
  }

  /** Moves to `position` (the end of a nested message read through another reader). */
  skipTo(position: number): void {
    if (position < this.offset || position > this.end) {
      throw new WireFormatError('skip outside the message');
    }
    this.offset = position;
  }

  /** Skips the body of a field of `wireType` whose tag was just read. */
  skip(wireType: number): void {
    switch (wireType) {
      case wireVarint:
        this.varintSkip();
        return;
      case wireFixed64:
        this.skipTo(this.offset + 8);
        return;
      case wireBytes:
        this.skipTo(this.lengthEnd());
        return;
      case wireFixed32:
        this.skipTo(this.offset + 4);
        return;
      default:
        throw new WireFormatError(`unsupported wire type ${wireType}`);
    }
  }

  private varintSkip(): void {
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.end) throw new WireFormatError('varint runs past the end');
      if (this.bytes[this.offset++]! < 0x80) return;
    }
    throw new WireFormatError('varint longer than 10 bytes');
  }
}
