/**
 * @module grpc/connection
 * One server-side HTTP/2 connection (RFC 9113) over a socket: the preface and SETTINGS
 * exchange, stream states, header blocks (HPACK), flow control in both directions, PING,
 * RST_STREAM and GOAWAY. What a stream carries is the business of its `StreamListener` (the
 * gRPC call layer, calls.ts); this module knows nothing of gRPC.
 *
 * Contracts:
 * - Receiving: DATA is handed to the listener as it arrives (views of the socket's chunks);
 *   the listener reports bytes it holds undispatched with `H2Stream.hold`/`release`, and
 *   the connection closes with ENHANCE_YOUR_CALM when they exceed
 *   `connectionBufferedBytesMax`. Window is granted back on receipt, except on a stream
 *   whose reading is paused (`pauseReading`), where it is granted when reading resumes.
 * - Sending: output is queued and written to the socket once per tick (process.nextTick),
 *   so all the responses completed in one turn of the event loop leave in one write.
 *   DATA respects the client's connection and stream windows and its SETTINGS_MAX_FRAME_SIZE;
 *   what does not fit waits on the stream. Trailers leave only after the stream's data.
 * - A connection error sends GOAWAY with its code and destroys the socket; every open
 *   stream's listener gets `onReset`. A stream error sends RST_STREAM for that stream only.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../util/logger.js';
import {
  clientPreface, connectionLostCode, defaultFrameBytesMax, defaultWindowBytes, encodeFrame,
  encodeGoAway, encodeRstStream, encodeSettings, encodeWindowUpdate, FrameFlag,
  frameHeaderBytes, FrameReader, FrameType, H2Error, H2ProtocolError, SettingId,
  unpaddedPayload, windowBytesMax, writeFrameHeader,
} from './frames.js';
import { HeaderListTooLargeError, HPACKDecoder, HPACKError } from './hpack.js';
import {
  concurrentStreamsMax, connectionBufferedBytesMax, connectionWindowBytes, headerBlockBytesMax,
  headerListBytesMax, headerTableBytes, prefaceTimeoutMs, socketBufferedBytesMax,
  streamQueuedBytesHighWater, streamWindowBytes,
} from './limits.js';
import { H2Stream } from './stream.js';
import type { StreamListener } from './stream.js';

/** What the connection asks of the server or client that owns it. */
export interface ConnectionHost {
  /**
   * Server role: a client opened a stream with request `headers` (a flat [name, value, ...]
   * list, or null when the list was larger than SETTINGS_MAX_HEADER_LIST_SIZE); returns its
   * listener. Never called in the client role (a server cannot open streams: no push).
   */
  openStream(stream: H2Stream, headers: string[] | null, endStream: boolean): StreamListener;
  /** The connection is gone (socket closed); called once. */
  connectionClosed(connection: H2Connection): void;
  readonly logger: Logger;
}

/** Our SETTINGS, sent first on every connection (either role). */
const localSettings = encodeSettings([
  [SettingId.maxConcurrentStreams, concurrentStreamsMax],
  [SettingId.initialWindowSize, streamWindowBytes],
  [SettingId.maxHeaderListSize, headerListBytesMax],
  [SettingId.headerTableSize, headerTableBytes],
  [SettingId.enablePush, 0],
]);

/** Output up to this size is copied into one buffer per flush; more goes out as a writev. */
const flushConcatBytesMax = 64 * 1024;

const settingsAck = encodeFrame(FrameType.settings, FrameFlag.ack, 0);

/** A header block being received over HEADERS and CONTINUATION frames. */
interface HeaderBlock {
  readonly streamId: number;
  readonly endStream: boolean;
  readonly chunks: Buffer[];
  bytes: number;
}

/** H2Connection serves one client socket (see the module comment). */
export class H2Connection {
  /** Open streams by id. */
  readonly streams = new Map<number, H2Stream>();
  private readonly reader: FrameReader;
  private readonly decoder = new HPACKDecoder({ tableBytesMax: headerTableBytes,
    headerListBytesMax });
  private prefaceBytesSeen = 0;
  private prefaceTimer: NodeJS.Timeout | undefined;
  private block: HeaderBlock | null = null;
  private lastStreamId = 0;
  private output: Buffer[] = [];
  private outputBytes = 0;
  private flushScheduled = false;
  private closed = false;
  private goingAway = false;
  /** Streams written to since the last flush. */
  private readonly dirty = new Set<H2Stream>();
  /** Streams with data waiting for window or socket room, in arrival order. */
  private readonly blocked = new Set<H2Stream>();
  private socketFull = false;
  /** The client's settings that shape what we send. */
  peerFrameBytesMax = defaultFrameBytesMax;
  private peerInitialWindowBytes = defaultWindowBytes;
  /** Bytes we may still send on the connection (the client's connection window). */
  private sendWindowBytes = defaultWindowBytes;
  /** Request bytes held undispatched by listeners, over all streams. */
  private heldBytes = 0;
  /** Bytes received on the connection and not yet granted back with WINDOW_UPDATE. */
  private receivedUngrantedBytes = 0;

  /** Ids of the streams we open in the client role: odd, increasing (RFC 9113 §5.1.1). */
  private streamIdNext = 1;
  /** The server's SETTINGS_MAX_CONCURRENT_STREAMS (client role). */
  private peerStreamsMax = concurrentStreamsMax;

  /**
   * Starts speaking HTTP/2 on `socket` as `role`: a server waits for the client preface; a
   * client sends it. Either sends its SETTINGS and opens the connection window at once.
   */
  constructor(readonly socket: Socket, private readonly host: ConnectionHost,
    readonly role: 'server' | 'client' = 'server') {
    this.reader = new FrameReader(defaultFrameBytesMax, (type, flags, streamId, payload) =>
      this.handleFrame(type, flags, streamId, payload));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.handleBytes(chunk));
    socket.on('drain', () => this.handleSocketDrain());
    socket.on('error', (error) => {
      host.logger.debug({ error: error.message }, 'gRPC client connection failed');
    });
    socket.on('close', () => this.handleClose());
    if (role === 'server') {
      this.prefaceTimer = setTimeout(() => this.destroy('no HTTP/2 preface'), prefaceTimeoutMs);
      this.prefaceTimer.unref();
    } else {
      this.prefaceBytesSeen = clientPreface.length;
      this.queue(clientPreface);
    }
    this.queue(localSettings);
    this.queue(encodeWindowUpdate(0, connectionWindowBytes - defaultWindowBytes));
  }

  /** Whether the socket is gone. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Client role: opens a stream with the request header `block` and `listener`; returns
   * null when the connection is closed or going away, or the server's stream limit is met.
   */
  openClientStream(block: Buffer, listener: StreamListener): H2Stream | null {
    if (this.role !== 'client' || this.closed || this.goingAway
      || this.streams.size >= this.peerStreamsMax || this.streamIdNext > 0x7fffffff) {
      return null;
    }
    const id = this.streamIdNext;
    this.streamIdNext += 2;
    const stream = new H2Stream(this, id, {
      sendWindowBytes: this.peerInitialWindowBytes, receiveWindowBytes: streamWindowBytes,
      queuedBytesHighWater: streamQueuedBytesHighWater,
    });
    this.streams.set(id, stream);
    stream.attach(listener, false);
    stream.sendHeaders(block, false);
    return stream;
  }

  /**
   * Starts a graceful close: GOAWAY naming the last stream we accepted; the socket ends once
   * every open stream is done.
   */
  goAway(): void {
    if (this.closed || this.goingAway) return;
    this.goingAway = true;
    this.queue(encodeGoAway(this.lastStreamId, H2Error.noError));
    this.maybeEnd();
  }

  /** Closes at once: every open stream is reset, the socket destroyed. */
  destroy(reason: string, errorCode: number = H2Error.noError): void {
    if (this.closed) return;
    this.host.logger.debug({ reason, errorCode, role: this.role }, 'HTTP/2 connection closed');
    this.queue(encodeGoAway(this.lastStreamId, errorCode, reason));
    this.flush();
    this.socket.destroy();
    this.handleClose();
  }

  /** Queues `frame` for the next flush. */
  queue(frame: Buffer): void {
    if (this.closed) return;
    this.output.push(frame);
    this.outputBytes += frame.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  /**
   * Queues one DATA frame of `streamId` carrying `payload` (kept as a view: the bytes are
   * copied once, with everything else queued this tick, when the output is flushed).
   */
  queueData(streamId: number, payload: Buffer, endStream: boolean): void {
    const header = Buffer.allocUnsafe(frameHeaderBytes);
    writeFrameHeader(header, 0, { length: payload.length, type: FrameType.data,
      flags: endStream ? FrameFlag.endStream : 0, streamId });
    this.queue(header);
    if (payload.length > 0) this.queue(payload);
  }

  /** Queues the header of a DATA frame of `bytes` bytes; the caller queues the payload. */
  queueDataHeader(streamId: number, bytes: number): void {
    const header = Buffer.allocUnsafe(frameHeaderBytes);
    writeFrameHeader(header, 0, { length: bytes, type: FrameType.data, flags: 0, streamId });
    this.queue(header);
  }

  /** A stream has new data: it is framed at the next flush, with whatever else it writes. */
  markDirty(stream: H2Stream): void {
    if (this.closed) return;
    this.dirty.add(stream);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  /** Called by a stream that has data to send and found no room: waits for window. */
  markBlocked(stream: H2Stream): void {
    this.blocked.add(stream);
  }

  /**
   * Takes exactly `bytes` of the connection's send window for one DATA frame, or nothing
   * (returns false) when the window, the client's frame size or the socket cannot take it.
   */
  tryTakeSendWindow(bytes: number): boolean {
    if (this.socketFull || bytes > this.sendWindowBytes || bytes > this.peerFrameBytesMax) {
      return false;
    }
    this.sendWindowBytes -= bytes;
    return true;
  }

  /** Takes up to `wantBytes` of the connection's send window for a DATA frame. */
  takeSendWindow(wantBytes: number): number {
    if (this.socketFull) return 0;
    const granted = Math.min(wantBytes, this.sendWindowBytes, this.peerFrameBytesMax);
    this.sendWindowBytes -= Math.max(granted, 0);
    return Math.max(granted, 0);
  }

  /** The listener of `stream` holds `bytes` more (or fewer, when negative) undispatched. */
  adjustHeld(bytes: number): void {
    this.heldBytes += bytes;
    if (this.heldBytes > connectionBufferedBytesMax) {
      this.destroy(`more than ${connectionBufferedBytesMax} request bytes undispatched`,
        H2Error.enhanceYourCalm);
    }
  }

  /** A stream is done in both directions: forget it. */
  forget(stream: H2Stream): void {
    this.streams.delete(stream.id);
    this.blocked.delete(stream);
    this.dirty.delete(stream);
    this.maybeEnd();
  }

  private maybeEnd(): void {
    if (this.goingAway && this.streams.size === 0 && !this.closed) {
      this.flush();
      this.socket.end();
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.dirty.size > 0) {
      for (const stream of this.dirty) stream.flushData();
      this.dirty.clear();
    }
    if (this.output.length === 0 || this.closed) return;
    const frames = this.output;
    const bytes = this.outputBytes;
    this.output = [];
    this.outputBytes = 0;
    if (frames.length === 1 || bytes <= flushConcatBytesMax) {
      this.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames, bytes));
    } else {
      // NB: large output (big range responses, snapshots) goes out as a writev, uncopied.
      this.socket.cork();
      for (const frame of frames) this.socket.write(frame);
      this.socket.uncork();
    }
    if (this.socket.writableLength > socketBufferedBytesMax) this.socketFull = true;
  }

  private handleSocketDrain(): void {
    if (!this.socketFull) return;
    this.socketFull = false;
    this.unblock();
  }

  /** Lets blocked streams send again, oldest first, while there is room. */
  private unblock(): void {
    for (const stream of [...this.blocked]) {
      if (this.sendWindowBytes <= 0 || this.socketFull) break;
      this.blocked.delete(stream);
      stream.flushData();
    }
  }

  private handleClose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.prefaceTimer);
    this.output = [];
    for (const stream of [...this.streams.values()]) {
      stream.handleReset(connectionLostCode);
    }
    this.streams.clear();
    this.blocked.clear();
    this.host.connectionClosed(this);
  }

  private handleBytes(chunk: Buffer): void {
    if (this.closed) return;
    try {
      let bytes = chunk;
      if (this.prefaceBytesSeen < clientPreface.length) {
        bytes = this.consumePreface(chunk);
        if (bytes.length === 0) return;
      }
      this.reader.push(bytes);
    } catch (error) {
      this.handleConnectionError(error);
    }
  }

  private consumePreface(chunk: Buffer): Buffer {
    const wanted = clientPreface.length - this.prefaceBytesSeen;
    const part = chunk.subarray(0, wanted);
    if (!part.equals(clientPreface.subarray(this.prefaceBytesSeen,
      this.prefaceBytesSeen + part.length))) {
      throw new H2ProtocolError(H2Error.protocolError, 'not an HTTP/2 client preface');
    }
    this.prefaceBytesSeen += part.length;
    if (this.prefaceBytesSeen === clientPreface.length) clearTimeout(this.prefaceTimer);
    return chunk.subarray(part.length);
  }

  private handleConnectionError(error: unknown): void {
    if (error instanceof H2ProtocolError) {
      this.destroy(error.message, error.errorCode);
    } else if (error instanceof HPACKError) {
      this.destroy(error.message, H2Error.compressionError);
    } else {
      throw error;
    }
  }

  private handleFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.block !== null && type !== FrameType.continuation) {
      throw new H2ProtocolError(H2Error.protocolError,
        'a header block was interrupted by another frame');
    }
    switch (type) {
      case FrameType.data: this.handleData(flags, streamId, payload); break;
      case FrameType.headers: this.handleHeaders(flags, streamId, payload); break;
      case FrameType.continuation: this.handleContinuation(flags, streamId, payload); break;
      case FrameType.rstStream: this.handleRstStream(streamId, payload); break;
      case FrameType.settings: this.handleSettings(flags, streamId, payload); break;
      case FrameType.ping: this.handlePing(flags, streamId, payload); break;
      case FrameType.goAway: this.handleGoAway(streamId, payload); break;
      case FrameType.windowUpdate: this.handleWindowUpdate(streamId, payload); break;
      case FrameType.priority: this.handlePriority(streamId, payload); break;
      case FrameType.pushPromise:
        // NB: we advertise SETTINGS_ENABLE_PUSH 0, and a client may never push.
        throw new H2ProtocolError(H2Error.protocolError, 'PUSH_PROMISE is not accepted');
      default:
        // NB: unknown frame types MUST be ignored (RFC 9113 §4.1).
        break;
    }
  }

  private handleData(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) {
      throw new H2ProtocolError(H2Error.protocolError, 'DATA on stream 0');
    }
    // NB: the whole frame, padding included, counts against flow control (RFC 9113 §6.9).
    // The connection window is granted back as bytes arrive, a quarter window at a time
    // (the bound on what is held is `connectionBufferedBytesMax`); a stream's only if it reads.
    this.receivedUngrantedBytes += payload.length;
    if (this.receivedUngrantedBytes >= connectionWindowBytes / 4) {
      this.queue(encodeWindowUpdate(0, this.receivedUngrantedBytes));
      this.receivedUngrantedBytes = 0;
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) {
      if (this.role === 'server' ? streamId > this.lastStreamId : streamId >= this.streamIdNext) {
        throw new H2ProtocolError(H2Error.protocolError, `DATA on idle stream ${streamId}`);
      }
      // A stream we already closed (reset, or finished): RFC 9113 §6.1 STREAM_CLOSED.
      this.queue(encodeRstStream(streamId, H2Error.streamClosed));
      return;
    }
    stream.handleData(unpaddedPayload(FrameType.data, flags, payload), payload.length,
      (flags & FrameFlag.endStream) !== 0);
  }

  private handleHeaders(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) {
      throw new H2ProtocolError(H2Error.protocolError, 'HEADERS on stream 0');
    }
    const fragment = unpaddedPayload(FrameType.headers, flags, payload);
    this.block = { streamId, endStream: (flags & FrameFlag.endStream) !== 0, chunks: [fragment],
      bytes: fragment.length };
    if ((flags & FrameFlag.endHeaders) !== 0) this.endHeaderBlock();
  }

  private handleContinuation(flags: number, streamId: number, payload: Buffer): void {
    const block = this.block;
    if (block === null || block.streamId !== streamId) {
      throw new H2ProtocolError(H2Error.protocolError, 'CONTINUATION without its HEADERS');
    }
    block.chunks.push(payload);
    block.bytes += payload.length;
    if (block.bytes > headerBlockBytesMax) {
      throw new H2ProtocolError(H2Error.enhanceYourCalm,
        `header block larger than ${headerBlockBytesMax} bytes`);
    }
    if ((flags & FrameFlag.endHeaders) !== 0) this.endHeaderBlock();
  }

  private endHeaderBlock(): void {
    const block = this.block!;
    this.block = null;
    const bytes = block.chunks.length === 1 ? block.chunks[0]! :
      Buffer.concat(block.chunks, block.bytes);
    let headers: string[] | null;
    try {
      headers = this.decoder.decode(bytes);
    } catch (error) {
      if (!(error instanceof HeaderListTooLargeError)) throw error;
      headers = null;
    }
    const existing = this.streams.get(block.streamId);
    if (existing !== undefined) {
      existing.handleHeaders(headers, block.endStream);
      return;
    }
    if (this.role === 'client') {
      // A stream we already forgot (reset or done), or one the server may not open.
      if (block.streamId % 2 === 0 || block.streamId >= this.streamIdNext) {
        throw new H2ProtocolError(H2Error.protocolError,
          `HEADERS on stream ${block.streamId}, which this client never opened`);
      }
      return;
    }
    this.openStream(block.streamId, headers, block.endStream);
  }

  private openStream(streamId: number, headers: string[] | null, endStream: boolean): void {
    if (streamId % 2 === 0 || streamId <= this.lastStreamId) {
      throw new H2ProtocolError(H2Error.protocolError,
        `stream id ${streamId} is not a new client stream`);
    }
    this.lastStreamId = streamId;
    if (this.goingAway) {
      this.queue(encodeRstStream(streamId, H2Error.refusedStream));
      return;
    }
    if (this.streams.size >= concurrentStreamsMax) {
      this.queue(encodeRstStream(streamId, H2Error.refusedStream));
      return;
    }
    const stream = new H2Stream(this, streamId, {
      sendWindowBytes: this.peerInitialWindowBytes, receiveWindowBytes: streamWindowBytes,
      queuedBytesHighWater: streamQueuedBytesHighWater,
    });
    this.streams.set(streamId, stream);
    stream.attach(this.host.openStream(stream, headers, endStream), endStream);
  }

  private handleRstStream(streamId: number, payload: Buffer): void {
    if (streamId === 0 || payload.length !== 4) {
      throw new H2ProtocolError(streamId === 0 ? H2Error.protocolError : H2Error.frameSizeError,
        'malformed RST_STREAM');
    }
    this.streams.get(streamId)?.handleReset(payload.readUInt32BE(0));
  }

  private handleSettings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new H2ProtocolError(H2Error.protocolError, 'SETTINGS on a stream');
    if ((flags & FrameFlag.ack) !== 0) {
      if (payload.length !== 0) {
        throw new H2ProtocolError(H2Error.frameSizeError, 'SETTINGS ack with a payload');
      }
      return;
    }
    if (payload.length % 6 !== 0) {
      throw new H2ProtocolError(H2Error.frameSizeError, 'SETTINGS payload not a multiple of 6');
    }
    for (let offset = 0; offset < payload.length; offset += 6) {
      this.applySetting(payload.readUInt16BE(offset), payload.readUInt32BE(offset + 2));
    }
    this.queue(settingsAck);
  }

  private applySetting(id: number, value: number): void {
    if (id === SettingId.initialWindowSize) {
      if (value > windowBytesMax) {
        throw new H2ProtocolError(H2Error.flowControlError, 'SETTINGS_INITIAL_WINDOW_SIZE too big');
      }
      const delta = value - this.peerInitialWindowBytes;
      this.peerInitialWindowBytes = value;
      for (const stream of this.streams.values()) stream.growSendWindow(delta);
      this.unblock();
    } else if (id === SettingId.maxFrameSize) {
      if (value < defaultFrameBytesMax || value > 0xffffff) {
        throw new H2ProtocolError(H2Error.protocolError, 'SETTINGS_MAX_FRAME_SIZE out of range');
      }
      this.peerFrameBytesMax = value;
    } else if (id === SettingId.maxConcurrentStreams) {
      this.peerStreamsMax = value;
    } else if (id === SettingId.enablePush && value > 1) {
      throw new H2ProtocolError(H2Error.protocolError, 'SETTINGS_ENABLE_PUSH out of range');
    }
    // NB: HEADER_TABLE_SIZE binds our encoder, which never uses the dynamic table;
    // MAX_CONCURRENT_STREAMS binds pushes, which we never make; unknown ids are ignored.
  }

  private handlePing(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new H2ProtocolError(H2Error.protocolError, 'PING on a stream');
    if (payload.length !== 8) throw new H2ProtocolError(H2Error.frameSizeError, 'PING not 8 bytes');
    if ((flags & FrameFlag.ack) === 0) {
      this.queue(encodeFrame(FrameType.ping, FrameFlag.ack, 0, payload));
    }
  }

  private handleGoAway(streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new H2ProtocolError(H2Error.protocolError, 'GOAWAY on a stream');
    if (payload.length < 8) throw new H2ProtocolError(H2Error.frameSizeError, 'short GOAWAY');
    // The peer opens (server role) or accepts (client role) no more streams: finish the open
    // ones, then close. A client's streams above the server's last one were never seen.
    this.goingAway = true;
    if (this.role === 'client') {
      const lastStreamId = payload.readUInt32BE(0) & 0x7fffffff;
      for (const stream of [...this.streams.values()]) {
        if (stream.id > lastStreamId) stream.handleReset(H2Error.refusedStream);
      }
    }
    this.maybeEnd();
  }

  private handleWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) {
      throw new H2ProtocolError(H2Error.frameSizeError, 'WINDOW_UPDATE not 4 bytes');
    }
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (streamId === 0) {
      if (increment === 0) {
        throw new H2ProtocolError(H2Error.protocolError, 'WINDOW_UPDATE of 0 on the connection');
      }
      this.sendWindowBytes += increment;
      if (this.sendWindowBytes > windowBytesMax) {
        throw new H2ProtocolError(H2Error.flowControlError, 'connection window above 2^31-1');
      }
      this.unblock();
      return;
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    if (increment === 0) {
      stream.reset(H2Error.protocolError);
      return;
    }
    stream.growSendWindow(increment);
  }

  private handlePriority(streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new H2ProtocolError(H2Error.protocolError, 'PRIORITY on stream 0');
    if (payload.length !== 5) {
      this.queue(encodeRstStream(streamId, H2Error.frameSizeError));
    }
  }
}
