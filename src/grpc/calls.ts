/**
 * @module grpc/calls
 * gRPC over HTTP/2 (grpc/doc/PROTOCOL-HTTP2.md) on one stream: length-prefixed messages in
 * both directions, response headers, trailers with grpc-status and grpc-message, and the
 * call objects handed to service handlers.
 *
 * The call objects keep the subset of @grpc/grpc-js's server call surface that the etcd
 * services use, so a handler works unchanged whichever server runs it:
 * - unary: `handler(call, callback)`; `call.request` is the decoded request;
 *   `callback(error | null, response)`, where an error is `{ code, details }`.
 * - server streaming and bidirectional: `handler(call)`; `call.request` (server streaming),
 *   'data' per request message (bidirectional), 'end' when the client half-closes, 'drain',
 *   'cancelled' when the client resets the stream or the connection drops, 'finish' once
 *   our trailers are queued; `write(message)` returns false when the stream's queue is full;
 *   `end()` sends status OK; `fail(status)` ends with an error status; `pause()`/`resume()`
 *   stop and restart 'data' (while paused, HTTP/2 flow control holds the client back).
 *
 * Deadlines (grpc-timeout) are enforced by clients, which reset the stream at their deadline;
 * the server keeps no timer per call. Requests may be compressed with gzip or deflate; our
 * responses never are.
 */
import { EventEmitter } from 'node:events';
import { gunzipSync, inflateSync } from 'node:zlib';
import { encodeHeaderBlock } from './hpack.js';
import type { H2Stream, StreamListener } from './stream.js';

/** gRPC status codes used by the transport itself. */
export const CallStatus = {
  ok: 0,
  cancelled: 1,
  unknown: 2,
  internal: 13,
  resourceExhausted: 8,
  unimplemented: 12,
  unavailable: 14,
} as const;

/** An error status a handler ends a call with. */
export interface CallError {
  readonly code?: number;
  readonly details?: string;
  readonly message?: string;
}

/** The unary callback. */
export type UnaryCallback = (error: CallError | null, response?: object) => void;

/** A unary handler. */
export type UnaryHandler = (call: UnaryCall, callback: UnaryCallback) => void;

/** A server-streaming or bidirectional handler. */
export type StreamingHandler = (call: StreamingCall) => void;

/** Handlers of one service by method name. */
export type ServiceHandlers = Record<string, UnaryHandler | StreamingHandler>;

/**
 * What the server needs of a method's definition: the fields of grpc-js's MethodDefinition
 * it reads, so the same definitions serve both (method syntax: parameters are bivariant).
 */
export interface ServerMethod {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  /** Decodes a request message. */
  requestDeserialize(bytes: Buffer): unknown;
  /** Encodes a response message. */
  responseSerialize(value: unknown): Buffer;
  /**
   * Optional: encodes a response message with gRPC's 5-byte prefix already in front, so the
   * server need not copy it once more to frame it.
   */
  responseSerializeFramed?(value: unknown): Buffer;
}

/** The definitions of one service's methods by name. */
export type ServiceMethods = Record<string, ServerMethod>;

/** A registered method: its definition and handler. */
export interface RegisteredMethod {
  readonly definition: ServerMethod;
  readonly handler: UnaryHandler | StreamingHandler;
}

/** What calls need from the server: the message size bound, and where to log. */
export interface CallOptions {
  /** Largest request message in bytes (after decompression); more is RESOURCE_EXHAUSTED. */
  readonly receiveMessageBytesMax: number;
}

/** Request metadata (the HTTP/2 request headers) of a call. */
export class CallMetadata {
  /** Wraps the flat [name, value, ...] header list. */
  constructor(private readonly fields: readonly string[]) {}

  /** Returns every value of header `name` (lower case). */
  get(name: string): string[] {
    const values: string[] = [];
    for (let index = 0; index + 1 < this.fields.length; index += 2) {
      if (this.fields[index] === name) values.push(this.fields[index + 1]!);
    }
    return values;
  }
}

/** The header block of every successful response start. */
const responseHeadersBlock = encodeHeaderBlock([':status', '200',
  'content-type', 'application/grpc']);

/** Trailers of status OK. */
const okTrailersBlock = encodeHeaderBlock(['grpc-status', '0']);

/** Percent-encodes a grpc-message (PROTOCOL-HTTP2.md: printable ASCII except '%'). */
export function encodeGRPCMessage(text: string): string {
  let encoded = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    encoded += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) :
      `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** Builds a trailers block (`withHeaders`: trailers-only, with :status and content-type). */
export function statusBlock(code: number, details: string, withHeaders: boolean): Buffer {
  const fields = withHeaders ? [':status', '200', 'content-type', 'application/grpc'] : [];
  fields.push('grpc-status', String(code));
  if (details !== '') fields.push('grpc-message', encodeGRPCMessage(details));
  return encodeHeaderBlock(fields);
}

/** Frames `message` with gRPC's 5-byte prefix (uncompressed). */
export function frameMessage(message: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(5 + message.length);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, 5);
  return framed;
}

/** A failure of the message layer, answered with `code`. */
class MessageError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/**
 * MessageReader reassembles length-prefixed gRPC messages from DATA chunks. A message
 * within one chunk is returned as a view of it; one that spans chunks is copied once.
 */
export class MessageReader {
  /** A prefix split across chunks (rare); allocated when first needed. */
  private prefix: Buffer | null = null;
  private prefixBytes = 0;
  private compressed = false;
  private bodyBytes = 0;
  private chunks: Buffer[] = [];
  private collectedBytes = 0;

  /** Creates a reader with the message size bound and the request's grpc-encoding. */
  constructor(private readonly messageBytesMax: number, private readonly encoding: string) {}

  /** Bytes of a partial message held. */
  get heldBytes(): number {
    return this.prefixBytes + this.collectedBytes;
  }

  /** Parses `chunk`; returns the complete messages in it. Throws MessageError. */
  push(chunk: Buffer): Buffer[] {
    const messages: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.prefixBytes < 5) {
        if (this.prefixBytes === 0 && chunk.length - offset >= 5) {
          offset = this.startBody(chunk, offset);
        } else {
          this.prefix ??= Buffer.alloc(5);
          this.prefix[this.prefixBytes++] = chunk[offset++]!;
          if (this.prefixBytes === 5) this.startBody(this.prefix, 0);
        }
        if (this.prefixBytes === 5 && this.bodyBytes === 0) messages.push(this.finish(null));
        continue;
      }
      const take = Math.min(this.bodyBytes - this.collectedBytes, chunk.length - offset);
      if (this.collectedBytes === 0 && take === this.bodyBytes) {
        messages.push(this.finish(chunk.subarray(offset, offset + take)));
      } else {
        this.chunks.push(Buffer.from(chunk.subarray(offset, offset + take)));
        this.collectedBytes += take;
        if (this.collectedBytes === this.bodyBytes) messages.push(this.finish(null));
      }
      offset += take;
    }
    return messages;
  }

  /** Whether a message was started and not finished. */
  get isPartial(): boolean {
    return this.prefixBytes > 0;
  }

  private startBody(source: Buffer, offset: number): number {
    this.compressed = source[offset] !== 0;
    if (source[offset]! > 1) {
      throw new MessageError(CallStatus.internal, `bad gRPC message flag ${source[offset]!}`);
    }
    this.bodyBytes = source.readUInt32BE(offset + 1);
    this.prefixBytes = 5;
    if (this.bodyBytes > this.messageBytesMax) {
      throw new MessageError(CallStatus.resourceExhausted,
        `grpc: received message larger than max (${this.bodyBytes} vs. ${this.messageBytesMax})`);
    }
    return offset + 5;
  }

  private finish(whole: Buffer | null): Buffer {
    let body = whole ?? (this.chunks.length === 1 ? this.chunks[0]! :
      Buffer.concat(this.chunks, this.collectedBytes));
    const compressed = this.compressed;
    this.prefixBytes = 0;
    this.chunks = [];
    this.collectedBytes = 0;
    if (compressed) body = this.decompress(body);
    return body;
  }

  private decompress(body: Buffer): Buffer {
    const options = { maxOutputLength: this.messageBytesMax };
    try {
      if (this.encoding === 'gzip') return gunzipSync(body, options);
      if (this.encoding === 'deflate') return inflateSync(body, options);
    } catch (error) {
      throw new MessageError(CallStatus.resourceExhausted,
        `grpc: failed to decompress the received message: ${(error as Error).message}`);
    }
    throw new MessageError(CallStatus.internal,
      'grpc: compressed flag set with identity or empty encoding');
  }
}

/** The encodings a request may use (grpc-encoding). */
export const acceptedEncodings = new Set(['identity', 'gzip', 'deflate']);

/**
 * BaseCall is the gRPC layer of one stream: it turns DATA into messages and responses into
 * frames, for every kind of call.
 */
abstract class BaseCall implements StreamListener {
  /** Whether the client reset the stream or the connection dropped. */
  cancelled = false;
  protected finished = false;
  protected readonly reader: MessageReader;

  constructor(protected readonly stream: H2Stream,
    protected readonly definition: ServerMethod,
    readonly metadata: CallMetadata, options: CallOptions & { encoding: string }) {
    this.reader = new MessageReader(options.receiveMessageBytesMax, options.encoding);
  }

  /** Delivers request bytes; see StreamListener. */
  onData(chunk: Buffer, endStream: boolean): void {
    if (this.finished) return;
    if (chunk.length > 0) {
      const heldBefore = this.reader.heldBytes;
      let messages: Buffer[];
      try {
        messages = this.reader.push(chunk);
      } catch (error) {
        const failure = error as MessageError;
        this.fail({ code: failure.code, details: failure.message });
        return;
      }
      this.stream.hold(this.reader.heldBytes - heldBefore);
      for (const message of messages) {
        if (this.finished) return;
        this.deliverBytes(message);
      }
    }
    if (endStream && !this.finished) {
      if (this.reader.isPartial) {
        this.fail({ code: CallStatus.internal, details: 'grpc: stream ended inside a message' });
        return;
      }
      this.handleEnd();
    }
  }

  /** See StreamListener. */
  onReset(): void {
    if (this.finished) return;
    this.finished = true;
    this.cancelled = true;
    this.notify('cancelled');
  }

  /** See StreamListener. */
  onDrain(): void {
    this.notify('drain');
  }

  /** Tells the handler about `event` (streaming calls; a unary call has no listeners). */
  protected notify(_event: string, _argument?: unknown): void {
    // NB: unary calls are not event emitters: they would pay for one per request.
  }

  /** Ends the call with an error status (trailers-only when nothing was sent yet). */
  fail(error: CallError): void {
    if (this.finished) return;
    this.finished = true;
    const code = error.code ?? CallStatus.unknown;
    const details = error.details ?? error.message ?? '';
    if (this.stream.hasSentHeaders) {
      this.stream.sendTrailers(statusBlock(code, details, false));
    } else {
      this.stream.sendHeaders(statusBlock(code, details, true), true);
    }
    this.notify('finish');
  }

  /** Encodes a response with gRPC's prefix; on failure ends the call INTERNAL (null). */
  protected serialize(response: unknown): Buffer | null {
    try {
      return this.definition.responseSerializeFramed?.(response)
        ?? frameMessage(this.definition.responseSerialize(response));
    } catch (error) {
      this.fail({ code: CallStatus.internal,
        details: `failed to serialize the response: ${(error as Error).message}` });
      return null;
    }
  }

  /** Sends one response message (headers first, once). */
  protected sendMessage(response: unknown): boolean {
    const framed = this.serialize(response);
    if (framed === null) return false;
    if (!this.stream.hasSentHeaders) this.stream.sendHeaders(responseHeadersBlock, false);
    return this.stream.writeData(framed);
  }

  /** Ends the call with status OK after the queued messages. */
  protected finishOk(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.stream.hasSentHeaders) this.stream.sendHeaders(responseHeadersBlock, false);
    this.stream.sendTrailers(okTrailersBlock);
    this.notify('finish');
  }

  private deliverBytes(message: Buffer): void {
    // NB: the etcd services' deserializers never throw (proto.ts); a throwing one would be
    // a bug, and is answered with INTERNAL rather than crashing the connection.
    let request: unknown;
    try {
      request = this.definition.requestDeserialize(message);
    } catch (error) {
      this.fail({ code: CallStatus.internal,
        details: `failed to parse the request: ${(error as Error).message}` });
      return;
    }
    this.handleMessage(request);
  }

  protected abstract handleMessage(request: unknown): void;
  protected abstract handleEnd(): void;
}

/** UnaryCall carries one request to a unary handler and its one response back. */
export class UnaryCall extends BaseCall {
  /** The decoded request (valid when the handler runs). */
  request: unknown = undefined;
  private received = 0;

  /** Creates the call; the handler runs when the client ends its side. */
  constructor(stream: H2Stream, private readonly method: RegisteredMethod,
    metadata: CallMetadata, options: CallOptions & { encoding: string }) {
    super(stream, method.definition, metadata, options);
  }

  protected handleMessage(request: unknown): void {
    this.received++;
    this.request = request;
  }

  protected handleEnd(): void {
    if (this.received !== 1) {
      this.fail({ code: CallStatus.unimplemented, details: this.received === 0
        ? 'Received no request message' : 'Received a second request message for a unary method' });
      return;
    }
    (this.method.handler as UnaryHandler)(this, (error, response) => {
      if (this.finished) return;
      if (error !== null) {
        this.fail(error);
        return;
      }
      const framed = this.serialize(response);
      if (framed === null) return;
      if (this.stream.sendWhole(responseHeadersBlock, framed, okTrailersBlock)) {
        this.finished = true;
        return;
      }
      this.stream.sendHeaders(responseHeadersBlock, false);
      this.stream.writeData(framed);
      this.finishOk();
    });
  }
}

/** An event listener as EventEmitter stores it (the argument is the event's payload). */
type Listener = (argument: unknown) => void;

/** StreamingCall serves a server-streaming or bidirectional method (see the module comment). */
export class StreamingCall extends BaseCall {
  /** The decoded request of a server-streaming call. */
  request: unknown = undefined;
  private readonly events = new EventEmitter();
  private paused = false;
  private readonly pending: unknown[] = [];
  private clientEnded = false;
  private started = false;
  private received = 0;

  /** Creates the call; the handler runs at once (bidirectional) or after the request. */
  constructor(stream: H2Stream, private readonly method: RegisteredMethod,
    metadata: CallMetadata, options: CallOptions & { encoding: string }) {
    super(stream, method.definition, metadata, options);
    if (method.definition.requestStream) this.start();
  }

  /** Adds a listener for 'data', 'end', 'drain', 'cancelled' or 'finish'. */
  on(event: string, listener: (argument: never) => void): this {
    this.events.on(event, listener as Listener);
    return this;
  }

  /** Adds a one-time listener. */
  once(event: string, listener: (argument: never) => void): this {
    this.events.once(event, listener as Listener);
    return this;
  }

  /** Removes a listener. */
  removeListener(event: string, listener: (argument: never) => void): this {
    this.events.removeListener(event, listener as Listener);
    return this;
  }

  protected override notify(event: string, argument?: unknown): void {
    this.events.emit(event, argument);
  }

  /** Writes one response; false when the stream's queue is full (wait for 'drain'). */
  write(response: unknown): boolean {
    if (this.finished) return false;
    return this.sendMessage(response);
  }

  /** Ends the call with status OK. */
  end(): void {
    this.finishOk();
  }

  /** Sends the response headers now (they tell the client the call is established). */
  sendMetadata(): void {
    if (!this.finished && !this.stream.hasSentHeaders) {
      this.stream.sendHeaders(responseHeadersBlock, false);
    }
  }

  /** Stops 'data' events; HTTP/2 flow control then holds the client back. */
  pause(): void {
    this.paused = true;
    this.stream.pauseReading();
  }

  /** Restarts 'data' events, first with the messages that arrived meanwhile. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    while (!this.paused && this.pending.length > 0 && !this.finished) {
      this.deliver(this.pending.shift());
    }
    if (!this.paused) {
      this.stream.resumeReading();
      if (this.clientEnded && this.pending.length === 0) this.notify('end');
    }
  }

  protected handleMessage(request: unknown): void {
    this.received++;
    if (!this.method.definition.requestStream) {
      this.request = request;
      return;
    }
    if (this.paused) {
      this.pending.push(request);
    } else {
      this.deliver(request);
    }
  }

  protected handleEnd(): void {
    this.clientEnded = true;
    if (!this.method.definition.requestStream) {
      if (this.received !== 1) {
        this.fail({ code: CallStatus.unimplemented, details: 'Received no request message' });
        return;
      }
      this.start();
      return;
    }
    if (!this.paused) this.notify('end');
  }

  private deliver(request: unknown): void {
    this.notify('data', request);
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    (this.method.handler as StreamingHandler)(this);
  }
}

/** Answers a request that names no known method, with the call never reaching a handler. */
export function refuseCall(stream: H2Stream, code: number, details: string): void {
  stream.sendHeaders(statusBlock(code, details, true), true);
}

/** Answers a request that is not gRPC at all with a bare HTTP status. */
export function refuseHTTP(stream: H2Stream, httpStatus: number): void {
  stream.sendHeaders(encodeHeaderBlock([':status', String(httpStatus)]), true);
}
