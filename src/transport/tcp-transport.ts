/**
 * @module transport/tcp-transport
 * The peer transport: Raft messages between control-plane peers over plain TCP, one
 * connection per ordered pair of peers, carrying length-prefixed MessageBatch frames
 * (transport/wire-codec). It keeps the contract of the gRPC transport it replaced
 * (transport/grpc-transport, kept as the reference of the shared contract tests): bounded
 * queues, re-dial with capped backoff, cluster id checks, failure detection. Why: per frame,
 * @grpc/grpc-js and HTTP/2 cost more than everything else a follower did for it (perf, 256
 * puts in flight: ~16% of a follower's CPU in grpc-js and node's http2, for one frame in and
 * one out per Ready).
 *
 * ```
 *  dialer ──► hello (a frame without messages: cluster id, sender) ──► target
 *         ◄── ack (an empty frame: accepted; then at most one a second while frames come)
 *         ──► frame* ──► ... ──► goodbye (an empty frame: closing on purpose), FIN
 *  frame = u32 big-endian length | MessageBatch (proto/raft.proto)
 * ```
 * - Messages flow from dialer to target only. Per target:
 *   `send() --> [ bounded queue ] --> pump: one frame per write --> socket`; a slow or dead
 *   peer only fills its own queue (`queueMessagesMax`/`queueBytesMax`; beyond them new
 *   messages are dropped: Raft retransmits), and nothing is written before the connection
 *   is up, so a peer being dialed holds no more than its queue. A connection that breaks
 *   or a dial that fails drops the queue: those messages would be stale when a connection
 *   is up again (the gRPC transport lost them with its stream too).
 * - A broken connection is re-dialed with capped exponential backoff (50 ms doubling to
 *   250 ms), which restarts from 50 ms once the target acknowledges.
 * - Frames carry the cluster id; a frame from another cluster (or a malformed one) closes
 *   the connection without a report.
 * - Failure detection (`onPeerUnreachable`): when an acknowledged connection closes without
 *   a goodbye, or one from a known peer does, that peer's process most likely died (the
 *   kernel closes a dead process's sockets at once). Each broken connection is reported at
 *   most once, and re-dials that never connect report nothing. A connection whose frames go
 *   unacknowledged for `silenceMaxMs` (a black hole) is closed and reported as well, like
 *   the gRPC transport's keepalive.
 * - Plaintext only, like the default of the gRPC transport (TLS comes with the security
 *   issue: `node:tls` sockets fit the same code).
 */
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Message, NodeId } from '../raft/types.js';
import { assert } from '../util/assert.js';
import type { Logger } from '../util/logger.js';
import type { TransportStats } from './grpc-transport.js';
import { decodeBatch, encodeBatch } from './wire-codec.js';
import type { DecodedBatch } from './wire-codec.js';

/** Options of the peer transport; every queue and frame size is bounded. */
export interface TCPTransportOptions {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  /** host:port to listen on for peers. */
  readonly listen: string;
  /** Receives every batch of messages from peers, in arrival order per peer. */
  readonly onMessages: (messages: Message[]) => void;
  /**
   * Called when peer `id` looks dead (see the module comment): at most once per broken
   * connection, in either direction. A hint, not a verdict: the receiver MUST stay correct
   * when the peer is alive.
   */
  readonly onPeerUnreachable?: (id: NodeId) => void;
  readonly logger: Logger;
  /** Messages queued per peer at most (default 4096); beyond it new ones are dropped. */
  readonly queueMessagesMax?: number;
  /** Bytes of entry data queued per peer at most (default 64 MiB). */
  readonly queueBytesMax?: number;
  /** Bytes of entry data per frame at most (default 4 MiB; one message always fits). */
  readonly frameBytesMax?: number;
  /**
   * How long a dialer waits for the target to acknowledge a frame before it closes the
   * connection as a black hole and reports the peer, ms (default 20,000, as gRPC's
   * keepalive timeout; checked every quarter of it, at most every 5 s).
   */
  readonly silenceMaxMs?: number;
}

/** Largest frame a peer accepts (a snapshot chunk plus a batch of entries). */
export const peerFrameBytesMax = 64 * 1024 * 1024;
const backoffStartMs = 50;
/** Longest wait between two dials of a peer, ms (as the gRPC transport's, see there). */
const backoffMaxMs = 250;
/** How long a closed link waits for the target to close after its goodbye, ms. */
const closeGraceMs = 1000;
/** The target acknowledges frames at most this often, ms (liveness for the dialer). */
const ackIntervalMs = 1000;
/** A dialer closes a connection whose frames went unacknowledged this long, ms (default). */
export const silenceMaxMsDefault = 20_000;
/** How often links check for silence at most, ms. */
const silenceCheckMsMax = 5000;
const frameHeaderBytes = 4;
/** An empty frame: the target's ack, the dialer's goodbye. */
const emptyFrame = Buffer.alloc(frameHeaderBytes);

function messageBytes(message: Message): number {
  let bytes = 64;
  for (const entry of message.entries) bytes += entry.data.length + 24;
  if (message.snapshot !== null) bytes += message.snapshot.data.length;
  return bytes;
}

function splitHostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`bad peer address ${address} (want host:port)`);
  }
  return { host: host === '' ? '127.0.0.1' : host, port };
}

/**
 * FrameReader cuts a byte stream into frames: u32 length | body. Bodies are views of the
 * received chunks when a chunk holds them whole, else one copy.
 */
class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Adds `chunk` and hands every complete frame's body to `frame`; false on a bad length. */
  push(chunk: Buffer, frame: (body: Buffer) => boolean): boolean {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= frameHeaderBytes) {
      const head = this.chunks[0]!.length >= frameHeaderBytes ? this.chunks[0]!
        : this.take(frameHeaderBytes, false);
      const length = head.readUInt32BE(0);
      if (length > peerFrameBytesMax) return false;
      if (this.buffered < frameHeaderBytes + length) return true;
      const whole = this.take(frameHeaderBytes + length, true);
      if (!frame(whole.subarray(frameHeaderBytes))) return false;
    }
    return true;
  }

  /** Returns the first `count` buffered bytes (one array), consuming them when `consume`. */
  private take(count: number, consume: boolean): Buffer {
    const first = this.chunks[0]!;
    let bytes: Buffer;
    if (first.length >= count) {
      bytes = first.subarray(0, count);
    } else {
      bytes = Buffer.concat(this.chunks, count);
    }
    if (!consume) {
      this.chunks = [bytes, ...this.consumeFrom(count)];
      return bytes;
    }
    this.chunks = this.consumeFrom(count);
    this.buffered -= count;
    assert(this.buffered >= 0, 'a frame never takes more than was buffered');
    return bytes;
  }

  /** The chunks left once the first `count` bytes are gone. */
  private consumeFrom(count: number): Buffer[] {
    let rest = count;
    let index = 0;
    while (rest > 0 && rest >= this.chunks[index]!.length) {
      rest -= this.chunks[index]!.length;
      index++;
    }
    const left = this.chunks.slice(index);
    if (rest > 0) left[0] = left[0]!.subarray(rest);
    return left;
  }
}

/** TCPTransport connects this peer to the others (see the module comment). */
export class TCPTransport {
  readonly stats: TransportStats = {
    sentMessages: 0, droppedMessages: 0, receivedMessages: 0, rejectedFrames: 0,
    establishedStreams: 0, unreachableReports: 0,
  };
  private readonly server: Server;
  private readonly peers = new Map<NodeId, PeerLink>();
  private readonly inbound = new Set<Socket>();
  private silenceTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  /** Creates the transport; call `start` to listen. */
  constructor(private readonly options: TCPTransportOptions) {
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Starts listening; resolves with the bound port. */
  start(): Promise<number> {
    const { host, port } = splitHostPort(this.options.listen);
    const silenceMaxMs = this.options.silenceMaxMs ?? silenceMaxMsDefault;
    this.silenceTimer = setInterval(() => {
      for (const peer of this.peers.values()) peer.checkSilence(Date.now(), silenceMaxMs);
    }, Math.min(silenceCheckMsMax, Math.max(1, Math.floor(silenceMaxMs / 4))));
    this.silenceTimer.unref();
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Adds or re-addresses a peer; messages to it are sent from now on. */
  setPeer(id: NodeId, address: string): void {
    if (id === this.options.nodeId || this.stopped) return;
    const existing = this.peers.get(id);
    if (existing?.address === address) return;
    existing?.close();
    const link = new PeerLink(id, address, this.options, this.stats);
    this.peers.set(id, link);
    link.connect();
  }

  /** Forgets a peer (removed from the cluster). */
  removePeer(id: NodeId): void {
    this.peers.get(id)?.close();
    this.peers.delete(id);
  }

  /** Returns the ids of known peers. */
  peerIds(): NodeId[] {
    return [...this.peers.keys()];
  }

  /**
   * Queues messages for their targets and writes them now, one frame per target for the
   * whole call (messages to unknown peers are dropped).
   */
  send(messages: readonly Message[]): void {
    let touched: PeerLink | null = null;
    let more: Set<PeerLink> | null = null;
    for (const message of messages) {
      const peer = this.peers.get(message.to);
      if (peer === undefined) {
        this.stats.droppedMessages++;
        continue;
      }
      peer.enqueue(message);
      if (touched === null) touched = peer;
      else if (touched !== peer) (more ??= new Set()).add(peer);
    }
    touched?.pump();
    if (more !== null) for (const peer of more) peer.pump();
  }

  /** Stops every link and the server. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.silenceTimer !== null) clearInterval(this.silenceTimer);
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      // Connections from peers never end by themselves: close them shortly after.
      setTimeout(() => {
        for (const socket of this.inbound) socket.destroy();
      }, 200).unref();
    });
  }

  private accept(socket: Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.setNoDelay(true);
    /** The dialing peer, known from its hello. */
    let from: NodeId | null = null;
    /** True once the dialer said goodbye, or the connection was refused: no report. */
    let quiet = false;
    const reader = new FrameReader();
    const acks = new Acknowledger(socket);
    const onFrame = (body: Buffer): boolean => {
      if (body.length === 0) {
        quiet = true;
        return true;
      }
      const batch = this.acceptedBatch(body);
      if (batch === null) return false;
      from ??= batch.from;
      acks.received();
      if (batch.messages.length > 0) {
        this.stats.receivedMessages += batch.messages.length;
        this.options.onMessages(batch.messages);
      }
      return true;
    };
    socket.on('data', (chunk: Buffer) => {
      if (!reader.push(chunk, onFrame)) {
        quiet = true;
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      acks.stop();
      this.inbound.delete(socket);
      if (from === null || quiet || this.stopped) return;
      this.stats.unreachableReports++;
      this.options.onPeerUnreachable?.(from);
    });
  }

  /** Decodes and checks a frame; null (counted, logged) when it is refused. */
  private acceptedBatch(body: Buffer): DecodedBatch | null {
    let batch: DecodedBatch;
    try {
      batch = decodeBatch(body);
    } catch (error) {
      this.stats.rejectedFrames++;
      this.options.logger.warn({ err: String(error) }, 'rejected a malformed peer frame');
      return null;
    }
    if (batch.clusterId !== this.options.clusterId) {
      this.stats.rejectedFrames++;
      this.options.logger.warn({ from: batch.from, clusterId: batch.clusterId },
        'rejected a peer stream from another cluster');
      return null;
    }
    return batch;
  }
}

/**
 * Acknowledger answers a dialer's frames with empty frames: the first at once (the hello's
 * answer), then every frame within `ackIntervalMs`, at most one ack per interval.
 */
class Acknowledger {
  private ackedAtMs = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly socket: Socket) {}

  /** Notes a received frame. */
  received(): void {
    if (this.timer !== null) return;
    const waitMs = this.ackedAtMs + ackIntervalMs - Date.now();
    if (waitMs <= 0) {
      this.ack();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ack();
    }, waitMs);
  }

  /** Stops acknowledging (the connection closed). */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private ack(): void {
    this.ackedAtMs = Date.now();
    if (!this.socket.destroyed) this.socket.write(emptyFrame);
  }
}

/** Writes `messages` as one frame: its length, then the MessageBatch. */
function encodeFrame(options: TCPTransportOptions, messages: readonly Message[]): Buffer {
  const frame = encodeBatch(options.clusterId, options.nodeId, messages,
    { prefixBytes: frameHeaderBytes });
  const buffer = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  buffer.writeUInt32BE(buffer.length - frameHeaderBytes, 0);
  return buffer;
}

/** PeerLink owns the bounded queue and the connection to one peer. */
class PeerLink {
  private queue: Message[] = [];
  private queuedBytes = 0;
  private socket: Socket | null = null;
  /** True once the TCP connection is up (frames are written only then). */
  private connected = false;
  /** True once the target acknowledged the hello. */
  private established = false;
  private writable = true;
  private closed = false;
  private backoffMs = backoffStartMs;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** When the first frame not yet acknowledged was written (0: none). */
  private unackedSinceMs = 0;
  private readonly host: string;
  private readonly port: number;

  constructor(
    readonly id: NodeId,
    readonly address: string,
    private readonly options: TCPTransportOptions,
    private readonly stats: TransportStats,
  ) {
    ({ host: this.host, port: this.port } = splitHostPort(address));
  }

  /** Queues `message` (dropped when the queue is full or the link closed). */
  enqueue(message: Message): void {
    const bytes = messageBytes(message);
    const messagesMax = this.options.queueMessagesMax ?? 4096;
    const bytesMax = this.options.queueBytesMax ?? 64 * 1024 * 1024;
    if (this.closed || this.queue.length >= messagesMax || this.queuedBytes + bytes > bytesMax) {
      this.stats.droppedMessages++;
      return;
    }
    this.queue.push(message);
    this.queuedBytes += bytes;
  }

  /** Dials now (see the gRPC transport: a ready connection when an election needs one). */
  connect(): void {
    if (this.closed || this.socket !== null || this.reconnectTimer !== null) return;
    const socket = connect({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    this.socket = socket;
    this.connected = false;
    this.established = false;
    this.writable = true;
    this.unackedSinceMs = 0;
    socket.on('connect', () => {
      if (this.socket !== socket) return;
      this.connected = true;
      socket.write(encodeFrame(this.options, []));
      this.pump();
    });
    socket.on('data', () => this.onAck(socket));
    socket.on('drain', () => {
      if (this.socket !== socket) return;
      this.writable = true;
      this.pump();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.onClosed(socket));
  }

  /** Writes what is queued (as far as the connection takes it). */
  pump(): void {
    const socket = this.socket;
    if (socket === null || !this.connected) return;
    while (!this.closed && this.writable && this.queue.length > 0) {
      const frame = this.takeFrame();
      this.stats.sentMessages += frame.length;
      if (this.unackedSinceMs === 0) this.unackedSinceMs = Date.now();
      this.writable = socket.write(encodeFrame(this.options, frame));
    }
  }

  /** Closes a connection whose frames went unacknowledged too long (a black hole). */
  checkSilence(nowMs: number, silenceMaxMs: number): void {
    if (this.socket === null || this.unackedSinceMs === 0) return;
    if (nowMs - this.unackedSinceMs < silenceMaxMs) return;
    this.options.logger.warn({ peer: this.id }, 'peer connection silent: closing it');
    this.socket.destroy();
  }

  /** Says goodbye and closes the connection; the link is done. */
  close(): void {
    this.closed = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.queue = [];
    this.queuedBytes = 0;
    const socket = this.socket;
    this.socket = null;
    if (socket === null) return;
    if (this.connected) socket.end(emptyFrame);
    else socket.destroy();
    setTimeout(() => socket.destroy(), closeGraceMs).unref();
  }

  private onAck(socket: Socket): void {
    if (this.socket !== socket) return;
    this.unackedSinceMs = 0;
    if (this.established) return;
    this.established = true;
    this.backoffMs = backoffStartMs;
    this.stats.establishedStreams++;
  }

  private onClosed(socket: Socket): void {
    if (this.closed || this.socket !== socket) return;
    this.socket = null;
    const established = this.established;
    this.established = false;
    this.connected = false;
    this.writable = true;
    // Messages queued for a connection that broke, or a dial that failed, would be stale by
    // the time a connection is up: a restarted follower was sent seconds of old appends
    // instead of the snapshot it needed. Raft re-sends what matters (probes, snapshots).
    this.stats.droppedMessages += this.queue.length;
    this.queue = [];
    this.queuedBytes = 0;
    if (established) {
      this.stats.unreachableReports++;
      this.options.onPeerUnreachable?.(this.id);
    }
    const delayMs = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, backoffMaxMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      // Re-dial even with nothing to send, so the connection is up when an election needs
      // it: a follower's link to another follower carries nothing for long stretches.
      this.connect();
    }, delayMs);
  }

  private takeFrame(): Message[] {
    const frameBytesMax = this.options.frameBytesMax ?? 4 * 1024 * 1024;
    let bytes = 0;
    let count = 0;
    while (count < this.queue.length) {
      const next = messageBytes(this.queue[count]!);
      if (count > 0 && bytes + next > frameBytesMax) break;
      bytes += next;
      count++;
    }
    const frame = count === this.queue.length ? this.queue : this.queue.slice(0, count);
    this.queue = count === this.queue.length ? [] : this.queue.slice(count);
    this.queuedBytes -= bytes;
    return frame;
  }
}
