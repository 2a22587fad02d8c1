/**
 * @module server/etcd-api/handler
 * Plumbing shared by the etcd services: the context every handler gets, response headers,
 * the unary-call wrapper and the conversion of EtcdErrors to gRPC statuses.
 *
 * Every response header is {cluster_id, member_id, raft_term} from `backend.header()` plus
 * the revision of the response (etcd's header.fill). Responses that do not come from the store
 * carry revision 0, which etcd's clients ignore.
 */
import type { CallError, UnaryCall, UnaryCallback, UnaryHandler } from '../../grpc/calls.js';
import type { Logger } from '../../util/logger.js';
import type { EtcdBackend } from './backend.js';
import { EtcdError, toEtcdError } from './errors.js';

/** The etcdserverpb.ResponseHeader of every response. */
export interface EtcdResponseHeader {
  readonly clusterId: number;
  readonly memberId: number;
  readonly revision: number;
  readonly raftTerm: number;
}

/** ActiveStream is an open streaming call the server ends when it shuts down. */
export interface ActiveStream {
  /** Ends the call with `error` as its status and releases what it holds (watchers). */
  stop(error: EtcdError): void;
}

/** ServiceContext is what every service handler works with. */
export interface ServiceContext {
  readonly backend: EtcdBackend;
  readonly logger: Logger;
  /** Open streaming calls; each removes itself when it ends. */
  readonly streams: Set<ActiveStream>;
}

/** Builds the full response header for a response at store revision `revision`. */
export function responseHeader(backend: EtcdBackend, revision: number): EtcdResponseHeader {
  const cluster = backend.header();
  return {
    clusterId: cluster.clusterId, memberId: cluster.memberId, revision,
    raftTerm: cluster.raftTerm,
  };
}

/** Converts an EtcdError to the gRPC status the call ends with (details = etcd's message). */
export function toStatus(error: EtcdError): CallError {
  return { code: error.grpcCode, details: error.message };
}

/**
 * Logs a failure that reaches a client: internal errors (bugs, unexpected backend failures)
 * at error level with their cause, expected etcd errors at debug.
 */
export function logFailure(logger: Logger, method: string, error: EtcdError): void {
  if (error.code === 'ETCD_ERR_INTERNAL') {
    const cause = error.cause instanceof Error ? error.cause.stack ?? error.cause.message
      : String(error.cause);
    logger.error({ method, code: error.code, cause }, 'etcd API request failed unexpectedly');
  } else {
    logger.debug({ method, code: error.code, grpcCode: error.grpcCode }, 'etcd API request failed');
  }
}

/**
 * Wraps an async handler as a unary handler: a request that failed to decode is
 * answered with its EtcdError at once; otherwise `handle` runs and its response or error
 * (converted with toEtcdError) goes back to the client.
 */
export function unaryHandler<R>(
  context: ServiceContext, method: string, handle: (request: R) => Promise<object>,
): UnaryHandler {
  return (call: UnaryCall, callback: UnaryCallback) => {
    const request = call.request as R | EtcdError;
    const fail = (error: EtcdError): void => {
      logFailure(context.logger, method, error);
      callback(toStatus(error));
    };
    if (request instanceof EtcdError) {
      fail(request);
      return;
    }
    handle(request).then(
      (response) => callback(null, response),
      (error: unknown) => fail(toEtcdError(error)),
    );
  };
}

/** The events after which a server stream will never drain again. */
const streamEndEvents = ['cancelled', 'close', 'finish', 'error'] as const;

/** A stream as far as `whenWritable` needs it. */
interface WritableLike {
  once(event: string, listener: () => void): unknown;
  removeListener(event: string, listener: () => void): unknown;
}

/**
 * Resolves once `stream` emits 'drain', or once it ends or is cancelled (the caller then
 * finds it closed): waiting on 'drain' alone would hang forever on a cancelled call.
 */
export function whenWritable(stream: WritableLike): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.removeListener('drain', done);
      for (const event of streamEndEvents) {
        stream.removeListener(event, done);
      }
      resolve();
    };
    stream.once('drain', done);
    for (const event of streamEndEvents) {
      stream.once(event, done);
    }
  });
}

/** A server stream that can be ended with an error status. */
interface ErrorEndable {
  fail(error: CallError): void;
}

/** Ends a server stream with `error` as its gRPC status (in its trailers). */
export function endStreamWithError(stream: ErrorEndable, error: EtcdError): void {
  stream.fail(toStatus(error));
}
