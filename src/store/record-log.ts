/**
 * @module store/record-log
 *
 * RecordLog holds every retained version record of the store in (revision, sub) order, as
 * columns of typed arrays rather than one object per record: a record costs 56 bytes and no
 * garbage-collected object (issue 5: the object form, with its KeyValue, views and
 * per-revision lists, took ~540 bytes of V8 heap per record).
 *
 * ```
 *  record id:      0      1      2      3   ...  size-1     ids are positions: they
 *  revision:       2      3      3      5   ...  (ascending with sub)   change only when
 *  previous:      -1     -1      0      1   ...  (same key, older)      `removeMarked`
 *  chunk:     [ 0 .. 4095 ][ 4096 .. 8191 ] ...   one ArrayBuffer each (≈ 224 KiB, so the
 *                                                 allocator maps it and unmaps it on free)
 * ```
 *
 * A record's value lives in the ValueStore (`valueRef`, `valueLength`); a tombstone has
 * version 0 and no value. `previous` links each record to the older record of its key, so
 * a key's history is a chain from its newest record (kept by the KeyIndex).
 */
import { assert, assertNonNegativeInteger, assertSafeInteger } from './assert.js';

/** Records per chunk; a power of two. */
const chunkRecords = 4096;
const chunkShift = 12;
const chunkMask = chunkRecords - 1;
/** Largest record count (ids and `previous` links are int32). */
const recordsMax = 0x7fff_ffff;

/** The fields of one record. */
export interface RecordFields {
  readonly revision: number;
  readonly sub: number;
  /** 0 for a tombstone. */
  readonly createRevision: number;
  /** 0 for a tombstone, >= 1 otherwise. */
  readonly version: number;
  readonly lease: number;
  readonly valueRef: number;
  readonly valueLength: number;
  readonly keyId: number;
  /** The id of the key's previous record, -1 when none is retained. */
  readonly previous: number;
}

/** One chunk of columns, all views of one ArrayBuffer. */
class Chunk {
  readonly revision: Float64Array;
  readonly createRevision: Float64Array;
  readonly version: Float64Array;
  readonly lease: Float64Array;
  readonly valueRef: Float64Array;
  readonly sub: Uint32Array;
  readonly valueLength: Uint32Array;
  readonly keyId: Uint32Array;
  readonly previous: Int32Array;

  constructor() {
    const buffer = new ArrayBuffer(chunkRecords * (5 * 8 + 4 * 4));
    let offset = 0;
    const f64 = (): Float64Array => {
      const column = new Float64Array(buffer, offset, chunkRecords);
      offset += chunkRecords * 8;
      return column;
    };
    const u32 = (): Uint32Array => {
      const column = new Uint32Array(buffer, offset, chunkRecords);
      offset += chunkRecords * 4;
      return column;
    };
    this.revision = f64();
    this.createRevision = f64();
    this.version = f64();
    this.lease = f64();
    this.valueRef = f64();
    this.sub = u32();
    this.valueLength = u32();
    this.keyId = u32();
    this.previous = new Int32Array(buffer, offset, chunkRecords);
    assert(offset + chunkRecords * 4 === buffer.byteLength, 'columns fill the chunk');
  }
}

/** RecordLog is the columnar record store (see the module comment). */
export class RecordLog {
  private chunks: Chunk[] = [];
  private count = 0;

  /** Number of records. */
  get size(): number {
    return this.count;
  }

  /** Appends a record, which MUST be newer than every record held; returns its id. */
  append(fields: RecordFields): number {
    assertSafeInteger(fields.revision, 'record revision');
    assertNonNegativeInteger(fields.sub, 'record sub');
    assert(this.count < recordsMax, 'record log is not full');
    const last = this.count - 1;
    assert(last < 0 || this.revision(last) < fields.revision
      || (this.revision(last) === fields.revision && this.sub(last) < fields.sub),
    'records are appended in (revision, sub) order');
    assert(fields.previous < this.count, 'previous record is older');
    const id = this.count;
    if ((id & chunkMask) === 0) this.chunks.push(new Chunk());
    this.count += 1;
    this.write(id, fields);
    return id;
  }

  /** Returns the main revision of record `id`. */
  revision(id: number): number {
    return this.chunk(id).revision[id & chunkMask]!;
  }

  /** Returns the sub revision of record `id`. */
  sub(id: number): number {
    return this.chunk(id).sub[id & chunkMask]!;
  }

  /** Returns the version of record `id` (0: a tombstone). */
  version(id: number): number {
    return this.chunk(id).version[id & chunkMask]!;
  }

  /** Returns the key id of record `id`. */
  keyId(id: number): number {
    return this.chunk(id).keyId[id & chunkMask]!;
  }

  /** Returns the id of the previous record of the same key, or -1. */
  previous(id: number): number {
    return this.chunk(id).previous[id & chunkMask]!;
  }

  /** Returns the value length of record `id`. */
  valueLength(id: number): number {
    return this.chunk(id).valueLength[id & chunkMask]!;
  }

  /** Copies every field of record `id` into `target` (no allocation; scans of all records). */
  readInto(id: number, target: { -readonly [K in keyof RecordFields]: number }): void {
    const chunk = this.chunk(id);
    const slot = id & chunkMask;
    target.revision = chunk.revision[slot]!;
    target.sub = chunk.sub[slot]!;
    target.createRevision = chunk.createRevision[slot]!;
    target.version = chunk.version[slot]!;
    target.lease = chunk.lease[slot]!;
    target.valueRef = chunk.valueRef[slot]!;
    target.valueLength = chunk.valueLength[slot]!;
    target.keyId = chunk.keyId[slot]!;
    target.previous = chunk.previous[slot]!;
  }

  /** Returns every field of record `id`. */
  fields(id: number): RecordFields {
    const chunk = this.chunk(id);
    const slot = id & chunkMask;
    return {
      revision: chunk.revision[slot]!, sub: chunk.sub[slot]!,
      createRevision: chunk.createRevision[slot]!, version: chunk.version[slot]!,
      lease: chunk.lease[slot]!, valueRef: chunk.valueRef[slot]!,
      valueLength: chunk.valueLength[slot]!, keyId: chunk.keyId[slot]!,
      previous: chunk.previous[slot]!,
    };
  }

  /** Moves record `id`'s value to `valueRef` (relocation in the value store). */
  setValueRef(id: number, valueRef: number): void {
    assertNonNegativeInteger(valueRef, 'value ref');
    this.chunk(id).valueRef[id & chunkMask] = valueRef;
  }

  /** Returns the first id whose revision is >= `revision` (size when none). */
  lowerBound(revision: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.revision(middle) < revision) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }

  /**
   * Removes the records whose `removed` flag is set, keeping the order of the others, and
   * returns the new id of every old one (-1 for a removed one). `previous` links to removed
   * records become -1: compaction only removes the oldest records of a key.
   */
  removeMarked(removed: Uint8Array): Int32Array {
    assert(removed.length === this.count, 'one flag per record');
    const newIds = new Int32Array(this.count);
    let kept = 0;
    for (let id = 0; id < this.count; id++) {
      if (removed[id] === 1) {
        newIds[id] = -1;
        continue;
      }
      const fields = this.fields(id);
      const previous = fields.previous < 0 ? -1 : newIds[fields.previous]!;
      newIds[id] = kept;
      this.write(kept, { ...fields, previous });
      kept += 1;
    }
    this.count = kept;
    this.chunks.length = (kept + chunkMask) >>> chunkShift;
    assert(this.chunks.length * chunkRecords >= kept, 'chunks hold every kept record');
    return newIds;
  }

  private chunk(id: number): Chunk {
    assert(id >= 0 && id < this.count, 'record id in range');
    return this.chunks[id >>> chunkShift]!;
  }

  private write(id: number, fields: RecordFields): void {
    const chunk = this.chunks[id >>> chunkShift];
    assert(chunk !== undefined, 'written record has a chunk');
    const slot = id & chunkMask;
    chunk.revision[slot] = fields.revision;
    chunk.sub[slot] = fields.sub;
    chunk.createRevision[slot] = fields.createRevision;
    chunk.version[slot] = fields.version;
    chunk.lease[slot] = fields.lease;
    chunk.valueRef[slot] = fields.valueRef;
    chunk.valueLength[slot] = fields.valueLength;
    chunk.keyId[slot] = fields.keyId;
    chunk.previous[slot] = fields.previous;
  }
}
