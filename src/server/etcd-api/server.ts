/**
 * @module server/etcd-api/server
 * Starts the etcd v3-compatible gRPC API (DESIGN §1 port 2379, §5): the KV, Watch, Lease,
 * Cluster, Maintenance and Auth services of etcdserverpb over an `EtcdBackend`.
 *
 * - Served by the hand-written HTTP/2 gRPC server of src/grpc (plaintext; see there why
 *   not @grpc/grpc-js).
 * - gRPC accepts messages up to `receiveMessageBytesMax` (1.5 MiB + 512 KiB, as etcd); the
 *   handlers answer anything above `requestBytesMax` with "etcdserver: request is too large".
 * - `close()` ends every open stream with UNAVAILABLE "etcdserver: server stopped" (their
 *   watchers are cancelled), lets unary calls finish for up to `shutdownGraceMs`, then
 *   cancels whatever is left. It resolves once the listener is closed.
 */
import type { ServiceHandlers, ServiceMethods } from '../../grpc/calls.js';
import { GRPCServer, splitHostPort } from '../../grpc/server.js';
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
  definition: ServiceMethods; handlers: ServiceHandlers;
};

const serviceFactories: readonly ServiceFactory[] = [
  kvService, watchService, leaseService, clusterService, maintenanceService, authService,
];

function shutdown(server: GRPCServer, streams: Set<ActiveStream>): Promise<void> {
  for (const stream of [...streams]) {
    stream.stop(etcdError('ETCD_ERR_STOPPED'));
  }
  return server.close(shutdownGraceMs);
}

/** Starts the etcd API server over `options.backend` and resolves once it listens. */
export async function startEtcdAPIServer(options: EtcdAPIServerOptions): Promise<EtcdAPIServer> {
  const listen = options.listen ?? '127.0.0.1:2379';
  const server = new GRPCServer({ receiveMessageBytesMax, logger: options.logger });
  const context: ServiceContext = {
    backend: options.backend, logger: options.logger, streams: new Set(),
  };
  for (const factory of serviceFactories) {
    const service = factory(context);
    server.addService(service.definition, service.handlers);
  }
  const address = splitHostPort(listen, 'client listen address');
  const port = await server.listen(address.host, address.port);
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
