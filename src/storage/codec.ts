/**
 * @module storage/codec
 * Binary records of the durable Raft state. Every record carries a CRC-32 of its body so a
 * torn or corrupted record is detected on read (shared/STYLE.md §6: check records before
 * writing and after reading).
 *
 * ```
 * entry     crc32 u32 | term f64 | index f64 | type u8 | data...
 * hard      crc32 u32 | term f64 | vote f64 | commit f64
 * snapmeta  crc32 u32 | index f64 | term f64 | voters u32 + f64* | learners u32 + f64*
 * u64 key   8 bytes big-endian (log keys sort by index)
 * ```
 */
import { crc32 } from 'node:zlib';
import type { Entry, HardState, SnapshotMeta } from '../raft/types.js';
import { EntryType } from '../raft/types.js';
import { StorageError } from './errors.js';

function withCrc(body: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(4 + body.length);
  record.writeUInt32BE(crc32(body), 0);
  record.set(body, 4);
  return record;
}

function checkCrc(record: Uint8Array, what: string): Buffer {
  const buffer = Buffer.from(record.buffer, record.byteOffset, record.byteLength);
  if (buffer.length < 4) throw new StorageError('STORAGE_ERR_CORRUPT', `${what}: record too short`);
  const body = buffer.subarray(4);
  if (crc32(body) !== buffer.readUInt32BE(0)) {
    throw new StorageError('STORAGE_ERR_CORRUPT', `${what}: CRC mismatch`);
  }
  return body;
}

/** Encodes an index as an 8-byte big-endian key so keys sort by index. */
export function indexKey(prefix: number, index: number): Buffer {
  const key = Buffer.allocUnsafe(9);
  key.writeUInt8(prefix, 0);
  key.writeBigUInt64BE(BigInt(index), 1);
  return key;
}

/** Decodes the index of an `indexKey`. */
export function decodeIndexKey(key: Uint8Array): number {
  const buffer = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return Number(buffer.readBigUInt64BE(1));
}

/** Bytes of an entry's record (encodeEntry's length). */
export function entryRecordBytes(entry: Entry): number {
  return 4 + 17 + entry.data.length;
}

/** Writes an entry's record (with its CRC) into `out` at `offset`; returns its length. */
export function writeEntryRecord(entry: Entry, out: Buffer, offset: number): number {
  const body = offset + 4;
  out.writeDoubleBE(entry.term, body);
  out.writeDoubleBE(entry.index, body + 8);
  out.writeUInt8(entry.type, body + 16);
  out.set(entry.data, body + 17);
  const end = body + 17 + entry.data.length;
  out.writeUInt32BE(crc32(out.subarray(body, end)), offset);
  return end - offset;
}

/** Encodes a log entry with its CRC. */
export function encodeEntry(entry: Entry): Buffer {
  const record = Buffer.allocUnsafe(entryRecordBytes(entry));
  writeEntryRecord(entry, record, 0);
  return record;
}

/** Decodes a log entry, checking its CRC and that it is the entry at `expectedIndex`. */
export function decodeEntry(record: Uint8Array, expectedIndex: number): Entry {
  const body = checkCrc(record, `log entry ${expectedIndex}`);
  if (body.length < 17) throw new StorageError('STORAGE_ERR_CORRUPT', 'log entry too short');
  const index = body.readDoubleBE(8);
  if (index !== expectedIndex) {
    throw new StorageError('STORAGE_ERR_CORRUPT',
      `log entry stored under index ${expectedIndex} claims index ${index}`);
  }
  const type = body.readUInt8(16) as EntryType;
  if (type !== EntryType.Normal && type !== EntryType.ConfChange) {
    throw new StorageError('STORAGE_ERR_CORRUPT', `log entry ${index} has unknown type ${String(type)}`);
  }
  return { term: body.readDoubleBE(0), index, type, data: new Uint8Array(body.subarray(17)) };
}

/** Encodes the hard state with its CRC. */
export function encodeHardState(state: HardState): Buffer {
  const body = Buffer.allocUnsafe(24);
  body.writeDoubleBE(state.term, 0);
  body.writeDoubleBE(state.vote, 8);
  body.writeDoubleBE(state.commit, 16);
  return withCrc(body);
}

/** Decodes the hard state, checking its CRC. */
export function decodeHardState(record: Uint8Array): HardState {
  const body = checkCrc(record, 'hard state');
  return { term: body.readDoubleBE(0), vote: body.readDoubleBE(8), commit: body.readDoubleBE(16) };
}

/** Encodes snapshot metadata with its CRC. */
export function encodeSnapshotMeta(meta: SnapshotMeta): Buffer {
  const ids = [meta.membership.voters, meta.membership.learners];
  const body = Buffer.allocUnsafe(16 + 8 + 8 * (ids[0]!.length + ids[1]!.length));
  body.writeDoubleBE(meta.index, 0);
  body.writeDoubleBE(meta.term, 8);
  let offset = 16;
  for (const list of ids) {
    body.writeUInt32BE(list.length, offset);
    offset += 4;
    for (const id of list) {
      body.writeDoubleBE(id, offset);
      offset += 8;
    }
  }
  return withCrc(body.subarray(0, offset));
}

/** Decodes snapshot metadata, checking its CRC. */
export function decodeSnapshotMeta(record: Uint8Array): SnapshotMeta {
  const body = checkCrc(record, 'snapshot metadata');
  const lists: number[][] = [];
  let offset = 16;
  for (let list = 0; list < 2; list++) {
    const count = body.readUInt32BE(offset);
    offset += 4;
    const ids: number[] = [];
    for (let i = 0; i < count; i++, offset += 8) ids.push(body.readDoubleBE(offset));
    lists.push(ids);
  }
  return {
    index: body.readDoubleBE(0), term: body.readDoubleBE(8),
    membership: { voters: lists[0]!, learners: lists[1]! },
  };
}
