/**
 * @module storage/errors
 * The storage module's error catalogue. Codes are stable; a retired code is never reused.
 *
 * | code                         | meaning                                                   |
 * |------------------------------|-----------------------------------------------------------|
 * | STORAGE_ERR_CORRUPT          | a record failed its CRC or index check: refuse to start   |
 * | STORAGE_ERR_OTHER_CLUSTER    | the data dir belongs to another cluster or member         |
 * | STORAGE_ERR_SYNC_FAILED      | a synced write failed: the peer MUST stop acknowledging   |
 * | STORAGE_ERR_CLOSED           | the storage was used after close                          |
 * | STORAGE_ERR_VALUE_FILE       | the value cache (storage/value-file) failed a read or      |
 * |                              | write: the process crashes and its restart rebuilds it    |
 */
import { ControlPlaneError } from '../util/errors.js';

/** The stable error codes of src/storage. */
export type StorageErrorCode =
  | 'STORAGE_ERR_CORRUPT'
  | 'STORAGE_ERR_OTHER_CLUSTER'
  | 'STORAGE_ERR_SYNC_FAILED'
  | 'STORAGE_ERR_CLOSED'
  | 'STORAGE_ERR_VALUE_FILE';

/** StorageError is an operational storage failure with a stable code. */
export class StorageError extends ControlPlaneError {
  /** Creates the error; pass the underlying failure as `cause`. */
  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'StorageError';
  }
}
