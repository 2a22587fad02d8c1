/**
 * @module store/rows
 *
 * The persistence row format of the MVCC store: the rows a LevelDB shell stores (in the
 * store's sublevel) and the snapshot encoding built from them. Modeled on etcd's bbolt
 * buckets: the "key" bucket is keyed by revision, "lease" by id, "meta" by name.
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
 * The shell MUST write the mutations of one applied entry together with its own applied
 * Raft index row in ONE atomic batch (DESIGN §4); the raft index is not the store's business
 * (a revision is not an index, shared/STYLE.md §3).
 *
 * Snapshot encoding: "CRSS" u8(version 1) u64(rowCount), then per row (ascending by key
 * bytes) bytes key | bytes value, then the FNV-1a 64 digest of everything before it as 8 bytes.
 */
import { assert } from './assert.js';
import {
  ByteReader, ByteWriter, Fnv64, bytesToBinary, compareBytes, copyBytes, utf8,
} from './bytes.js';
import { type KVRecord, tombstoneRecord } from './key-index.js';
import type { KeyValue } from './types.js';

/** A row: key and value bytes. */
export type Row = readonly [key: Uint8Array, value: Uint8Array];

const prefixRecord = 0x6b; // 'k'
const prefixLease = 0x6c; // 'l'
const prefixMeta = 0x6d; // 'm'
const snapshotMagic = utf8('CRSS');
const snapshotFormatVersion = 1;

/** Names of the meta rows. */
export type MetaName = 'revision' | 'compactRevision' | 'leaseIdNext';

/** Builds the row key of the record at (revision, sub). */
export function recordRowKey(at: { revision: number; sub: number }): Uint8Array {
  return new ByteWriter(17).u8(prefixRecord).u64(at.revision).u64(at.sub).finish();
}

/** Builds the row of `record`. */
export function recordRow(record: KVRecord): Row {
  const kv = record.kv;
  // Exactly sized: flags, key, three ints, value (one allocation per row on the apply path).
  const value = new ByteWriter(1 + 4 + kv.key.length + 24 + 4 + kv.value.length)
    .u8(record.tombstone ? 1 : 0)
    .bytes(kv.key)
    .int(kv.createRevision)
    .int(kv.version)
    .int(kv.lease)
    .bytes(kv.value)
    .finish();
  return [recordRowKey({ revision: kv.modRevision, sub: record.sub }), value];
}

/** Builds the row key of lease `id`. */
export function leaseRowKey(id: number): Uint8Array {
  return new ByteWriter().u8(prefixLease).int(id).finish();
}

/** Builds the row of a lease. */
export function leaseRow(
  lease: { readonly id: number; readonly ttlSeconds: number; readonly expiryMs: number },
): Row {
  const value = new ByteWriter().int(lease.ttlSeconds).int(lease.expiryMs).finish();
  return [leaseRowKey(lease.id), value];
}

/** Builds the row of a meta value. */
export function metaRow(name: MetaName, value: number): Row {
  const key = new ByteWriter().u8(prefixMeta).raw(utf8(name)).finish();
  return [key, new ByteWriter().int(value).finish()];
}

/** DecodedRow is a parsed row. */
export type DecodedRow =
  | { readonly kind: 'record'; readonly record: KVRecord }
  | { readonly kind: 'lease'; readonly id: number; readonly ttlSeconds: number;
      readonly expiryMs: number }
  | { readonly kind: 'meta'; readonly name: MetaName; readonly value: number };

/** Parses one row; a malformed row fails an assertion (the shell checks CRCs before). */
export function decodeRow(key: Uint8Array, value: Uint8Array): DecodedRow {
  const keyReader = new ByteReader(key);
  const prefix = keyReader.u8();
  const valueReader = new ByteReader(value);
  let decoded: DecodedRow;
  if (prefix === prefixRecord) {
    decoded = { kind: 'record', record: decodeRecord(keyReader, valueReader) };
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

function decodeRecord(keyReader: ByteReader, valueReader: ByteReader): KVRecord {
  const revision = keyReader.u64();
  const sub = keyReader.u64();
  const flags = valueReader.u8();
  assert(flags === 0 || flags === 1, 'record flags are known');
  // Retained by the store: copied into its slab pool, not into two buffers of their own.
  const key = copyBytes(valueReader.bytesView());
  const createRevision = valueReader.int();
  const version = valueReader.int();
  const lease = valueReader.int();
  const value = copyBytes(valueReader.bytesView());
  const keyText = bytesToBinary(key);
  if (flags === 1) {
    assert(version === 0 && value.length === 0, 'tombstone carries no value');
    return tombstoneRecord(key, keyText, revision, sub);
  }
  assert(version >= 1, 'live record version >= 1');
  const kv: KeyValue = { key, createRevision, modRevision: revision, version, value, lease };
  return { kv, keyText, sub, tombstone: false };
}

/** Encodes rows into the snapshot format; rows are sorted by key first. */
export function encodeSnapshot(rows: readonly Row[]): Uint8Array {
  const sorted = [...rows].sort((left, right) => compareBytes(left[0], right[0]));
  const headerBytes = snapshotMagic.length + 1 + 8;
  let bodyBytes = headerBytes;
  for (const [key, value] of sorted) bodyBytes += 8 + key.length + value.length;
  // ONE allocation of the exact size, trailer included: growing and copying a 30 MB buffer
  // several times per snapshot grew the native heap by hundreds of MB (issue 5).
  const writer = new ByteWriter(bodyBytes + 8)
    .raw(snapshotMagic).u8(snapshotFormatVersion).u64(sorted.length);
  for (const [key, value] of sorted) {
    writer.bytes(key).bytes(value);
  }
  const digest = new Fnv64().bytes(writer.written()).digest();
  for (let i = 0; i < 8; i++) {
    writer.u8(Number.parseInt(digest.slice(i * 2, i * 2 + 2), 16));
  }
  const out = writer.finish();
  assert(out.length === bodyBytes + 8, 'snapshot has a digest trailer');
  return out;
}

/** Decodes a snapshot into rows, checking magic, version and digest. */
export function decodeSnapshot(bytes: Uint8Array): Row[] {
  assert(bytes.length >= snapshotMagic.length + 1 + 8 + 8, 'snapshot is long enough');
  const body = bytes.subarray(0, bytes.length - 8);
  const digest = new Fnv64().bytes(body).digest();
  const trailer = bytes.subarray(bytes.length - 8);
  const trailerHex = [...trailer].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  assert(trailerHex === digest, 'snapshot digest matches');
  assert(compareBytes(body.subarray(0, 4), snapshotMagic) === 0, 'snapshot magic');
  const reader = new ByteReader(body.subarray(4));
  assert(reader.u8() === snapshotFormatVersion, 'snapshot format version');
  const count = reader.u64();
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    rows.push([reader.bytes(), reader.bytes()]);
  }
  assert(reader.done(), 'snapshot fully read');
  return rows;
}
