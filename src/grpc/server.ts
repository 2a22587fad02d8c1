/**
 * @module grpc/server
 * GRPCServer: a hand-written gRPC server over HTTP/2 (plaintext, "h2c" with prior
 * knowledge, as etcd clients dial a plain endpoint), for the client API port.
 *
 * Why not @grpc/grpc-js: measured on the 2-core bench machines with etcdload against a no-op
 * Put handler, a grpc-js server spends ~50 µs of CPU per unary call (Node's http2 session,
 * stream objects and events per call), which alone capped a Coracle leader below etcd's put
 * rate. This server parses frames straight from the socket's chunks, keeps no per-call
 * stream objects beyond one small state record, and writes all the frames completed in one
 * tick with one socket write: ~4 µs per call for the same no-op handler.
 *
 * Scope: what gRPC clients need of a server (grpc/doc/PROTOCOL-HTTP2.md): unary,
 * server-streaming and bidirectional calls; flow control; PING; graceful GOAWAY; errors as
 * grpc-status trailers. Not served: HTTP/1.1 (the gRPC gateway), TLS (the listener is
 * plaintext; DESIGN §9 puts TLS on a later issue), server push, compressed responses.
 * Requests: `:method` other than POST is answered 405, a content-type other than
 * application/grpc* 415 (as grpc-go), an unknown path UNIMPLEMENTED, a header list over
 * SETTINGS_MAX_HEADER_LIST_SIZE RESOURCE_EXHAUSTED, an unknown grpc-encoding UNIMPLEMENTED.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Logger } from '../util/logger.js';
import {
  acceptedEncodings, CallMetadata, CallStatus, refuseCall, refuseHTTP, StreamingCall, UnaryCall,
} from './calls.js';
import type { RegisteredMethod, ServiceHandlers, ServiceMethods } from './calls.js';
import { H2Connection } from './connection.js';
import type { ConnectionHost } from './connection.js';
import { connectionsMax } from './limits.js';
import type { H2Stream, StreamListener } from './stream.js';

/**
 * Splits "host:port" (an IPv6 host in brackets) for `listen` and for dialing; `what` names
 * the address in the error.
 */
export function splitHostPort(address: string, what: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`${what} ${address} is not host:port`);
  }
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port };
}

/** Options of a GRPCServer. */
export interface GRPCServerOptions {
  /** Largest request message in bytes; more is answered RESOURCE_EXHAUSTED. */
  readonly receiveMessageBytesMax: number;
  readonly logger: Logger;
}

/** A listener that ignores everything: for streams answered without a call. */
const ignoringListener: StreamListener = {
  onData: () => undefined,
  onReset: () => undefined,
  onDrain: () => undefined,
};

/** Returns the value of `name` in a flat header list, or undefined. */
function headerValue(headers: readonly string[], name: string): string | undefined {
  for (let index = 0; index + 1 < headers.length; index += 2) {
    if (headers[index] === name) return headers[index + 1];
  }
  return undefined;
}

/** GRPCServer serves registered methods on a TCP port (see the module comment). */
export class GRPCServer implements ConnectionHost {
  readonly logger: Logger;
  private readonly methods = new Map<string, RegisteredMethod>();
  private readonly services = new Set<string>();
  private readonly connections = new Set<H2Connection>();
  private server: Server | null = null;
  /** Resolves `close()` once the last connection is gone. */
  private whenIdle: (() => void) | undefined;

  /** Creates a server; register services, then `listen`. */
  constructor(private readonly options: GRPCServerOptions) {
    this.logger = options.logger;
  }

  /** Registers every method of a service (definitions as grpc-js describes them). */
  addService(definition: ServiceMethods, handlers: ServiceHandlers): void {
    for (const [name, method] of Object.entries(definition)) {
      const handler = handlers[name];
      if (handler === undefined) throw new Error(`no handler for ${method.path}`);
      this.methods.set(method.path, { definition: method, handler });
      this.services.add(method.path.slice(1, method.path.lastIndexOf('/')));
    }
  }

  /** Listens on `host`:`port` (0: a free port); resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    server.maxConnections = connectionsMax;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.removeListener('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  /**
   * Stops accepting, sends GOAWAY on every connection (clients finish what they sent and
   * reconnect elsewhere), and closes them all once their streams are done or after
   * `graceMs`.
   */
  async close(graceMs: number): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    const connectionsClosed = new Promise<void>((resolve) => {
      this.whenIdle = resolve;
    });
    if (this.connections.size === 0) this.whenIdle?.();
    for (const connection of this.connections) connection.goAway();
    const timer = setTimeout(() => {
      for (const connection of [...this.connections]) connection.destroy('server stopping');
    }, graceMs);
    timer.unref();
    await Promise.all([listenerClosed, connectionsClosed]);
    clearTimeout(timer);
  }

  /** The number of open connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** See ConnectionHost. */
  connectionClosed(connection: H2Connection): void {
    this.connections.delete(connection);
    if (this.connections.size === 0) this.whenIdle?.();
  }

  /** See ConnectionHost: validates the request headers and starts the call. */
  openStream(stream: H2Stream, headers: string[] | null, _endStream: boolean): StreamListener {
    if (headers === null) {
      refuseCall(stream, CallStatus.resourceExhausted, 'header list too large');
      return ignoringListener;
    }
    if (headerValue(headers, ':method') !== 'POST') {
      refuseHTTP(stream, 405);
      return ignoringListener;
    }
    if (!(headerValue(headers, 'content-type') ?? '').startsWith('application/grpc')) {
      refuseHTTP(stream, 415);
      return ignoringListener;
    }
    const path = headerValue(headers, ':path') ?? '';
    const method = this.methods.get(path);
    if (method === undefined) {
      refuseCall(stream, CallStatus.unimplemented, this.unknownMethodMessage(path));
      return ignoringListener;
    }
    const encoding = headerValue(headers, 'grpc-encoding') ?? 'identity';
    if (!acceptedEncodings.has(encoding)) {
      refuseCall(stream, CallStatus.unimplemented,
        `grpc: Decompressor is not installed for grpc-encoding "${encoding}"`);
      return ignoringListener;
    }
    const callOptions = { receiveMessageBytesMax: this.options.receiveMessageBytesMax,
      encoding };
    const metadata = new CallMetadata(headers);
    return method.definition.responseStream || method.definition.requestStream
      ? new StreamingCall(stream, method, metadata, callOptions)
      : new UnaryCall(stream, method, metadata, callOptions);
  }

  private unknownMethodMessage(path: string): string {
    const slash = path.lastIndexOf('/');
    const service = path.slice(1, Math.max(slash, 1));
    return this.services.has(service) ? `unknown method ${path.slice(slash + 1)} for service ` +
      service : `unknown service ${service}`;
  }

  private accept(socket: Socket): void {
    if (this.server === null) {
      socket.destroy();
      return;
    }
    socket.setKeepAlive(true, 30_000);
    this.connections.add(new H2Connection(socket, this));
  }
}
