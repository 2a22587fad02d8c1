/**
 * @module store/errors
 *
 * The store's error catalogue. Every expected failure of a store operation is returned as a
 * `StoreError` value (never thrown); its `code` is stable and a retired code is never reused.
 * `message` is the exact string etcd puts in the gRPC status (api/v3rpc/rpctypes/error.go),
 * so etcd clients that match on messages (clientv3 `rpctypes.Error`) keep working, and
 * `grpcCode` is the gRPC status code etcd uses. Codes without an etcd counterpart are marked
 * "Coracle only" and use the same "etcdserver: " prefix so clients print them alike.
 *
 * The mvcc package's own errors ("mvcc: required revision has been compacted") are what the
 * store returns; etcd's gRPC layer prefixes them with "etcdserver: ", which is `message` here.
 */

/** gRPC status codes used by the catalogue (google.golang.org/grpc/codes). */
export const GRPCCode = {
  invalidArgument: 3,
  notFound: 5,
  resourceExhausted: 8,
  failedPrecondition: 9,
  outOfRange: 11,
} as const;

/** One catalogue entry: the etcd message, the gRPC code and the retry semantics. */
interface CatalogueEntry {
  readonly message: string;
  readonly grpcCode: number;
}

/**
 * The catalogue. Retry semantics per code:
 * - STORE_ERR_COMPACTED: the requested revision is gone; re-read at the current revision
 *   (Kubernetes: 410 Gone, re-list). Retrying the same request never succeeds.
 * - STORE_ERR_FUTURE_REV: the revision does not exist yet; retry later or on a peer that has
 *   applied further.
 * - STORE_ERR_LEASE_NOT_FOUND: the lease never existed or was revoked; grant a new one.
 * - STORE_ERR_KEY_NOT_FOUND: ignoreValue/ignoreLease on a missing key; not retryable as is.
 * - STORE_ERR_DUPLICATE_KEY, STORE_ERR_TOO_MANY_OPS, STORE_ERR_EMPTY_KEY,
 *   STORE_ERR_VALUE_PROVIDED, STORE_ERR_LEASE_PROVIDED, STORE_ERR_KEY_TOO_LARGE,
 *   STORE_ERR_REQUEST_TOO_LARGE: the request is invalid; fix it, never retry it unchanged.
 * - STORE_ERR_LEASE_EXISTS: the id is taken; pick another id (or 0 to let the store pick).
 * - STORE_ERR_LEASE_TTL_TOO_LARGE: the TTL exceeds 9e9 s; not retryable as is.
 * - STORE_ERR_TOO_MANY_LEASES, STORE_ERR_TOO_MANY_WATCHERS: a capacity limit; retry with
 *   backoff after others are released (Kubernetes: 429).
 * - STORE_ERR_WATCHER_TOO_SLOW: the watcher was cancelled; re-list, then watch again.
 * - STORE_ERR_DUPLICATE_WATCH_ID: choose another watch id (or 0 for an automatic one).
 */
export const storeErrorCatalogue = {
  STORE_ERR_COMPACTED: {
    message: 'etcdserver: mvcc: required revision has been compacted',
    grpcCode: GRPCCode.outOfRange,
  },
  STORE_ERR_FUTURE_REV: {
    message: 'etcdserver: mvcc: required revision is a future revision',
    grpcCode: GRPCCode.outOfRange,
  },
  STORE_ERR_LEASE_NOT_FOUND: {
    message: 'etcdserver: requested lease not found',
    grpcCode: GRPCCode.notFound,
  },
  STORE_ERR_KEY_NOT_FOUND: {
    message: 'etcdserver: key not found',
    grpcCode: GRPCCode.invalidArgument,
  },
  STORE_ERR_DUPLICATE_KEY: {
    message: 'etcdserver: duplicate key given in txn request',
    grpcCode: GRPCCode.invalidArgument,
  },
  STORE_ERR_LEASE_EXISTS: {
    message: 'etcdserver: lease already exists',
    grpcCode: GRPCCode.failedPrecondition,
  },
  STORE_ERR_TOO_MANY_OPS: {
    message: 'etcdserver: too many operations in txn request',
    grpcCode: GRPCCode.invalidArgument,
  },
  STORE_ERR_LEASE_TTL_TOO_LARGE: {
    message: 'etcdserver: too large lease TTL',
    grpcCode: GRPCCode.outOfRange,
  },
  STORE_ERR_EMPTY_KEY: {
    message: 'etcdserver: key is not provided',
    grpcCode: GRPCCode.invalidArgument,
  },
  STORE_ERR_VALUE_PROVIDED: {
    message: 'etcdserver: value is provided',
    grpcCode: GRPCCode.invalidArgument,
  },
  STORE_ERR_LEASE_PROVIDED: {
    message: 'etcdserver: lease is provided',
    grpcCode: GRPCCode.invalidArgument,
  },
  STORE_ERR_REQUEST_TOO_LARGE: {
    message: 'etcdserver: request is too large',
    grpcCode: GRPCCode.invalidArgument,
  },
  /** Coracle only: DESIGN §10 caps keys at 1 KiB. */
  STORE_ERR_KEY_TOO_LARGE: {
    message: 'etcdserver: key is too large',
    grpcCode: GRPCCode.invalidArgument,
  },
  /** Coracle only: the lease table is bounded by `leasesMax`. */
  STORE_ERR_TOO_MANY_LEASES: {
    message: 'etcdserver: too many leases',
    grpcCode: GRPCCode.resourceExhausted,
  },
  /** Coracle only: a WatchHub is bounded by `watchersMax`. */
  STORE_ERR_TOO_MANY_WATCHERS: {
    message: 'etcdserver: too many watchers',
    grpcCode: GRPCCode.resourceExhausted,
  },
  /** Coracle only: the cancelReason of a watcher whose queue overflowed. */
  STORE_ERR_WATCHER_TOO_SLOW: {
    message: 'etcdserver: watcher is too slow: pending events exceeded the buffer bound',
    grpcCode: GRPCCode.resourceExhausted,
  },
  STORE_ERR_DUPLICATE_WATCH_ID: {
    message: 'mvcc: duplicate watch ID provided',
    grpcCode: GRPCCode.failedPrecondition,
  },
} as const satisfies Record<string, CatalogueEntry>;

/** StoreErrorCode is one stable code of the catalogue. */
export type StoreErrorCode = keyof typeof storeErrorCatalogue;

/** StoreError is an expected failure returned as a value by the store and the watch hub. */
export interface StoreError {
  readonly code: StoreErrorCode;
  readonly message: string;
  readonly grpcCode: number;
}

/** Builds the `StoreError` value for `code` from the catalogue. */
export function storeError(code: StoreErrorCode): StoreError {
  const entry: CatalogueEntry = storeErrorCatalogue[code];
  return { code, message: entry.message, grpcCode: entry.grpcCode };
}

/** Outcome is the result of a store operation: a response or an expected error. */
export type Outcome<T> =
  | { readonly ok: true; readonly response: T }
  | { readonly ok: false; readonly error: StoreError };

/** Wraps a response into a successful `Outcome`. */
export function ok<T>(response: T): Outcome<T> {
  return { ok: true, response };
}

/** Wraps an error code into a failed `Outcome`. */
export function fail<T>(code: StoreErrorCode): Outcome<T> {
  return { ok: false, error: storeError(code) };
}
