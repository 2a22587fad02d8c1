/**
 * @module storage/snapshot-file
 * Raft snapshot data in a file of its own (`<data dir>/snap/`), read a piece at a time with
 * pread, so a peer need not hold its last snapshot in memory (issue 5: ~40 MB at 100k keys,
 * twice over while the previous one awaited garbage collection). The Raft core reads a
 * piece only to send it to a follower that fell behind the log (raft/types SnapshotData).
 *
 * ```
 *  stage:    snap/staged-N.tmp   written chunk by chunk as the state machine encodes itself
 *  persist:  fsync it, rename it to snap/<index>.snap, fsync the directory
 *  read:     pread through the descriptor opened at staging (it survives the rename, and an
 *            unlink, so the file may be replaced while the core still reads the old one)
 * ```
 * A SnapshotFile MUST be closed once nothing reads it; its bytes never change.
 */
import {
  closeSync, constants, fstatSync, fsync, openSync, readSync, renameSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SnapshotData } from '../raft/types.js';
import { assert } from '../util/assert.js';
import { StorageError } from './errors.js';
import type { StoredSnapshotData } from './raft-storage.js';

const fsyncAsync = promisify(fsync);
/** Largest piece copied at once when a snapshot is written from other data. */
const copyChunkBytes = 1024 * 1024;

/** SnapshotFile is snapshot data read from a file (see the module comment). */
export class SnapshotFile implements StoredSnapshotData {
  private fd: number | null;

  private constructor(private currentPath: string, fd: number, readonly byteLength: number) {
    this.fd = fd;
  }

  /** Where the file is now. */
  get path(): string {
    return this.currentPath;
  }

  /** Opens the snapshot file at `path`, which MUST hold `byteLength` bytes. */
  static open(path: string, byteLength: number): SnapshotFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      throw new StorageError('STORAGE_ERR_CORRUPT', `snapshot file ${path} is missing`,
        { cause: error });
    }
    const size = fstatSync(fd).size;
    if (size !== byteLength) {
      closeSync(fd);
      throw new StorageError('STORAGE_ERR_CORRUPT',
        `snapshot file ${path} holds ${size} bytes, ${byteLength} expected`);
    }
    return new SnapshotFile(path, fd, byteLength);
  }

  /**
   * Writes a new file at `path` whose bytes `produce` hands to its `write` callback, chunk
   * by chunk (each consumed before `write` returns); nothing is synced yet (see `persist`).
   */
  static stage(path: string, produce: (write: (chunk: Uint8Array) => void) => void):
    SnapshotFile {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o600);
    } catch (error) {
      throw new StorageError('STORAGE_ERR_SYNC_FAILED', `cannot create ${path}`,
        { cause: error });
    }
    let written = 0;
    try {
      produce((chunk) => {
        try {
          for (let done = 0; done < chunk.length;) {
            done += writeSync(fd, chunk, done, chunk.length - done, written + done);
          }
        } catch (error) {
          throw new StorageError('STORAGE_ERR_SYNC_FAILED', `cannot write ${path}`,
            { cause: error });
        }
        written += chunk.length;
      });
    } catch (error) {
      // Whatever failed (the disk, or the producer: a bug or a broken value cache) stays
      // what it was; only the descriptor is ours to release.
      closeSync(fd);
      throw error;
    }
    return new SnapshotFile(path, fd, written);
  }

  /** Stages a file at `path` holding the bytes of `data` (a snapshot received in memory). */
  static copy(path: string, data: SnapshotData): SnapshotFile {
    return SnapshotFile.stage(path, (write) => {
      for (let offset = 0; offset < data.byteLength; offset += copyChunkBytes) {
        write(data.subarray(offset, Math.min(data.byteLength, offset + copyChunkBytes)));
      }
    });
  }

  /** Makes the file durable under `path`: fsync, rename, fsync of the directory. */
  async persist(path: string, directory: string): Promise<void> {
    await fsyncAsync(this.descriptor());
    renameSync(this.currentPath, path);
    this.currentPath = path;
    const directoryFd = openSync(directory, constants.O_RDONLY);
    try {
      await fsyncAsync(directoryFd);
    } finally {
      closeSync(directoryFd);
    }
  }

  subarray(start: number, end: number): Uint8Array {
    assert(Number.isSafeInteger(start) && start >= 0 && start <= end, 'piece is ordered');
    assert(end <= this.byteLength, 'piece is within the snapshot');
    const piece = Buffer.allocUnsafeSlow(end - start);
    let count = 0;
    while (count < piece.length) {
      const read = readSync(this.descriptor(), piece, count, piece.length - count, start + count);
      if (read === 0) {
        throw new StorageError('STORAGE_ERR_CORRUPT',
          `snapshot file ${this.currentPath} ends before byte ${start + count}`);
      }
      count += read;
    }
    return piece;
  }

  /** Closes the file (idempotent); a closed file cannot be read. */
  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }

  private descriptor(): number {
    assert(this.fd !== null, `snapshot file ${this.currentPath} is open`);
    return this.fd;
  }
}

/** The file name of the snapshot at `index` (they sort by index). */
export function snapshotFileName(index: number): string {
  return `${String(index).padStart(16, '0')}.snap`;
}

/** Returns the path of a snapshot file name in `directory`. */
export function snapshotPath(directory: string, name: string): string {
  return join(directory, name);
}
