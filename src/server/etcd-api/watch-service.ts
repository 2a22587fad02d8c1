/**
 * @module server/etcd-api/watch-service
 * The etcd Watch service: one `WatchStream` per bidirectional Watch call.
 */
import type { ServiceHandlers, ServiceMethods, StreamingCall } from '../../grpc/calls.js';
import { toWatchRequest } from './decode.js';
import type { ServiceContext } from './handler.js';
import { serverMethod } from './proto.js';
import { WatchStream } from './watch-stream.js';

/** The Watch service definition and its handler, ready for `server.addService`. */
export function watchService(context: ServiceContext): {
  definition: ServiceMethods; handlers: ServiceHandlers;
} {
  return {
    definition: { Watch: serverMethod('Watch', 'Watch', toWatchRequest) },
    handlers: {
      Watch: (call: StreamingCall) => {
        new WatchStream(context, call);
      },
    },
  };
}
