/**
 * @module transport/grpc-transport
 * The peer transport: Raft messages between control-plane peers over gRPC, spoken by
 * Coracle's own HTTP/2 code (src/grpc: GRPCServer to accept, GRPCClientConnection to dial).
 * It was @grpc/grpc-js, whose client channel and Node's http2 session cost CPU and an event-
 * loop turn per message on every hop of the commit path; the wire format is unchanged.
 *
 * Each peer dials every other peer and keeps ONE long-lived client stream to it
 * (`coracle.raft.Raft/Stream`), dialed as soon as the peer is known and re-dialed whenever
 * it breaks, with or without messages to send; messages flow from dialer to target only,
 * so each ordered pair of peers has its own stream. Per target:
 *
 * ```
 *   send() --> [ bounded queue ] --> pump: one MessageBatch frame per write --> stream
 *                 | full: drop the message (Raft retransmits; the leader probes again)
 * ```
 * - A slow or dead peer only fills its own queue: the pump waits for the stream to drain,
 *   and new messages beyond `queueMessagesMax`/`queueBytesMax` are dropped, never buffered.
 * - A broken stream is re-dialed with capped exponential backoff (50 ms doubling to 250 ms),
 *   which restarts from 50 ms once a stream is answered.
 * - Snapshot chunks are ordinary messages: the core sends one chunk at a time and waits for
 *   its acknowledgement, which is the flow control of a snapshot transfer.
 * - Frames carry the cluster id; a frame from another cluster closes the stream.
 * - Failure detection (optional `onPeerUnreachable`): the target answers a new stream with
 *   its headers at once, so the dialer knows the stream is established. When an established
 *   stream ends with UNAVAILABLE, or a stream from a peer aborts, the peer's process most
 *   likely died: the kernel closes a dead process's sockets, and grpc-js sees that at once,
 *   long before Raft's election timeout. Each broken stream is reported at most once, and a
 *   re-dial that never connects reports nothing, so a dead peer causes no stream of reports.
 * - Plaintext (TLS comes with the security issue). A connection silent for 10 s is probed
 *   with a PING and dropped when the PING goes unanswered for 20 s (a silent partition).
 */
import type { StreamingCall } from '../grpc/calls.js';
import { GRPCClientConnection, grpcMessagePrefixBytes } from '../grpc/client.js';
import type { ClientCall } from '../grpc/client.js';
import { GRPCServer, splitHostPort } from '../grpc/server.js';
import type { Message, NodeId } from '../raft/types.js';
import type { Logger } from '../util/logger.js';
import { decodeBatch, encodeBatch } from './wire-codec.js';

/** Options of the peer transport; every queue and frame size is bounded. */
export interface GRPCTransportOptions {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  /** host:port to listen on for peers. */
  readonly listen: string;
  /** Receives every batch of messages from peers, in arrival order per peer. */
  readonly onMessages: (messages: Message[]) => void;
  /**
   * Called when peer `id` looks dead (see the module comment): at most once per broken
   * stream, in either direction. A hint, not a verdict: a reset connection to a live peer
   * reports it too, so the receiver MUST stay correct when the peer is alive.
   */
  readonly onPeerUnreachable?: (id: NodeId) => void;
  readonly logger: Logger;
  /** Messages queued per peer at most (default 4096); beyond it new ones are dropped. */
  readonly queueMessagesMax?: number;
  /** Bytes of entry data queued per peer at most (default 64 MiB). */
  readonly queueBytesMax?: number;
  /** Bytes of entry data per frame at most (default 4 MiB; one message always fits). */
  readonly frameBytesMax?: number;
}

/** Largest frame a peer accepts (a snapshot chunk plus a batch of entries). */
export const peerMessageBytesMax = 64 * 1024 * 1024;
const backoffStartMs = 50;
/**
 * Longest wait between two dials of a peer, ms (ours and grpc's own reconnect backoff).
 * NB: 250, not 1000: a peer restarted after a failover was unreachable from the others for
 * up to a second after it was back, slowing the next election, whose votes travel over
 * these links. A failed dial on a LAN costs next to nothing.
 */
const backoffMaxMs = 250;
/** Frames a stream takes before the target answers it (then: after its answer). */
const framesBeforeAnswerMax = 16;
/** How long a closed peer's channel waits for the target to answer its half-close, ms. */
const closeGraceMs = 1000;
/** How long the target waits before answering a half-close, ms (see handleStream). */
const halfCloseAnswerDelayMs = 50;

/** gRPC status codes the transport reads or sends. */
const Status = { ok: 0, cancelled: 1, invalidArgument: 3, failedPrecondition: 9,
  unavailable: 14 } as const;

const streamPath = '/coracle.raft.Raft/Stream';
const streamMethod = {
  path: streamPath,
  requestStream: true,
  responseStream: false,
  requestDeserialize: (bytes: Buffer): Buffer => bytes,
  responseSerialize: (): Buffer => Buffer.alloc(0),
};

function messageBytes(message: Message): number {
  let bytes = 64;
  for (const entry of message.entries) bytes += entry.data.length + 24;
  if (message.snapshot !== null) bytes += message.snapshot.data.length;
  return bytes;
}

/** TransportStats counts what the transport did, for status pages and tests. */
export interface TransportStats {
  sentMessages: number;
  droppedMessages: number;
  receivedMessages: number;
  rejectedFrames: number;
  /** Streams to peers that the target answered (see `onPeerUnreachable`). */
  establishedStreams: number;
  /** Peers reported to `onPeerUnreachable` (each broken stream at most once). */
  unreachableReports: number;
}

/** GRPCTransport connects this peer to the others (see the module comment). */
export class GRPCTransport {
  readonly stats: TransportStats = {
    sentMessages: 0, droppedMessages: 0, receivedMessages: 0, rejectedFrames: 0,
    establishedStreams: 0, unreachableReports: 0,
  };
  private readonly server: GRPCServer;
  private readonly peers = new Map<NodeId, PeerSender>();
  private stopped = false;

  /** Creates the transport; call `start` to listen. */
  constructor(private readonly options: GRPCTransportOptions) {
    this.server = new GRPCServer({ receiveMessageBytesMax: peerMessageBytesMax,
      logger: options.logger });
    this.server.addService({ Stream: streamMethod },
      { Stream: (call: StreamingCall) => this.handleStream(call) });
  }

  /** Starts listening; resolves with the bound port. */
  start(): Promise<number> {
    const { host, port } = splitHostPort(this.options.listen, 'peer listen address');
    return this.server.listen(host, port);
  }

  /** Adds or re-addresses a peer; messages to it are sent from now on. */
  setPeer(id: NodeId, address: string): void {
    if (id === this.options.nodeId || this.stopped) return;
    const existing = this.peers.get(id);
    if (existing?.address === address) return;
    existing?.close();
    const sender = new PeerSender(id, splitHostPort(address, 'peer address'), address, this.options,
      this.stats);
    this.peers.set(id, sender);
    sender.connect();
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
   * Queues messages for their targets and writes them to the streams now, one frame per
   * target for the whole call (messages to unknown peers are dropped). Writing here rather
   * than on a later turn saves an event-loop turn on every hop of the commit path.
   */
  send(messages: readonly Message[]): void {
    const touched = new Set<PeerSender>();
    for (const message of messages) {
      const peer = this.peers.get(message.to);
      if (peer === undefined) {
        this.stats.droppedMessages++;
        continue;
      }
      peer.enqueue(message, false);
      touched.add(peer);
    }
    for (const peer of touched) peer.flush();
  }

  /** Stops every stream and the server. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    // Streams from peers never end by themselves: they are closed 200 ms after the GOAWAY.
    await this.server.close(200);
  }

  private handleStream(call: StreamingCall): void {
    let finished = false;
    /** The dialing peer, known from its first accepted frame. */
    let from: NodeId | null = null;
    const finish = (error: { code: number; details: string } | null): void => {
      if (finished) return;
      finished = true;
      if (error !== null) {
        call.fail(error);
      } else {
        call.write(new Uint8Array(0));
        call.end();
      }
    };
    // Headers now, not with the response: they tell the dialer the stream is established.
    call.sendMetadata();
    call.on('data', (frame: Uint8Array) => {
      if (finished) return;
      let batch;
      try {
        batch = decodeBatch(frame);
      } catch (error) {
        this.stats.rejectedFrames++;
        finish({ code: Status.invalidArgument, details: `malformed frame: ${String(error)}` });
        return;
      }
      if (batch.clusterId !== this.options.clusterId) {
        this.stats.rejectedFrames++;
        this.options.logger.warn({ from: batch.from, clusterId: batch.clusterId },
          'rejected a peer stream from another cluster');
        finish({ code: Status.failedPrecondition,
          details: `cluster id mismatch: expected ${this.options.clusterId}, got ${batch.clusterId}` });
        return;
      }
      from = batch.from;
      this.stats.receivedMessages += batch.messages.length;
      this.options.onMessages(batch.messages);
    });
    // A dialer that stops dialing on purpose (removed, re-addressed, stopping) half-closes
    // its stream ('end') and waits for the answer. When its process dies or its connection
    // is reset, the stream is cancelled ('cancelled') without a half-close. The answer to a
    // half-close still waits a moment, so that a dialer whose process dies right after its
    // half-close is seen as gone (its 'cancelled' arrives before our answer).
    const abort = (): void => {
      if (finished) return;
      finish(null);
      if (from === null || this.stopped) return;
      this.stats.unreachableReports++;
      this.options.onPeerUnreachable?.(from);
    };
    call.on('end', () => {
      setTimeout(() => finish(null), halfCloseAnswerDelayMs).unref();
    });
    call.on('cancelled', abort);
  }
}

/** PeerSender owns the bounded queue and the stream to one peer. */
class PeerSender {
  private queue: Message[] = [];
  private queuedBytes = 0;
  private connection: GRPCClientConnection | null = null;
  private stream: ClientCall | null = null;
  private writable = true;
  private closed = false;
  private backoffMs = backoffStartMs;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private pumpScheduled = false;
  /** True once the target answered the current stream (its headers arrived). */
  private established = false;
  /** Frames written to the current stream before the target answered it. */
  private framesBeforeAnswer = 0;
  /** Messages in those frames: lost (counted as dropped) if the stream is never answered. */
  private messagesBeforeAnswer = 0;

  constructor(
    readonly id: NodeId,
    private readonly target: { host: string; port: number },
    readonly address: string,
    private readonly options: GRPCTransportOptions,
    private readonly stats: TransportStats,
  ) {}

  /** Queues `message`; `schedule` false leaves the write to a flush() by the caller. */
  enqueue(message: Message, schedule = true): void {
    const bytes = messageBytes(message);
    const messagesMax = this.options.queueMessagesMax ?? 4096;
    const bytesMax = this.options.queueBytesMax ?? 64 * 1024 * 1024;
    if (this.closed || this.queue.length >= messagesMax || this.queuedBytes + bytes > bytesMax) {
      this.stats.droppedMessages++;
      return;
    }
    this.queue.push(message);
    this.queuedBytes += bytes;
    if (schedule) this.schedulePump();
  }

  /** Writes what is queued now (as far as the stream takes it). */
  flush(): void {
    this.pump();
  }

  /**
   * Opens the stream now rather than with the first message: peers that rarely talk (two
   * followers) then have a ready stream when an election needs one (dialing then took tens
   * of ms, long enough for the two survivors of a failover to split the vote).
   */
  connect(): void {
    if (!this.closed) this.ensureStream();
  }

  close(): void {
    this.closed = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.queue = [];
    const stream = this.stream;
    const connection = this.connection;
    this.stream = null;
    if (stream === null || connection === null) {
      connection?.destroy('peer closed');
      return;
    }
    // Half-close, and close the connection once the target answered (onStreamEnded) or
    // after a grace period: closing it at once aborted the stream, which the target then
    // reported as a dead peer although this one only stopped dialing it.
    setTimeout(() => connection.destroy('peer closed'), closeGraceMs).unref();
    stream.end();
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // Coalesce everything queued in this turn of the event loop into one frame.
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.closed && this.writable && this.queue.length > 0) {
      const stream = this.ensureStream();
      if (stream === null) return;
      // Until the target answers, a stream takes only a few frames: a dead peer's messages
      // then wait (bounded) in the queue instead of in a stream that will fail.
      if (!this.established && this.framesBeforeAnswer >= framesBeforeAnswerMax) return;
      const frame = this.takeFrame();
      if (!this.established) {
        this.framesBeforeAnswer++;
        this.messagesBeforeAnswer += frame.length;
      }
      this.stats.sentMessages += frame.length;
      // NB: encoded after gRPC's 5-byte message prefix, which writeFramed fills in.
      const encoded = encodeBatch(this.options.clusterId, this.options.nodeId, frame,
        { prefixBytes: grpcMessagePrefixBytes });
      this.writable = stream.writeFramed(encoded);
    }
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
    const frame = this.queue.splice(0, count);
    this.queuedBytes -= bytes;
    return frame;
  }

  private ensureStream(): ClientCall | null {
    if (this.stream !== null) return this.stream;
    if (this.reconnectTimer !== null) return null;
    if (this.connection === null || this.connection.isClosed) {
      this.connection = new GRPCClientConnection({ ...this.target, logger: this.options.logger,
        receiveMessageBytesMax: peerMessageBytesMax });
    }
    let stream: ClientCall | null = null;
    stream = this.connection.startCall(streamPath, {
      onDrain: () => {
        this.writable = true;
        this.backoffMs = backoffStartMs;
        this.schedulePump();
      },
      onHeaders: () => {
        if (this.stream !== stream) return;
        this.established = true;
        this.backoffMs = backoffStartMs;
        this.stats.establishedStreams++;
        this.schedulePump();
      },
      onStatus: (code, details) => this.onStreamEnded(stream, code === Status.ok ? null
        : { code, details }),
    });
    if (stream === null) {
      // The connection is going away: the next attempt dials a new one.
      this.connection.destroy('going away');
      this.connection = null;
      this.onStreamEnded(null, { code: Status.unavailable, details: 'connection going away' });
      return null;
    }
    this.stream = stream;
    this.established = false;
    this.framesBeforeAnswer = 0;
    this.messagesBeforeAnswer = 0;
    this.writable = true;
    return stream;
  }

  private onStreamEnded(stream: ClientCall | null,
    error: { code: number; details: string } | null): void {
    if (this.closed) {
      this.connection?.destroy('peer closed');
      return;
    }
    if (stream !== null && this.stream !== stream) return;
    this.stream = null;
    const established = this.established;
    this.established = false;
    if (established && error?.code === Status.unavailable) {
      this.stats.unreachableReports++;
      this.options.onPeerUnreachable?.(this.id);
    }
    // NB: the dead stream may have been full (write() returned false, no 'drain' will come);
    // the next stream starts empty. Without this the pump never opened a new stream and a
    // healed link stayed silent forever (found by a chaos campaign).
    this.writable = true;
    const quiet: number[] = [Status.unavailable, Status.cancelled];
    if (error !== null && !quiet.includes(error.code)) {
      this.options.logger.warn({ peer: this.id, code: error.code, details: error.details },
        'peer stream failed');
    }
    // Messages queued while the link is down would be seconds stale by the time it is back
    // (a restarted follower caught up from a backlog of old appends instead of the snapshot
    // it needed): drop them. Raft re-sends what matters once the peer answers again.
    this.stats.droppedMessages += this.queue.length + (established ? 0
      : this.messagesBeforeAnswer);
    this.queue = [];
    this.queuedBytes = 0;
    const delayMs = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, backoffMaxMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      // Re-dial even with nothing to send, so the stream is up when an election needs it:
      // a follower's link to another follower carries nothing for long stretches.
      this.connect();
      this.schedulePump();
    }, delayMs);
  }
}
