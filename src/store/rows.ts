/**
 * @module store/rows
 *
 * The snapshot format of the MVCC store: its whole state as rows, modeled on etcd's bbolt
 * buckets (the "key" bucket keyed by revision, "lease" by id, "meta" by name).
 *
 * ```
 * row key                                   row value
 * 'k' u64(main) u64(sub)        (17 bytes)  u8 flags(1 = tombstone) | bytes key |
 *                                           int createRevision | int version | int lease |
 *                                           bytes value
 * 'l' int(id)                   (9 bytes)   int ttlSeconds | int expiryMs
 * 'm' "revision"                            int
 * 'm' "compactRevision"                     int
 * 'm' "leaseIdNext"                         int
 * ```
 * u64 is 8 bytes big-endian (so 'k' rows sort by revision); int is an 8-byte IEEE-754
 * double holding a safe integer; bytes is a u32 big-endian length then the bytes. Unlike
 * etcd the tombstone flag lives in the value, not in a 't' suffix of the key.
 *
 * Snapshot encoding: "CRSS" u8(version) u64(rowCount), then per row (ascending by key
 * bytes) bytes key | bytes value, then an 8-byte digest of the body (every byte before it):
 * - version 2 (written): u32 CRC-32 (IEEE, as zlib) of the body | u32 body length mod 2^32.
 * - version 1 (read only): the FNV-1a 64 of the body's length as an int, then the body.
 * Why 2: hashing FNV-1a 64 in JavaScript cost ~5 ns per byte, about 40% of taking a
 * snapshot (a follower at 256 puts in flight spent ~3 µs per put on it); CRC-32 four bytes
 * at a time costs ~0.9.
 *
 * Both directions stream (store/chunks): the writer knows the exact size up front and hands
 * out fixed-size chunks, the reader checks the digest in one pass and decodes in a second,
 * so a snapshot is never one array in memory (issue 5: ~50 MB at 100k keys).
 */
import { assert } from './assert.js';
import {
  ByteReader, ByteWriter, type Crc32Function, Fnv64, bytesToBinary, compareBytes, crc32, utf8,
} from './bytes.js';
import { type ByteSource, ChunkReader, ChunkWriter, chunkBytesDefault } from './chunks.js';
import type { RecordFields } from './record-log.js';

/** A row: key and value bytes. */
export type Row = readonly [key: Uint8Array, value: Uint8Array];

const prefixRecord = 0x6b; // 'k'
const prefixLease = 0x6c; // 'l'
const prefixMeta = 0x6d; // 'm'
const snapshotMagic = utf8('CRSS');
/** The format version written; version 1 is still read (see the module comment). */
const snapshotFormatVersion = 2;
const snapshotFormatVersionFnv = 1;
const headerBytes = snapshotMagic.length + 1 + 8;
const digestBytes = 8;
/** Bytes of a record row besides its key and value: lengths, row key, flags, three ints. */
const recordRowFixedBytes = 4 + 17 + 4 + 1 + 4 + 24 + 4;

/** Names of the meta rows. */
export type MetaName = 'revision' | 'compactRevision' | 'leaseIdNext';

/** Builds the row of a lease. */
export function leaseRow(
  lease: { readonly id: number; readonly ttlSeconds: number; readonly expiryMs: number },
): Row {
  const key = new ByteWriter().u8(prefixLease).int(lease.id).finish();
  const value = new ByteWriter().int(lease.ttlSeconds).int(lease.expiryMs).finish();
  return [key, value];
}

/** Builds the row of a meta value. */
export function metaRow(name: MetaName, value: number): Row {
  const key = new ByteWriter().u8(prefixMeta).raw(utf8(name)).finish();
  return [key, new ByteWriter().int(value).finish()];
}

/** RecordRow is a parsed record row; `value` is a view valid while its source is. */
export interface RecordRow {
  readonly kind: 'record';
  readonly revision: number;
  readonly sub: number;
  readonly tombstone: boolean;
  readonly keyText: string;
  readonly createRevision: number;
  readonly version: number;
  readonly lease: number;
  readonly value: Uint8Array;
}

/** DecodedRow is a parsed row. */
export type DecodedRow =
  | RecordRow
  | { readonly kind: 'lease'; readonly id: number; readonly ttlSeconds: number;
      readonly expiryMs: number }
  | { readonly kind: 'meta'; readonly name: MetaName; readonly value: number };

/** Parses one row; a malformed row fails an assertion (the digest was checked before). */
export function decodeRow(key: Uint8Array, value: Uint8Array): DecodedRow {
  const keyReader = new ByteReader(key);
  const prefix = keyReader.u8();
  const valueReader = new ByteReader(value);
  let decoded: DecodedRow;
  if (prefix === prefixRecord) {
    decoded = decodeRecord(keyReader, valueReader);
  } else if (prefix === prefixLease) {
    const id = keyReader.int();
    decoded = { kind: 'lease', id, ttlSeconds: valueReader.int(), expiryMs: valueReader.int() };
  } else {
    assert(prefix === prefixMeta, `known row prefix ${prefix}`);
    const name = new TextDecoder().decode(key.subarray(1));
    assert(name === 'revision' || name === 'compactRevision' || name === 'leaseIdNext',
      `known meta row ${name}`);
    decoded = { kind: 'meta', name, value: valueReader.int() };
    return decoded;
  }
  assert(keyReader.done(), 'row key fully read');
  assert(valueReader.done(), 'row value fully read');
  return decoded;
}

function decodeRecord(keyReader: ByteReader, valueReader: ByteReader): RecordRow {
  const revision = keyReader.u64();
  const sub = keyReader.u64();
  const flags = valueReader.u8();
  assert(flags === 0 || flags === 1, 'record flags are known');
  const keyText = bytesToBinary(valueReader.bytesView());
  const createRevision = valueReader.int();
  const version = valueReader.int();
  const lease = valueReader.int();
  const value = valueReader.bytesView();
  const tombstone = flags === 1;
  if (tombstone) {
    assert(version === 0 && value.length === 0, 'tombstone carries no value');
  } else {
    assert(version >= 1, 'live record version >= 1');
  }
  return {
    kind: 'record', revision, sub, tombstone, keyText, createRevision, version, lease, value,
  };
}

/** SnapshotParts is what a snapshot holds, as the store hands it to `writeSnapshot`. */
export interface SnapshotParts {
  /** The record rows' count and their total key and value bytes (sizes come first). */
  readonly records: { readonly count: number; readonly keyBytes: number;
    readonly valueBytes: number };
  /** Visits every record in (revision, sub) order; `value` is valid during the call. */
  forEachRecord(visit: (fields: RecordFields, keyText: string, value: Uint8Array) => void):
    void;
  /** The lease and meta rows, in any order. */
  readonly rows: readonly Row[];
}

/**
 * Writes the snapshot of `parts` to `sink`, a chunk at a time (each chunk is reused once
 * the sink returns, see store/chunks); returns the snapshot's size in bytes.
 */
export function writeSnapshot(parts: SnapshotParts, sink: (chunk: Uint8Array) => void,
  options: SnapshotCodecOptions = {}): number {
  const checksum = options.crc32 ?? crc32;
  const rows = [...parts.rows].sort((left, right) => compareBytes(left[0], right[0]));
  assert(rows.every(([key]) => (key[0] ?? 0) > prefixRecord), 'small rows sort after records');
  const { count, keyBytes, valueBytes } = parts.records;
  let bodyBytes = headerBytes + count * recordRowFixedBytes + keyBytes + valueBytes;
  for (const [key, value] of rows) bodyBytes += 8 + key.length + value.length;
  let crc = 0;
  const writer = new ChunkWriter((chunk) => {
    crc = checksum(chunk, crc);
    sink(chunk);
  }, options.chunkBytes ?? chunkBytesDefault);
  writer.raw(snapshotMagic).u8(snapshotFormatVersion).u64(count + rows.length);
  parts.forEachRecord((fields, keyText, value) => {
    if (recordHeadBytes + keyText.length <= writer.bytesBuffer.length) {
      writeRecordRow(writer, { fields, keyText, value });
      return;
    }
    const tombstone = fields.version === 0;
    writer.u32(17).u8(prefixRecord).u64(fields.revision).u64(fields.sub)
      .u32(1 + 4 + keyText.length + 24 + 4 + value.length)
      .u8(tombstone ? 1 : 0).binary(keyText)
      .int(fields.createRevision).int(fields.version).int(fields.lease)
      .bytes(value);
  });
  for (const [key, value] of rows) writer.bytes(key).bytes(value);
  writer.flush();
  assert(writer.writtenBytes === bodyBytes, 'snapshot body has its computed size');
  sink(crcDigest(crc, bodyBytes));
  return bodyBytes + digestBytes;
}

/** Bytes of a record row before its value, less the key's: see writeRecordRow. */
const recordHeadBytes = 4 + 17 + 4 + 1 + 4 + 24 + 4;
/**
 * Writes a record row whose head (all but the value) fits in a chunk, the head with one
 * bounds check: the same bytes as the chain of ChunkWriter calls in writeSnapshot, and one
 * small function for the JIT instead of a dozen (a snapshot runs cold, every
 * `snapshotEntries` entries).
 */
function writeRecordRow(writer: ChunkWriter,
  row: { fields: RecordFields; keyText: string; value: Uint8Array }): void {
  const { fields, keyText, value } = row;
  assert(fields.revision >= 0 && fields.revision <= Number.MAX_SAFE_INTEGER, 'revision');
  assert(fields.sub >= 0 && fields.sub <= 0xffff_ffff, 'sub revision');
  const keyLength = keyText.length;
  const valueLength = value.length;
  const at = writer.claim(recordHeadBytes + keyLength);
  const view = writer.dataView;
  const bytes = writer.bytesBuffer;
  view.setUint32(at, 17);
  bytes[at + 4] = prefixRecord;
  view.setUint32(at + 5, Math.floor(fields.revision / 0x1_0000_0000));
  view.setUint32(at + 9, fields.revision >>> 0);
  view.setUint32(at + 13, 0);
  view.setUint32(at + 17, fields.sub);
  view.setUint32(at + 21, 1 + 4 + keyLength + 24 + 4 + valueLength);
  bytes[at + 25] = fields.version === 0 ? 1 : 0;
  view.setUint32(at + 26, keyLength);
  let offset = at + 30;
  for (let i = 0; i < keyLength; i++) bytes[offset + i] = keyText.charCodeAt(i);
  offset += keyLength;
  view.setFloat64(offset, fields.createRevision);
  view.setFloat64(offset + 8, fields.version);
  view.setFloat64(offset + 16, fields.lease);
  view.setUint32(offset + 24, valueLength);
  assert(offset + 28 === at + recordHeadBytes + keyLength, 'the row head has its size');
  writer.raw(value);
}

/** The version 2 digest: CRC-32 and the body length mod 2^32, both u32 big-endian. */
function crcDigest(crc: number, bodyBytes: number): Uint8Array {
  const out = new Uint8Array(digestBytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, crc);
  view.setUint32(4, bodyBytes % 0x1_0000_0000);
  return out;
}

/** The digest that `source` bytes [start, bodyEnd) of format `version` end with. */
function expectedDigest(source: ByteSource, range: { start: number; bodyEnd: number },
  format: { version: number; crc32: Crc32Function }): Uint8Array {
  const { start, bodyEnd } = range;
  const fnv = format.version === snapshotFormatVersionFnv ? new Fnv64().int(bodyEnd - start)
    : null;
  let crc = 0;
  for (let offset = start; offset < bodyEnd; offset += chunkBytesDefault) {
    const piece = source.subarray(offset, Math.min(bodyEnd, offset + chunkBytesDefault));
    if (fnv === null) crc = format.crc32(piece, crc);
    else fnv.raw(piece);
  }
  return fnv === null ? crcDigest(crc, bodyEnd - start) : digestToBytes(fnv.digest());
}

/** Options of the snapshot codec. */
export interface SnapshotCodecOptions {
  /** Bytes per chunk handed to the sink (default 1 MiB). */
  readonly chunkBytes?: number;
  /** The CRC-32 to use (default store/bytes' own; a shell may pass zlib's, faster). */
  readonly crc32?: Crc32Function;
}

function digestToBytes(digest: string): Uint8Array {
  const out = new Uint8Array(digestBytes);
  for (let i = 0; i < digestBytes; i++) {
    out[i] = Number.parseInt(digest.slice(i * 2, i * 2 + 2), 16);
  }
  return out;
}

/**
 * Reads the snapshot in `source` bytes [start, byteLength): checks its digest, magic and
 * version, then hands every row to `visit` in order. Views passed to `visit` stay valid
 * (chunks are never reused) but pin their chunk while kept.
 */
export function readSnapshot(source: ByteSource, visit: (row: DecodedRow) => void,
  options: { start?: number; crc32?: Crc32Function } = {}): void {
  const start = options.start ?? 0;
  const end = source.byteLength;
  assert(end - start >= headerBytes + digestBytes, 'snapshot is long enough');
  const bodyEnd = end - digestBytes;
  const versionAt = start + snapshotMagic.length;
  const version = source.subarray(versionAt, versionAt + 1)[0];
  assert(version === snapshotFormatVersion || version === snapshotFormatVersionFnv,
    'snapshot format version');
  const trailer = source.subarray(bodyEnd, end);
  const expected = expectedDigest(source, { start, bodyEnd },
    { version, crc32: options.crc32 ?? crc32 });
  assert(compareBytes(trailer, expected) === 0, 'snapshot digest matches');
  const reader = new ChunkReader(source, { start, end: bodyEnd });
  assert(compareBytes(reader.take(snapshotMagic.length), snapshotMagic) === 0,
    'snapshot magic');
  assert(reader.u8() === version, 'snapshot format version');
  const count = reader.u64();
  for (let i = 0; i < count; i++) {
    const key = reader.bytesView();
    visit(decodeRow(key, reader.bytesView()));
  }
  assert(reader.done(), 'snapshot fully read');
}
