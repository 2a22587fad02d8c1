/**
 * @module grpc/limits
 * Every bound of the hand-written HTTP/2 gRPC server, with the behaviour at the bound
 * (shared/STYLE.md §6).
 */

/**
 * SETTINGS_MAX_CONCURRENT_STREAMS we advertise. A client that opens more streams than this
 * at once gets RST_STREAM REFUSED_STREAM for the extra ones (it may retry them). etcd
 * advertises 2^32-1; 1,000 is far above what etcd's clients keep open (the kube-apiserver
 * multiplexes its watches over one connection, a few hundred at most).
 */
export const concurrentStreamsMax = 1000;

/**
 * SETTINGS_INITIAL_WINDOW_SIZE we advertise: how many bytes a client may send on one stream
 * before we grant more. Bytes are granted back as soon as they are received, except on a
 * stream whose reading is paused (a watch or keepalive stream whose client does not read
 * our answers): there at most this much waits.
 */
export const streamWindowBytes = 1024 * 1024;

/**
 * The connection-level receive window we open at once (the protocol starts it at 64 KiB).
 * Granted back as bytes arrive; the bound on what a connection may hold is
 * `connectionBufferedBytesMax`.
 */
export const connectionWindowBytes = 16 * 1024 * 1024;

/**
 * Most request bytes one connection may hold undispatched (partial messages plus messages
 * queued on paused streams). Past it the connection is closed with GOAWAY
 * ENHANCE_YOUR_CALM: the client sends faster than it reads, across many streams.
 */
export const connectionBufferedBytesMax = 64 * 1024 * 1024;

/**
 * SETTINGS_MAX_HEADER_LIST_SIZE we advertise (as grpc-go's default, 16 KiB is plenty for
 * gRPC metadata). A request whose header list decodes larger is answered with
 * RESOURCE_EXHAUSTED on its stream; the connection stays up.
 */
export const headerListBytesMax = 16 * 1024;

/**
 * Most bytes of one header block (HEADERS plus CONTINUATION frames) we accumulate before
 * decoding it. Past it the connection is closed with GOAWAY ENHANCE_YOUR_CALM, because the
 * HPACK state cannot be kept in sync without decoding the whole block.
 */
export const headerBlockBytesMax = 256 * 1024;

/** The HPACK dynamic table size we allow the client's encoder (SETTINGS_HEADER_TABLE_SIZE). */
export const headerTableBytes = 4096;

/**
 * Bytes of response data one stream may have queued (waiting for the client's flow-control
 * window) before `write()` returns false; the writer waits for 'drain' (the watch stream
 * then stops pulling events). A unary response is queued whole whatever its size.
 */
export const streamQueuedBytesHighWater = 1024 * 1024;

/**
 * Bytes the socket may hold unsent before streams stop moving data into it; they resume on
 * the socket's 'drain'. Control frames and headers are never held back.
 */
export const socketBufferedBytesMax = 4 * 1024 * 1024;

/**
 * How long a new connection may take to send the HTTP/2 preface, in ms; a connection that
 * has not sent it by then (a port scanner, an HTTP/1 client) is closed.
 */
export const prefaceTimeoutMs = 10_000;

/** Most connections the server holds at once; more are refused by closing them at accept. */
export const connectionsMax = 10_000;
