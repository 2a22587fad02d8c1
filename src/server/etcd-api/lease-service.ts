/**
 * @module server/etcd-api/lease-service
 * The etcd Lease service. LeaseKeepAlive is a bidirectional stream: each request {ID} is
 * answered by {header, ID, TTL}, in order, one at a time. The header revision is the one the
 * renewal was applied at, so it never claims a state after a revoke the renewal raced with
 * (etcd fills the header before renewing for the same reason). As etcd's v3rpc/lease.go
 * does, an unknown lease is answered with TTL 0 (and revision 0) rather than an error; any
 * other failure ends the stream with the error's status.
 *
 * Bounds: about `keepAliveRequestsPendingMax` unprocessed requests per stream (plus what
 * the paused stream had already buffered, at most its highWaterMark); at the bound the
 * stream stops reading (gRPC flow control pushes back on the client). When the client
 * does not read responses, processing waits for 'drain', so nothing queues without bound.
 */
import type { ServiceHandlers, ServiceMethods, StreamingCall } from '../../grpc/calls.js';
import {
  type IdRequest, boolField, int64Field, toId, toLeaseGrantRequest, toNothing,
} from './decode.js';
import { EtcdError, isEtcdError, toEtcdError } from './errors.js';
import {
  type ActiveStream, type ServiceContext, endStreamWithError, logFailure, responseHeader,
  unaryHandler, whenWritable,
} from './handler.js';
import { keepAliveRequestsPendingMax } from './limits.js';
import { serverMethod } from './proto.js';

/** Serves one LeaseKeepAlive stream (see the module comment). */
class KeepAliveStream implements ActiveStream {
  private readonly pending: number[] = [];
  private processing = false;
  private paused = false;
  private closed = false;
  private clientDone = false;

  constructor(
    private readonly context: ServiceContext,
    private readonly call: StreamingCall,
  ) {
    call.on('data', (request: IdRequest | EtcdError) => this.handleRequest(request));
    call.on('end', () => {
      this.clientDone = true;
      this.maybeFinish();
    });
    for (const event of ['cancelled', 'close', 'error', 'finish'] as const) {
      call.on(event, () => this.markClosed());
    }
    context.streams.add(this);
  }

  /** Ends the stream with `error` (server shutdown). */
  stop(error: EtcdError): void {
    if (!this.closed) {
      this.markClosed();
      endStreamWithError(this.call, error);
    }
  }

  private markClosed(): void {
    this.closed = true;
    this.pending.length = 0;
    this.context.streams.delete(this);
  }

  private handleRequest(request: IdRequest | EtcdError): void {
    if (this.closed) {
      return;
    }
    if (request instanceof EtcdError) {
      this.fail(request);
      return;
    }
    this.pending.push(request.id);
    if (this.pending.length >= keepAliveRequestsPendingMax && !this.paused) {
      this.paused = true;
      this.call.pause();
    }
    if (!this.processing) {
      this.processing = true;
      void this.process().finally(() => {
        this.processing = false;
        this.maybeFinish();
      });
    }
  }

  private async process(): Promise<void> {
    for (let id = this.pending.shift(); id !== undefined && !this.closed;
      id = this.pending.shift()) {
      let ttl = 0;
      let revision = 0;
      try {
        const renewed = await this.context.backend.leaseKeepAlive(id);
        ttl = renewed.TTL;
        revision = renewed.header.revision;
      } catch (error) {
        if (!isEtcdError(error, 'STORE_ERR_LEASE_NOT_FOUND')) {
          this.fail(toEtcdError(error));
          return;
        }
      }
      const header = responseHeader(this.context.backend, revision);
      if (this.closed) {
        return;
      }
      if (!this.call.write({ header, ID: id, TTL: ttl })) {
        await whenWritable(this.call);
      }
      if (this.paused && this.pending.length <= keepAliveRequestsPendingMax / 2) {
        this.paused = false;
        this.call.resume();
      }
    }
  }

  private maybeFinish(): void {
    if (this.clientDone && !this.processing && !this.closed) {
      this.markClosed();
      this.call.end();
    }
  }

  private fail(error: EtcdError): void {
    logFailure(this.context.logger, 'LeaseKeepAlive', error);
    this.stop(error);
  }
}

/** The Lease service definition and its handlers, ready for `server.addService`. */
export function leaseService(context: ServiceContext): {
  definition: ServiceMethods; handlers: ServiceHandlers;
} {
  const { backend } = context;
  const definition: ServiceMethods = {
    LeaseGrant: serverMethod('Lease', 'LeaseGrant', toLeaseGrantRequest),
    LeaseRevoke: serverMethod('Lease', 'LeaseRevoke', toId('ID')),
    LeaseKeepAlive: serverMethod('Lease', 'LeaseKeepAlive', toId('ID')),
    LeaseTimeToLive: serverMethod('Lease', 'LeaseTimeToLive',
      (wire) => ({ ID: int64Field(wire, 'ID'), keys: boolField(wire, 'keys') })),
    LeaseLeases: serverMethod('Lease', 'LeaseLeases', toNothing),
  };
  const handlers: ServiceHandlers = {
    LeaseGrant: unaryHandler(context, 'LeaseGrant',
      async (request: ReturnType<typeof toLeaseGrantRequest>) => {
        const response = await backend.leaseGrant(request);
        return {
          header: responseHeader(backend, response.header.revision), ID: response.ID,
          TTL: response.TTL, error: '',
        };
      }),
    LeaseRevoke: unaryHandler(context, 'LeaseRevoke', async ({ id }: IdRequest) => {
      const response = await backend.leaseRevoke({ ID: id });
      return { header: responseHeader(backend, response.header.revision) };
    }),
    LeaseKeepAlive: (call: StreamingCall) => {
      new KeepAliveStream(context, call);
    },
    LeaseTimeToLive: unaryHandler(context, 'LeaseTimeToLive',
      async (request: { ID: number; keys: boolean }) => {
        const response = await backend.leaseTimeToLive(request.ID, request.keys);
        return {
          header: responseHeader(backend, response.header.revision), ID: response.ID,
          TTL: response.TTL, grantedTTL: response.grantedTTL, keys: response.keys,
        };
      }),
    LeaseLeases: unaryHandler(context, 'LeaseLeases', async () => {
      const ids = await backend.leaseLeases();
      return { header: responseHeader(backend, 0), leases: ids.map((ID) => ({ ID })) };
    }),
  };
  return { definition, handlers };
}
