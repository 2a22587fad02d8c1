/**
 * @module server/etcd-api/limits
 * Every bound of the etcd-compatible gRPC API, with the behaviour at the bound
 * (shared/STYLE.md §6, shared/DESIGN.md §10).
 */

/**
 * Largest request message, in bytes: etcd's default --max-request-bytes (1.5 MiB, DESIGN §10).
 * At the limit: the call fails with INVALID_ARGUMENT "etcdserver: request is too large",
 * before the message is decoded.
 */
export const requestBytesMax = 1.5 * 1024 * 1024;

/**
 * Headroom gRPC may receive above `requestBytesMax`, so that a slightly oversized request
 * reaches the handler, which answers with etcd's message. etcd uses the same 512 KiB
 * (grpcOverheadBytes in server/etcdserver/api/v3rpc/grpc.go).
 */
export const grpcOverheadBytes = 512 * 1024;

/**
 * The gRPC server's max receive message length. Beyond it gRPC itself rejects the message
 * with RESOURCE_EXHAUSTED, as etcd's gRPC server does.
 */
export const receiveMessageBytesMax = requestBytesMax + grpcOverheadBytes;

/**
 * Most watchers one watch stream holds. At the limit a create request is answered with a
 * created+canceled response (watch_id -1) whose cancel_reason says so, as etcd answers a
 * failed create. The store's WatchHub bounds the total across streams (`watchersMax`).
 */
export const streamWatchersMax = 10_000;

/**
 * Most events a watch stream keeps queued while gRPC cannot take more (the client does not
 * read). Past it, the watchers with the most queued events are cancelled with
 * ETCD_ERR_WATCH_STREAM_TOO_SLOW until the backlog is back under the bound; their queued
 * responses are dropped and replaced by the cancel response (the client re-lists and
 * watches again). Backends that support pausing stop delivering well before this.
 */
export const streamEventsBufferedMax = 10_000;

/**
 * Most responses a watch stream keeps queued (events or not). Counted separately from
 * events because created/canceled responses carry none; same behaviour at the bound.
 */
export const streamResponsesBufferedMax = 20_000;

/**
 * Most keepalive requests of one LeaseKeepAlive stream waiting to be processed. Requests are
 * processed one at a time; at the bound the server stops reading the stream (gRPC flow
 * control pushes back on the client) until the backlog halves.
 */
export const keepAliveRequestsPendingMax = 128;

/** Snapshot chunk size in bytes, etcd's snapshotSendBufferSize (32 KiB). */
export const snapshotChunkBytes = 32 * 1024;

/**
 * How long `close()` lets in-flight unary calls finish before it cancels everything, in ms.
 * Streams (watch, keepalive, snapshot) are ended at once with UNAVAILABLE "server stopped".
 */
export const shutdownGraceMs = 2_000;
