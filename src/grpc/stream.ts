/**
 * @module grpc/stream
 * One HTTP/2 stream of a server connection (RFC 9113 §5.1): its receive and send windows,
 * its queue of response data, and its half-closed states.
 *
 * ```
 *            HEADERS            END_STREAM received
 *   (idle) ---------> open ---------------------> half-closed (remote)
 *                      |                                 |
 *                      | trailers sent                   | trailers sent
 *                      v                                 v
 *             half-closed (local) -- END_STREAM --> closed <-- RST_STREAM (either side)
 * ```
 * When we send our trailers before the client has ended its side, we follow them with
 * RST_STREAM NO_ERROR (RFC 9113 §8.1, as grpc-go does), so the stream closes at once.
 */
import { encodeFrame, encodeRstStream, encodeWindowUpdate, FrameFlag, frameHeaderBytes,
  FrameType, H2Error, windowBytesMax, writeFrameHeader } from './frames.js';
import type { H2Connection } from './connection.js';

/** StreamListener is what a stream tells the layer above (the gRPC call). */
export interface StreamListener {
  /**
   * A header block arrived on an open stream: the response headers or trailers (client
   * role), or request trailers (server role, ignored by gRPC). `headers` is null when the
   * list was too large. `endStream` is delivered by `onData` right after.
   */
  onHeaders?(headers: string[] | null, endStream: boolean): void;
  /**
   * Request bytes arrived (a view valid during the call), or the client ended its side
   * (`endStream`, possibly with an empty chunk).
   */
  onData(chunk: Buffer, endStream: boolean): void;
  /** The stream was reset by the client, by a protocol error, or by the connection closing. */
  onReset(errorCode: number): void;
  /** Queued response data went back below the high-water mark after `writeData` said false. */
  onDrain(): void;
}

/** Window sizes and bounds of a new stream. */
export interface StreamWindows {
  /** The client's SETTINGS_INITIAL_WINDOW_SIZE: what we may send before it grants more. */
  readonly sendWindowBytes: number;
  /** Our SETTINGS_INITIAL_WINDOW_SIZE: what the client may send before we grant more. */
  readonly receiveWindowBytes: number;
  /** Queued response bytes at which `writeData` starts returning false. */
  readonly queuedBytesHighWater: number;
}

/** H2Stream is one stream of an `H2Connection` (see the module comment). */
export class H2Stream {
  private listener: StreamListener | null = null;
  private remoteClosed = false;
  private localClosed = false;
  private headersSent = false;
  private sendWindowBytes: number;
  private receiveWindowBytes: number;
  private ungrantedBytes = 0;
  private readingPaused = false;
  private readonly queue: Buffer[] = [];
  private queueHeadOffset = 0;
  private queuedBytes = 0;
  private trailers: Buffer | null = null;
  private needDrain = false;
  private heldBytes = 0;
  private endAfterData = false;

  /** Creates stream `id` of `connection`. */
  constructor(private readonly connection: H2Connection, readonly id: number,
    private readonly windows: StreamWindows) {
    this.sendWindowBytes = windows.sendWindowBytes;
    this.receiveWindowBytes = windows.receiveWindowBytes;
  }

  /** Whether we have sent our END_STREAM or a reset (nothing more can be sent). */
  get isLocalClosed(): boolean {
    return this.localClosed;
  }

  /** Whether response headers went out already. */
  get hasSentHeaders(): boolean {
    return this.headersSent;
  }

  /** Connects the listener; an END_STREAM on the request headers is delivered now. */
  attach(listener: StreamListener, endStream: boolean): void {
    this.listener = listener;
    if (endStream) this.handleData(Buffer.alloc(0), 0, true);
  }

  /** Handles a header block on this open stream (see StreamListener.onHeaders). */
  handleHeaders(headers: string[] | null, endStream: boolean): void {
    if (this.remoteClosed) {
      this.reset(H2Error.streamClosed);
      return;
    }
    if (this.connection.role === 'server' && !endStream) {
      // Request trailers MUST end the stream (RFC 9113 §8.1).
      this.reset(H2Error.protocolError);
      this.listener?.onReset(H2Error.protocolError);
      return;
    }
    this.listener?.onHeaders?.(headers, endStream);
    if (endStream) this.handleData(Buffer.alloc(0), 0, true);
  }

  /**
   * Client role: ends our side (END_STREAM on an empty DATA frame) once every queued byte
   * is out; the stream stays open for the server's answer.
   */
  end(): void {
    if (this.localClosed || this.endAfterData) return;
    this.endAfterData = true;
    this.flushData();
  }

  /** Handles one DATA frame's payload (`frameBytes` counted against the window). */
  handleData(payload: Buffer, frameBytes: number, endStream: boolean): void {
    if (this.remoteClosed) {
      this.reset(H2Error.streamClosed);
      return;
    }
    this.receiveWindowBytes -= frameBytes;
    if (this.receiveWindowBytes < 0) {
      this.reset(H2Error.flowControlError);
      this.listener?.onReset(H2Error.flowControlError);
      return;
    }
    if (endStream) {
      this.remoteClosed = true;
    } else if (frameBytes > 0) {
      this.ungrantedBytes += frameBytes;
      this.maybeGrant();
    }
    this.listener?.onData(payload, endStream);
    if (this.remoteClosed && this.localClosed) this.connection.forget(this);
  }

  /** Stops granting the client window: at most one window more will arrive. */
  pauseReading(): void {
    this.readingPaused = true;
  }

  /** Grants what was withheld while paused. */
  resumeReading(): void {
    this.readingPaused = false;
    this.maybeGrant(true);
  }

  /** The listener holds `bytes` more request bytes undispatched (negative: fewer). */
  hold(bytes: number): void {
    this.heldBytes += bytes;
    this.connection.adjustHeld(bytes);
  }

  /** Sends the response HEADERS block (not flow-controlled). */
  sendHeaders(block: Buffer, endStream: boolean): void {
    if (this.localClosed) return;
    this.headersSent = true;
    this.connection.queue(encodeFrame(FrameType.headers,
      FrameFlag.endHeaders | (endStream ? FrameFlag.endStream : 0), this.id, block));
    if (endStream) this.finishLocal();
  }

  /**
   * Sends a whole response at once when the windows allow it: the HEADERS block, `payload`
   * as one DATA frame and the trailers block, built into one buffer (the unary fast path:
   * one allocation instead of five). Returns false, having sent nothing, when it cannot.
   */
  sendWhole(headersBlock: Buffer, payload: Buffer, trailersBlock: Buffer): boolean {
    if (this.localClosed || this.headersSent || this.queue.length > 0
      || payload.length > this.sendWindowBytes
      || !this.connection.tryTakeSendWindow(payload.length)) {
      return false;
    }
    const out = Buffer.allocUnsafe(3 * frameHeaderBytes + headersBlock.length + payload.length
      + trailersBlock.length);
    let at = writeFrameHeader(out, 0, { length: headersBlock.length, type: FrameType.headers,
      flags: FrameFlag.endHeaders, streamId: this.id });
    at += headersBlock.copy(out, at);
    at = writeFrameHeader(out, at, { length: payload.length, type: FrameType.data, flags: 0,
      streamId: this.id });
    at += payload.copy(out, at);
    at = writeFrameHeader(out, at, { length: trailersBlock.length, type: FrameType.headers,
      flags: FrameFlag.endHeaders | FrameFlag.endStream, streamId: this.id });
    trailersBlock.copy(out, at);
    this.sendWindowBytes -= payload.length;
    this.headersSent = true;
    this.connection.queue(out);
    this.finishLocal();
    return true;
  }

  /**
   * Queues response bytes; sends what the windows allow now. Returns false once the queued
   * bytes reach the high-water mark (then `onDrain` follows).
   */
  writeData(payload: Buffer): boolean {
    if (this.localClosed) return false;
    this.queue.push(payload);
    this.queuedBytes += payload.length;
    // Sent at the connection's flush (this tick), together with whatever else this stream
    // writes before then.
    this.connection.markDirty(this);
    if (this.queuedBytes >= this.windows.queuedBytesHighWater) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  /** Sends the trailers once every queued byte is out; the stream then closes. */
  sendTrailers(block: Buffer): void {
    if (this.localClosed || this.trailers !== null) return;
    this.trailers = block;
    this.flushData();
  }

  /** Resets the stream from our side with `errorCode`. */
  reset(errorCode: number): void {
    if (this.localClosed && this.remoteClosed) return;
    this.connection.queue(encodeRstStream(this.id, errorCode));
    this.close();
  }

  /** The client reset the stream, or the connection closed. */
  handleReset(errorCode: number): void {
    if (this.localClosed && this.remoteClosed) return;
    this.close();
    this.listener?.onReset(errorCode);
  }

  /** Adds `delta` bytes (may be negative, from SETTINGS) to the send window. */
  growSendWindow(delta: number): void {
    this.sendWindowBytes += delta;
    if (this.sendWindowBytes > windowBytesMax) {
      this.reset(H2Error.flowControlError);
      this.listener?.onReset(H2Error.flowControlError);
      return;
    }
    if (this.sendWindowBytes > 0 && this.queuedBytes > 0) this.flushData();
  }

  /** Sends queued data as far as the windows allow, then the trailers when all is out. */
  flushData(): void {
    // NB: as many queued messages as fit go into ONE DATA frame (a frame may carry several
    // gRPC messages): a watch stream writing a response per watcher per revision then
    // costs a frame per 16 KiB rather than per message, on both ends of the connection.
    while (this.queue.length > 0 && !this.localClosed) {
      const want = Math.min(this.queuedBytes, this.sendWindowBytes);
      const granted = want > 0 ? this.connection.takeSendWindow(want) : 0;
      if (granted === 0) {
        this.connection.markBlocked(this);
        break;
      }
      this.connection.queueDataHeader(this.id, granted);
      this.sendWindowBytes -= granted;
      this.queuedBytes -= granted;
      for (let left = granted; left > 0;) {
        const head = this.queue[0]!;
        const end = Math.min(head.length, this.queueHeadOffset + left);
        this.connection.queue(this.queueHeadOffset === 0 && end === head.length ? head
          : head.subarray(this.queueHeadOffset, end));
        left -= end - this.queueHeadOffset;
        if (end === head.length) {
          this.queue.shift();
          this.queueHeadOffset = 0;
        } else {
          this.queueHeadOffset = end;
        }
      }
    }
    if (this.queue.length === 0 && this.trailers !== null && !this.localClosed) {
      this.sendHeaders(this.trailers, true);
    }
    if (this.queue.length === 0 && this.endAfterData && !this.localClosed) {
      this.connection.queueData(this.id, Buffer.alloc(0), true);
      this.localClosed = true;
      if (this.remoteClosed) this.connection.forget(this);
    }
    if (this.needDrain && this.queuedBytes < this.windows.queuedBytesHighWater) {
      this.needDrain = false;
      queueMicrotask(() => {
        if (!this.localClosed) this.listener?.onDrain();
      });
    }
  }

  private maybeGrant(force = false): void {
    if (this.readingPaused || this.remoteClosed || this.ungrantedBytes === 0) return;
    if (!force && this.ungrantedBytes < this.windows.receiveWindowBytes / 4) return;
    this.connection.queue(encodeWindowUpdate(this.id, this.ungrantedBytes));
    this.receiveWindowBytes += this.ungrantedBytes;
    this.ungrantedBytes = 0;
  }

  private finishLocal(): void {
    this.localClosed = true;
    this.dropQueue();
    if (!this.remoteClosed && this.connection.role === 'server') {
      // NB: the client has not ended its side; tell it we read no more (RFC 9113 §8.1).
      this.connection.queue(encodeRstStream(this.id, H2Error.noError));
      this.remoteClosed = true;
    }
    if (this.remoteClosed) this.connection.forget(this);
  }

  private close(): void {
    this.localClosed = true;
    this.remoteClosed = true;
    this.dropQueue();
    this.connection.forget(this);
  }

  private dropQueue(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.trailers = null;
    if (this.heldBytes !== 0) {
      this.connection.adjustHeld(-this.heldBytes);
      this.heldBytes = 0;
    }
  }
}
