/**
 * @module server/etcd-api/server
 * Starts the etcd v3-compatible gRPC API (DESIGN §1 port 2379, §5): the KV, Watch, Lease,
 * Cluster, Maintenance and Auth services of etcdserverpb over an `EtcdBackend`.
 *
 * - Plaintext by default; pass `credentials` (grpc.ServerCredentials.createSsl(...)) for TLS.
 * - gRPC accepts messages up to `receiveMessageBytesMax` (1.5 MiB + 512 KiB, as etcd); the
 *   handlers answer anything above `requestBytesMax` with "etcdserver: request is too large".
 * - `close()` ends every open stream with UNAVAILABLE "etcdserver: server stopped" (their
 *   watchers are cancelled), lets unary calls finish for up to `shutdownGraceMs`, then
 *   cancels whatever is left. It resolves once the listener is closed.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '../../util/logger.js';
import { authService } from './auth-service.js';
import type { EtcdBackend } from './backend.js';
import { clusterService } from './cluster-service.js';
import { etcdError } from './errors.js';
import type { ActiveStream, ServiceContext } from './handler.js';
import { kvService } from './kv-service.js';
import { leaseService } from './lease-service.js';
import { receiveMessageBytesMax, shutdownGraceMs } from './limits.js';
import { maintenanceService } from './maintenance-service.js';
import { watchService } from './watch-service.js';

/** Options of `startEtcdAPIServer`. */
export interface EtcdAPIServerOptions {
  /** Executes the requests. */
  readonly backend: EtcdBackend;
  /** host:port to listen on; port 0 picks a free port. Default "127.0.0.1:2379". */
  readonly listen?: string;
  /** Transport credentials; default plaintext (ServerCredentials.createInsecure()). */
  readonly credentials?: ServerCredentials;
  /** Where the API logs (a pino child with module "etcd-api" in the peer). */
  readonly logger: Logger;
}

/** A running etcd API server. */
export interface EtcdAPIServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** Stops the server (see the module comment); idempotent. */
  close(): Promise<void>;
}

type ServiceFactory = (context: ServiceContext) => {
  definition: ServiceDefinition; handlers: UntypedServiceImplementation;
};

const serviceFactories: readonly ServiceFactory[] = [
  kvService, watchService, leaseService, clusterService, maintenanceService, authService,
];

function bind(server: Server, listen: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(listen, credentials, (error, port) => {
      if (error !== null) {
        reject(error);
      } else {
        resolve(port);
      }
    });
  });
}

function shutdown(server: Server, streams: Set<ActiveStream>): Promise<void> {
  for (const stream of [...streams]) {
    stream.stop(etcdError('ETCD_ERR_STOPPED'));
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, shutdownGraceMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Starts the etcd API server over `options.backend` and resolves once it listens. */
export async function startEtcdAPIServer(options: EtcdAPIServerOptions): Promise<EtcdAPIServer> {
  const listen = options.listen ?? '127.0.0.1:2379';
  const server = new Server({
    'grpc.max_receive_message_length': receiveMessageBytesMax,
    'grpc.max_send_message_length': -1,
  });
  const context: ServiceContext = {
    backend: options.backend, logger: options.logger, streams: new Set(),
  };
  for (const factory of serviceFactories) {
    const service = factory(context);
    server.addService(service.definition, service.handlers);
  }
  const port = await bind(server, listen, options.credentials
    ?? ServerCredentials.createInsecure());
  options.logger.info({ listen, port }, 'etcd API listening');
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () => {
      closing ??= shutdown(server, context.streams).then(() => {
        options.logger.info({ port }, 'etcd API stopped');
      });
      return closing;
    },
  };
}
