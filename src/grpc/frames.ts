/**
 * @module grpc/frames
 * HTTP/2 framing (RFC 9113 §4, §6) for the hand-written gRPC server: the frame, flag, error and
 * setting codes, a reader that cuts a TCP byte stream into frames without copying payloads,
 * and writers that encode frames straight into one output buffer.
 *
 * Contract of `FrameReader`:
 * - `push(chunk)` hands every complete frame to `onFrame` in order; a payload is a view of
 *   the received chunk (or of one small concatenation when a frame straddles two chunks),
 *   valid only until the callback returns unless the receiver keeps it (a view keeps its
 *   chunk alive, so a receiver that stores bytes for long MUST copy them).
 * - A frame longer than `frameBytesMax` (our SETTINGS_MAX_FRAME_SIZE) is a FRAME_SIZE_ERROR:
 *   `push` throws `H2ProtocolError` and the connection is closed with GOAWAY.
 */

/** The HTTP/2 connection preface a client sends first (RFC 9113 §3.4). */
export const clientPreface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Bytes of a frame header: length (24 bits), type, flags, stream id (31 bits). */
export const frameHeaderBytes = 9;

/** Frame types (RFC 9113 §6). */
export const FrameType = {
  data: 0x0,
  headers: 0x1,
  priority: 0x2,
  rstStream: 0x3,
  settings: 0x4,
  pushPromise: 0x5,
  ping: 0x6,
  goAway: 0x7,
  windowUpdate: 0x8,
  continuation: 0x9,
} as const;

/** Frame flags (RFC 9113 §6). */
export const FrameFlag = {
  endStream: 0x1,
  ack: 0x1,
  endHeaders: 0x4,
  padded: 0x8,
  priority: 0x20,
} as const;

/** Error codes of RST_STREAM and GOAWAY (RFC 9113 §7). */
export const H2Error = {
  noError: 0x0,
  protocolError: 0x1,
  internalError: 0x2,
  flowControlError: 0x3,
  settingsTimeout: 0x4,
  streamClosed: 0x5,
  frameSizeError: 0x6,
  refusedStream: 0x7,
  cancel: 0x8,
  compressionError: 0x9,
  connectError: 0xa,
  enhanceYourCalm: 0xb,
  inadequateSecurity: 0xc,
  http11Required: 0xd,
} as const;

/**
 * Not an HTTP/2 code: what a stream's listener hears as its reset code when the connection
 * itself is gone (socket closed or destroyed); nothing is sent with it.
 */
export const connectionLostCode = -1;

/** SETTINGS identifiers (RFC 9113 §6.5.2). */
export const SettingId = {
  headerTableSize: 0x1,
  enablePush: 0x2,
  maxConcurrentStreams: 0x3,
  initialWindowSize: 0x4,
  maxFrameSize: 0x5,
  maxHeaderListSize: 0x6,
} as const;

/** Largest flow-control window (RFC 9113 §6.9.1): 2^31 - 1. */
export const windowBytesMax = 0x7fffffff;

/** The default SETTINGS_INITIAL_WINDOW_SIZE and connection window (RFC 9113 §6.9.2). */
export const defaultWindowBytes = 65_535;

/** The default and smallest SETTINGS_MAX_FRAME_SIZE (RFC 9113 §6.5.2). */
export const defaultFrameBytesMax = 16_384;

/**
 * H2ProtocolError is a connection error (RFC 9113 §5.4.1): the connection sends GOAWAY with
 * `errorCode` and closes.
 */
export class H2ProtocolError extends Error {
  /** Creates the error with the GOAWAY code to send. */
  constructor(readonly errorCode: number, message: string) {
    super(message);
    this.name = 'H2ProtocolError';
  }
}

/** Receives one frame; `payload` is only valid during the call (see the module comment). */
export type FrameReceiver = (type: number, flags: number, streamId: number,
  payload: Buffer) => void;

/** FrameReader cuts a byte stream into HTTP/2 frames (see the module comment). */
export class FrameReader {
  private pending: Buffer | null = null;

  /** Creates a reader that accepts frames of at most `frameBytesMax` payload bytes. */
  constructor(private readonly frameBytesMax: number, private readonly onFrame: FrameReceiver) {}

  /** Bytes of an incomplete frame held back for the next chunk. */
  get pendingBytes(): number {
    return this.pending === null ? 0 : this.pending.length;
  }

  /** Parses `chunk` (after what is pending) and delivers every complete frame. */
  push(chunk: Buffer): void {
    let bytes = chunk;
    if (this.pending !== null) {
      bytes = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let offset = 0;
    const end = bytes.length;
    while (end - offset >= frameHeaderBytes) {
      const length = (bytes[offset]! << 16) | (bytes[offset + 1]! << 8) | bytes[offset + 2]!;
      if (length > this.frameBytesMax) {
        throw new H2ProtocolError(H2Error.frameSizeError,
          `frame of ${length} bytes is larger than SETTINGS_MAX_FRAME_SIZE ${this.frameBytesMax}`);
      }
      const payloadStart = offset + frameHeaderBytes;
      if (end - payloadStart < length) break;
      const type = bytes[offset + 3]!;
      const flags = bytes[offset + 4]!;
      const streamId = bytes.readUInt32BE(offset + 5) & 0x7fffffff;
      offset = payloadStart + length;
      this.onFrame(type, flags, streamId, bytes.subarray(payloadStart, offset));
    }
    if (offset < end) {
      // NB: a copy, so that the pending bytes do not pin a large chunk.
      this.pending = Buffer.from(bytes.subarray(offset));
    }
  }
}

/** Writes a frame header at `offset` of `target`; returns the offset after it. */
export function writeFrameHeader(target: Buffer, offset: number,
  frame: { length: number; type: number; flags: number; streamId: number }): number {
  target[offset] = (frame.length >>> 16) & 0xff;
  target[offset + 1] = (frame.length >>> 8) & 0xff;
  target[offset + 2] = frame.length & 0xff;
  target[offset + 3] = frame.type;
  target[offset + 4] = frame.flags;
  target.writeUInt32BE(frame.streamId, offset + 5);
  return offset + frameHeaderBytes;
}

/** Encodes one whole frame with `payload` into a new buffer. */
export function encodeFrame(type: number, flags: number, streamId: number,
  payload: Uint8Array = emptyPayload): Buffer {
  const frame = Buffer.allocUnsafe(frameHeaderBytes + payload.length);
  writeFrameHeader(frame, 0, { length: payload.length, type, flags, streamId });
  frame.set(payload, frameHeaderBytes);
  return frame;
}

const emptyPayload = new Uint8Array(0);

/** Encodes a SETTINGS frame with the given (id, value) pairs. */
export function encodeSettings(settings: ReadonlyArray<readonly [number, number]>): Buffer {
  const payload = Buffer.allocUnsafe(settings.length * 6);
  settings.forEach(([id, value], index) => {
    payload.writeUInt16BE(id, index * 6);
    payload.writeUInt32BE(value, index * 6 + 2);
  });
  return encodeFrame(FrameType.settings, 0, 0, payload);
}

/** Encodes a WINDOW_UPDATE frame granting `incrementBytes` on `streamId` (0: connection). */
export function encodeWindowUpdate(streamId: number, incrementBytes: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(incrementBytes, 0);
  return encodeFrame(FrameType.windowUpdate, 0, streamId, payload);
}

/** Encodes an RST_STREAM frame. */
export function encodeRstStream(streamId: number, errorCode: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(errorCode, 0);
  return encodeFrame(FrameType.rstStream, 0, streamId, payload);
}

/** Encodes a GOAWAY frame naming the last stream the server will process. */
export function encodeGoAway(lastStreamId: number, errorCode: number, debug = ''): Buffer {
  const debugBytes = Buffer.from(debug, 'utf8');
  const payload = Buffer.allocUnsafe(8 + debugBytes.length);
  payload.writeUInt32BE(lastStreamId, 0);
  payload.writeUInt32BE(errorCode, 4);
  debugBytes.copy(payload, 8);
  return encodeFrame(FrameType.goAway, 0, 0, payload);
}

/**
 * Returns the payload of a HEADERS or DATA frame without its padding and (HEADERS) priority
 * fields (RFC 9113 §6.1, §6.2); padding that reaches past the payload is a PROTOCOL_ERROR.
 */
export function unpaddedPayload(type: number, flags: number, payload: Buffer): Buffer {
  let start = 0;
  let end = payload.length;
  if ((flags & FrameFlag.padded) !== 0) {
    if (payload.length < 1) {
      throw new H2ProtocolError(H2Error.protocolError, 'padded frame without a pad length');
    }
    start = 1;
    end -= payload[0]!;
  }
  if (type === FrameType.headers && (flags & FrameFlag.priority) !== 0) start += 5;
  if (end < start) {
    throw new H2ProtocolError(H2Error.protocolError, 'padding longer than the frame payload');
  }
  return payload.subarray(start, end);
}
