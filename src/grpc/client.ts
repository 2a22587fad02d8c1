/**
 * @module grpc/client
 * A gRPC client connection over the same HTTP/2 code as the server (connection.ts in the
 * client role): one TCP connection to one target, plaintext with prior knowledge, carrying
 * any number of calls. It exists for the peer transport, whose every Raft message crossed
 * @grpc/grpc-js's client (channel, filters, promises per message) and Node's http2 session
 * (a deferred send per write): per message CPU and a scheduling delay on every commit.
 *
 * Contracts:
 * - `startCall` sends the request headers at once; `write` frames one message (gRPC's 5-byte
 *   prefix) and sends what flow control allows; `end` half-closes after the queued data.
 * - Every call ends with exactly one `onStatus(code, details)`: from the server's trailers,
 *   from a reset (CANCELLED), or from the connection's loss (UNAVAILABLE, with the socket
 *   error when there was one). The connection never reconnects: the owner dials again.
 * - Keepalive: a PING every `keepaliveMs` when no frame arrived for that long; a connection
 *   whose PING is unanswered for `keepaliveTimeoutMs` is destroyed (its calls end
 *   UNAVAILABLE), as grpc-js's keepalive does for a silently partitioned peer.
 */
import { connect } from 'node:net';
import type { Logger } from '../util/logger.js';
import { CallStatus, MessageReader } from './calls.js';
import { H2Connection } from './connection.js';
import { connectionLostCode, encodeFrame, FrameType, H2Error } from './frames.js';
import { encodeHeaderBlock } from './hpack.js';
import type { H2Stream, StreamListener } from './stream.js';

/** Bytes of gRPC's message prefix (compressed flag, big-endian length). */
export const grpcMessagePrefixBytes = 5;

/** What a client call reports. */
export interface ClientCallListener {
  /** The server answered with response headers (the call is established). */
  onHeaders?(): void;
  /** One response message (a view valid during the call). */
  onMessage?(message: Buffer): void;
  /** Queued request data went back below the high-water mark. */
  onDrain?(): void;
  /** The call ended, with the server's status or the transport's; called exactly once. */
  onStatus(code: number, details: string): void;
}

/** Options of a client connection. */
export interface GRPCClientOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  /** Largest response message accepted, bytes. */
  readonly receiveMessageBytesMax: number;
  /** Idle time before a keepalive PING, ms (default 10,000). */
  readonly keepaliveMs?: number;
  /** How long a PING may go unanswered before the connection is dropped, ms (default 20,000). */
  readonly keepaliveTimeoutMs?: number;
  /** Called once when the connection is gone (after every call got its status). */
  readonly onClosed?: (error: Error | null) => void;
}

/** Percent-decodes a grpc-message value. */
export function decodeGRPCMessage(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** ClientCall is one call on a GRPCClientConnection. */
export class ClientCall implements StreamListener {
  private ended = false;
  private status: { code: number; details: string } | null = null;
  private httpStatus = '';
  private readonly reader: MessageReader;

  /** Created by GRPCClientConnection.startCall. */
  constructor(private readonly listener: ClientCallListener, receiveMessageBytesMax: number,
    private readonly socketError: () => Error | null) {
    this.reader = new MessageReader(receiveMessageBytesMax, 'identity');
  }

  /** The stream, set right after the request headers went out. */
  stream: H2Stream | null = null;

  /** Sends one request message; false when the queue is full (wait for onDrain). */
  write(message: Uint8Array): boolean {
    if (this.ended || this.stream === null) return false;
    const framed = Buffer.allocUnsafe(5 + message.length);
    framed[0] = 0;
    framed.writeUInt32BE(message.length, 1);
    framed.set(message, 5);
    return this.stream.writeData(framed);
  }

  /**
   * Sends one request message already laid out after `grpcMessagePrefixBytes` free bytes at
   * the start of `framed` (which this fills in): no copy. False as for `write`.
   */
  writeFramed(framed: Uint8Array): boolean {
    if (this.ended || this.stream === null) return false;
    const buffer = Buffer.isBuffer(framed) ? framed
      : Buffer.from(framed.buffer, framed.byteOffset, framed.length);
    buffer[0] = 0;
    buffer.writeUInt32BE(buffer.length - grpcMessagePrefixBytes, 1);
    return this.stream.writeData(buffer);
  }

  /** Half-closes the call after what is queued. */
  end(): void {
    this.stream?.end();
  }

  /** Cancels the call (RST_STREAM CANCEL); the status is CANCELLED. */
  cancel(): void {
    if (this.ended) return;
    this.stream?.reset(H2Error.cancel);
    this.finish(CallStatus.cancelled, 'Cancelled on client');
  }

  /** See StreamListener. */
  onHeaders(headers: string[] | null, endStream: boolean): void {
    if (headers === null) {
      this.status = { code: CallStatus.internal, details: 'response header list too large' };
      return;
    }
    let code: string | undefined;
    let message = '';
    for (let index = 0; index + 1 < headers.length; index += 2) {
      const name = headers[index];
      if (name === ':status') this.httpStatus = headers[index + 1]!;
      else if (name === 'grpc-status') code = headers[index + 1];
      else if (name === 'grpc-message') message = decodeGRPCMessage(headers[index + 1]!);
    }
    if (code !== undefined) {
      this.status = { code: Number(code), details: message };
    } else if (endStream) {
      this.status = { code: CallStatus.unknown,
        details: `the server ended the call without a status (HTTP ${this.httpStatus})` };
    }
    if (!endStream && this.httpStatus === '200') this.listener.onHeaders?.();
  }

  /** See StreamListener. */
  onData(chunk: Buffer, endStream: boolean): void {
    if (this.ended) return;
    if (chunk.length > 0) {
      try {
        for (const message of this.reader.push(chunk)) this.listener.onMessage?.(message);
      } catch (error) {
        this.stream?.reset(H2Error.cancel);
        this.finish(CallStatus.internal, (error as Error).message);
        return;
      }
    }
    if (endStream) {
      const status = this.status ?? { code: CallStatus.internal,
        details: 'the server ended the stream without trailers' };
      this.finish(status.code, status.details);
    }
  }

  /** See StreamListener. */
  onReset(errorCode: number): void {
    if (errorCode === connectionLostCode || errorCode === H2Error.refusedStream) {
      // The connection is gone, or the server never saw the call: the peer is gone or going.
      this.finish(CallStatus.unavailable, this.socketError()?.message ?? 'connection closed');
    } else if (errorCode === H2Error.cancel) {
      this.finish(CallStatus.cancelled, 'the server cancelled the call');
    } else {
      this.finish(CallStatus.internal, `stream reset with HTTP/2 error ${errorCode}`);
    }
  }

  /** See StreamListener. */
  onDrain(): void {
    this.listener.onDrain?.();
  }

  private finish(code: number, details: string): void {
    if (this.ended) return;
    this.ended = true;
    this.listener.onStatus(code, details);
  }
}

/** GRPCClientConnection is one HTTP/2 connection to a gRPC server (see the module comment). */
export class GRPCClientConnection {
  private readonly connection: H2Connection;
  private socketError: Error | null = null;
  private closedReported = false;
  private lastFrameAtMs = Date.now();
  private pingSentAtMs: number | null = null;
  private readonly keepaliveTimer: NodeJS.Timeout;
  private readonly authority: string;

  /** Dials `options.host`:`options.port` at once; calls may start before it connects. */
  constructor(private readonly options: GRPCClientOptions) {
    this.authority = `${options.host}:${options.port}`;
    const socket = connect({ host: options.host, port: options.port, noDelay: true });
    socket.on('error', (error) => {
      this.socketError = error;
    });
    socket.on('data', () => {
      this.lastFrameAtMs = Date.now();
      this.pingSentAtMs = null;
    });
    this.connection = new H2Connection(socket, {
      logger: options.logger,
      openStream: () => {
        throw new Error('a client connection never accepts streams');
      },
      connectionClosed: () => this.reportClosed(),
    }, 'client');
    const keepaliveMs = options.keepaliveMs ?? 10_000;
    this.keepaliveTimer = setInterval(() => this.keepalive(keepaliveMs),
      Math.min(keepaliveMs, 1000));
    this.keepaliveTimer.unref();
  }

  /** Whether the connection is gone. */
  get isClosed(): boolean {
    return this.connection.isClosed;
  }

  /**
   * Starts a call of `path`; returns null when the connection is closed or going away (the
   * listener then hears nothing: dial again).
   */
  startCall(path: string, listener: ClientCallListener): ClientCall | null {
    const call = new ClientCall(listener, this.options.receiveMessageBytesMax,
      () => this.socketError);
    const block = encodeHeaderBlock([':method', 'POST', ':scheme', 'http', ':path', path,
      ':authority', this.authority, 'content-type', 'application/grpc', 'te', 'trailers']);
    const stream = this.connection.openClientStream(block, call);
    if (stream === null) return null;
    call.stream = stream;
    return call;
  }

  /** Closes gracefully: open calls finish; no new ones start. */
  close(): void {
    clearInterval(this.keepaliveTimer);
    this.connection.goAway();
  }

  /** Closes at once; every open call ends UNAVAILABLE. */
  destroy(reason: string): void {
    clearInterval(this.keepaliveTimer);
    this.connection.destroy(reason, H2Error.noError);
  }

  private keepalive(keepaliveMs: number): void {
    const nowMs = Date.now();
    if (this.pingSentAtMs !== null) {
      if (nowMs - this.pingSentAtMs > (this.options.keepaliveTimeoutMs ?? 20_000)) {
        this.socketError ??= new Error('keepalive PING unanswered');
        this.destroy('keepalive PING unanswered');
      }
      return;
    }
    if (nowMs - this.lastFrameAtMs >= keepaliveMs) {
      this.pingSentAtMs = nowMs;
      this.connection.queue(encodeFrame(FrameType.ping, 0, 0, Buffer.alloc(8)));
    }
  }

  private reportClosed(): void {
    if (this.closedReported) return;
    this.closedReported = true;
    clearInterval(this.keepaliveTimer);
    this.options.onClosed?.(this.socketError);
  }
}
