/**
 * @module server/etcd-api/watch-service
 * The etcd Watch service: one `WatchStream` per bidirectional Watch call.
 */
import type {
  ServerDuplexStream, ServiceDefinition, UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { type WatchStreamRequest, toWatchRequest } from './decode.js';
import type { EtcdError } from './errors.js';
import type { ServiceContext } from './handler.js';
import { serverMethod } from './proto.js';
import { WatchStream } from './watch-stream.js';

/** The Watch service definition and its handler, ready for `server.addService`. */
export function watchService(context: ServiceContext): {
  definition: ServiceDefinition; handlers: UntypedServiceImplementation;
} {
  return {
    definition: { Watch: serverMethod('Watch', 'Watch', toWatchRequest) },
    handlers: {
      Watch: (call: ServerDuplexStream<WatchStreamRequest | EtcdError, object>) => {
        new WatchStream(context, call);
      },
    },
  };
}
