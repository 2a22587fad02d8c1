/**
 * @module server/etcd-api/snapshot-file
 * The byte layout Maintenance.Snapshot streams, shaped so `etcdctl snapshot save` accepts
 * it: etcdctl checks that the received size minus the 32-byte SHA-256 trailer is a multiple
 * of 512 (bbolt's page alignment) and that the trailer is the SHA-256 of what precedes it.
 *
 * ```
 * +------------------+---------------+-----------------+---------------+-------------+
 * | magic (16 bytes) | length u64 BE | backend snapshot| zero padding  | SHA-256     |
 * | "CORACLE-SNAP-01"| (data bytes)  | (length bytes)  | to 512 * n    | of the rest |
 * +------------------+---------------+-----------------+---------------+-------------+
 * ```
 * The data is Coracle's store snapshot, not a bbolt file: etcd's `snapshot status` and
 * `snapshot restore` cannot read it; `readSnapshotFile` recovers the backend snapshot.
 */
import { createHash } from 'node:crypto';

/** The first 16 bytes of a Coracle snapshot file. */
export const snapshotFileMagic = Buffer.from('CORACLE-SNAP-01\n', 'ascii');

/** The alignment etcdctl expects of the bytes before the SHA-256 trailer. */
export const snapshotFileAlignmentBytes = 512;

const lengthBytes = 8;
const sha256Bytes = 32;

/** Wraps a backend snapshot into the file layout above (the trailer included). */
export function buildSnapshotFile(data: Uint8Array): Buffer {
  const unpadded = snapshotFileMagic.length + lengthBytes + data.length;
  const padded = Math.ceil(unpadded / snapshotFileAlignmentBytes) * snapshotFileAlignmentBytes;
  const file = Buffer.alloc(padded + sha256Bytes);
  snapshotFileMagic.copy(file, 0);
  file.writeBigUInt64BE(BigInt(data.length), snapshotFileMagic.length);
  file.set(data, snapshotFileMagic.length + lengthBytes);
  createHash('sha256').update(file.subarray(0, padded)).digest().copy(file, padded);
  return file;
}

/** Checks a snapshot file and returns the backend snapshot inside; throws when invalid. */
export function readSnapshotFile(file: Uint8Array): Uint8Array {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.length);
  const padded = bytes.length - sha256Bytes;
  if (padded <= 0 || padded % snapshotFileAlignmentBytes !== 0) {
    throw new Error('not a Coracle snapshot file: bad size');
  }
  const digest = createHash('sha256').update(bytes.subarray(0, padded)).digest();
  if (!digest.equals(bytes.subarray(padded))) {
    throw new Error('Coracle snapshot file: SHA-256 mismatch');
  }
  if (!bytes.subarray(0, snapshotFileMagic.length).equals(snapshotFileMagic)) {
    throw new Error('not a Coracle snapshot file: bad magic');
  }
  const start = snapshotFileMagic.length + lengthBytes;
  const length = Number(bytes.readBigUInt64BE(snapshotFileMagic.length));
  if (start + length > padded) {
    throw new Error('Coracle snapshot file: length beyond the data');
  }
  return bytes.subarray(start, start + length);
}
