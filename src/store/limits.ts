/**
 * @module store/limits
 *
 * Every bound the MVCC store and the watch hub enforce, with the behaviour at the bound
 * (shared/STYLE.md §6, shared/DESIGN.md §10). Requests that exceed a limit are answered
 * with an error value from src/store/errors.ts; they never throw and never change state.
 */

/**
 * Largest key, in bytes (DESIGN §10: 1 KiB). Also bounds `rangeEnd` and compare keys.
 * At the limit: the request fails with STORE_ERR_KEY_TOO_LARGE. etcd itself has no key
 * limit besides the request size; Coracle is stricter so that index memory stays bounded.
 */
export const keyBytesMax = 1024;

/**
 * Largest value, in bytes: the request size limit (DESIGN §10: 1.5 MiB, the same as
 * etcd's default --max-request-bytes). At the limit: STORE_ERR_REQUEST_TOO_LARGE.
 */
export const valueBytesMax = 1.5 * 1024 * 1024;

/**
 * Most operations in one txn level: max(len(compare), len(success), len(failure)), with
 * nested txns drawing on what their parent left, like etcd's --max-txn-ops (default 128).
 * At the limit: STORE_ERR_TOO_MANY_OPS.
 */
export const txnOpsMax = 128;

/**
 * Most leases alive at once. At the limit a grant fails with STORE_ERR_TOO_MANY_LEASES;
 * etcd has no such bound, but every map that grows with input needs one.
 */
export const leasesMax = 1_000_000;

/**
 * Largest lease TTL in seconds, etcd's MaxLeaseTTL. A larger grant fails with
 * STORE_ERR_LEASE_TTL_TOO_LARGE.
 */
export const leaseTtlSecondsMax = 9_000_000_000;

/**
 * Smallest lease TTL in seconds. A smaller (or zero or negative) TTL is raised to it, as
 * etcd's lessor does with minLeaseTTL = ceil(1.5 * election timeout) (2 s with etcd's
 * defaults of 10 ticks of 100 ms).
 */
export const leaseTtlSecondsMin = 2;

/**
 * Most lease ids `expiredLeases` returns per call; the leader proposes revokes in batches
 * of at most this many, like etcd's leaseRevokeRate throttling.
 */
export const expiredLeasesBatchMax = 1000;

/** Most watchers one WatchHub holds. At the limit: STORE_ERR_TOO_MANY_WATCHERS. */
export const watchersMax = 100_000;

/**
 * Most events queued for one watcher before its consumer has drained them. When a new
 * revision would push a non-empty queue past this bound, the watcher is cancelled with
 * cancelReason STORE_ERR_WATCHER_TOO_SLOW (clients re-list, Kubernetes answers 410).
 * A revision that arrives at an empty queue is always accepted whole, because events of one
 * revision are never split.
 */
export const watchEventsBufferedMax = 10_000;

/**
 * Most events, and approximate bytes, that queued events responses of consecutive revisions
 * are merged up to while a watcher waits to be drained. One revision is never split, so a
 * single big revision makes a bigger response on its own. The byte bound keeps a merged
 * response well under gRPC's default 4 MiB receive limit of most clients.
 */
export const watchResponseEventsMax = 1000;
export const watchResponseBytesMax = 1024 * 1024;

/**
 * Most history revisions one `drain` call scans while catching an unsynced watcher up.
 * Bounds the work of one call when the watched range is sparse; the caller drains again.
 */
export const watchSyncRevisionsMax = 10_000;

/**
 * Keys per leaf chunk of the sorted key list. Inserts cost O(log n + chunk), so 512 keeps
 * point operations cheap well beyond 1e6 keys.
 */
export const sortedKeysChunkMax = 512;
