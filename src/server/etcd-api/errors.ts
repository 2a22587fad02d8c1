/**
 * @module server/etcd-api/errors
 * The etcd API's error catalogue: `EtcdError` carries a stable Coracle code, the gRPC status
 * code etcd uses and etcd's EXACT message (api/v3rpc/rpctypes/error.go), because clients
 * match on the message (clientv3's `rpctypes.Error`, the npm etcd3 client's error table).
 *
 * Store failures keep the store's own codes (STORE_ERR_*, src/store/errors.ts), whose
 * catalogue already holds etcd's messages and gRPC codes; `fromStoreError` wraps them.
 * Codes below marked "Coracle only" have no etcd counterpart; they use the "etcdserver: "
 * prefix so that clients print them like etcd's own. Retry semantics:
 * - UNAVAILABLE codes (no leader, leader changed, timeouts, stopped, unhealthy): retry with
 *   backoff, possibly on another endpoint; the write MAY have been applied (timeouts).
 * - RESOURCE_EXHAUSTED (too many requests, too many watchers): retry with backoff.
 * - INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION, NOT_FOUND: fix the request.
 * - UNIMPLEMENTED: Coracle does not offer the operation; never retry.
 * A retired code is never reused.
 */
import type { StoreError } from '../../store/errors.js';
import { ControlPlaneError } from '../../util/errors.js';

/** gRPC status codes (google.golang.org/grpc/codes), as numbers on the wire. */
export const GRPCStatus = {
  ok: 0,
  cancelled: 1,
  unknown: 2,
  invalidArgument: 3,
  deadlineExceeded: 4,
  notFound: 5,
  alreadyExists: 6,
  permissionDenied: 7,
  resourceExhausted: 8,
  failedPrecondition: 9,
  aborted: 10,
  outOfRange: 11,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
  dataLoss: 15,
  unauthenticated: 16,
} as const;

interface CatalogueEntry {
  readonly message: string;
  readonly grpcCode: number;
}

/** The etcd API catalogue (codes of this module; store codes live in src/store/errors.ts). */
export const etcdErrorCatalogue = {
  ETCD_ERR_NO_LEADER: { message: 'etcdserver: no leader', grpcCode: GRPCStatus.unavailable },
  ETCD_ERR_NOT_LEADER: {
    message: 'etcdserver: not leader', grpcCode: GRPCStatus.failedPrecondition,
  },
  ETCD_ERR_LEADER_CHANGED: {
    message: 'etcdserver: leader changed', grpcCode: GRPCStatus.unavailable,
  },
  ETCD_ERR_STOPPED: { message: 'etcdserver: server stopped', grpcCode: GRPCStatus.unavailable },
  ETCD_ERR_TIMEOUT: {
    message: 'etcdserver: request timed out', grpcCode: GRPCStatus.unavailable,
  },
  ETCD_ERR_TIMEOUT_LEADER_FAIL: {
    message: 'etcdserver: request timed out, possibly due to previous leader failure',
    grpcCode: GRPCStatus.unavailable,
  },
  ETCD_ERR_UNHEALTHY: {
    message: 'etcdserver: unhealthy cluster', grpcCode: GRPCStatus.unavailable,
  },
  ETCD_ERR_TOO_MANY_REQUESTS: {
    message: 'etcdserver: too many requests', grpcCode: GRPCStatus.resourceExhausted,
  },
  ETCD_ERR_REQUEST_TOO_LARGE: {
    message: 'etcdserver: request is too large', grpcCode: GRPCStatus.invalidArgument,
  },
  ETCD_ERR_EMPTY_KEY: {
    message: 'etcdserver: key is not provided', grpcCode: GRPCStatus.invalidArgument,
  },
  /** etcd's answer to a txn RequestOp with no request set (checkRequestOp). */
  ETCD_ERR_KEY_NOT_FOUND: {
    message: 'etcdserver: key not found', grpcCode: GRPCStatus.invalidArgument,
  },
  ETCD_ERR_INVALID_SORT_OPTION: {
    message: 'etcdserver: invalid sort option', grpcCode: GRPCStatus.invalidArgument,
  },
  ETCD_ERR_MEMBER_NOT_FOUND: {
    message: 'etcdserver: member not found', grpcCode: GRPCStatus.notFound,
  },
  ETCD_ERR_MEMBER_EXIST: {
    message: 'etcdserver: member ID already exist', grpcCode: GRPCStatus.failedPrecondition,
  },
  ETCD_ERR_PEER_URL_EXIST: {
    message: 'etcdserver: Peer URLs already exists', grpcCode: GRPCStatus.failedPrecondition,
  },
  ETCD_ERR_MEMBER_BAD_URLS: {
    message: 'etcdserver: given member URLs are invalid', grpcCode: GRPCStatus.invalidArgument,
  },
  ETCD_ERR_MEMBER_NOT_LEARNER: {
    message: 'etcdserver: can only promote a learner member',
    grpcCode: GRPCStatus.failedPrecondition,
  },
  ETCD_ERR_LEARNER_NOT_READY: {
    message: 'etcdserver: can only promote a learner member which is in sync with leader',
    grpcCode: GRPCStatus.failedPrecondition,
  },
  ETCD_ERR_TOO_MANY_LEARNERS: {
    message: 'etcdserver: too many learner members in cluster',
    grpcCode: GRPCStatus.failedPrecondition,
  },
  ETCD_ERR_MEMBER_NOT_ENOUGH_STARTED: {
    message: 'etcdserver: re-configuration failed due to not enough started members',
    grpcCode: GRPCStatus.failedPrecondition,
  },
  ETCD_ERR_BAD_LEADER_TRANSFEREE: {
    message: 'etcdserver: bad leader transferee', grpcCode: GRPCStatus.failedPrecondition,
  },
  ETCD_ERR_AUTH_NOT_ENABLED: {
    message: 'etcdserver: authentication is not enabled',
    grpcCode: GRPCStatus.failedPrecondition,
  },
  /** Coracle only: the request bytes are not a valid protobuf message of the method's type. */
  ETCD_ERR_MALFORMED_REQUEST: {
    message: 'etcdserver: malformed request', grpcCode: GRPCStatus.invalidArgument,
  },
  /** Coracle only: an int64/uint64 field lies beyond Number.MAX_SAFE_INTEGER. */
  ETCD_ERR_UNSAFE_INTEGER: {
    message: 'etcdserver: integer field is out of the supported range (|n| <= 2^53-1)',
    grpcCode: GRPCStatus.invalidArgument,
  },
  /** Coracle only: an enum field holds a value the proto does not define. */
  ETCD_ERR_INVALID_ENUM: {
    message: 'etcdserver: invalid enum value', grpcCode: GRPCStatus.invalidArgument,
  },
  /** Coracle only: the operation is part of etcd's API but Coracle does not offer it. */
  ETCD_ERR_UNIMPLEMENTED: {
    message: 'etcdserver: not implemented by Coracle', grpcCode: GRPCStatus.unimplemented,
  },
  /** Coracle only: cancel reason of watchers whose watch stream's send backlog overflowed. */
  ETCD_ERR_WATCH_STREAM_TOO_SLOW: {
    message: 'etcdserver: watch stream is too slow: unsent responses exceeded the buffer bound',
    grpcCode: GRPCStatus.resourceExhausted,
  },
  /** Coracle only: one watch stream holds at most `streamWatchersMax` watchers. */
  ETCD_ERR_TOO_MANY_STREAM_WATCHERS: {
    message: 'etcdserver: too many watchers on this watch stream',
    grpcCode: GRPCStatus.resourceExhausted,
  },
  /** Coracle only: an unexpected failure inside the server (a bug); see the server log. */
  ETCD_ERR_INTERNAL: {
    message: 'etcdserver: internal error', grpcCode: GRPCStatus.internal,
  },
} as const satisfies Record<string, CatalogueEntry>;

/** EtcdErrorCode is one stable code of this module's catalogue. */
export type EtcdErrorCode = keyof typeof etcdErrorCatalogue;

/**
 * EtcdError is an etcd API failure: a stable `code` (this catalogue's or a store code), the
 * gRPC status `grpcCode` and etcd's exact `message`, which becomes the gRPC status details.
 */
export class EtcdError extends ControlPlaneError {
  /** Creates the error; prefer `etcdError` and `fromStoreError`. */
  constructor(
    code: string,
    readonly grpcCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'EtcdError';
  }
}

/**
 * Builds the EtcdError for `code`. `detail`, when given, is appended after ": " for the Coracle
 * only codes (etcd's own messages are never changed, since clients match on them).
 */
export function etcdError(
  code: EtcdErrorCode, options?: { detail?: string; cause?: unknown },
): EtcdError {
  const entry: CatalogueEntry = etcdErrorCatalogue[code];
  const message = options?.detail === undefined
    ? entry.message : `${entry.message}: ${options.detail}`;
  return new EtcdError(code, entry.grpcCode, message,
    options?.cause === undefined ? undefined : { cause: options.cause });
}

/** Wraps a store error value (its code, gRPC code and etcd message are kept as they are). */
export function fromStoreError(error: StoreError): EtcdError {
  return new EtcdError(error.code, error.grpcCode, error.message);
}

/** Returns true when `value` is an EtcdError with `code`. */
export function isEtcdError(value: unknown, code?: string): value is EtcdError {
  return value instanceof EtcdError && (code === undefined || value.code === code);
}

/**
 * Converts anything a handler caught into an EtcdError: EtcdErrors pass through, anything
 * else (a bug or an unexpected failure of the backend) becomes ETCD_ERR_INTERNAL with the
 * original as `cause`, so the client sees a stable status and the log keeps the detail.
 */
export function toEtcdError(value: unknown): EtcdError {
  if (value instanceof EtcdError) {
    return value;
  }
  return etcdError('ETCD_ERR_INTERNAL', { cause: value });
}
