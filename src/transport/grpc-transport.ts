/**
 * @module transport/grpc-transport
 * The peer transport: Raft messages between control-plane peers over @grpc/grpc-js.
 *
 * Each peer dials every other peer and keeps ONE long-lived client stream to it
 * (`coracle.raft.Raft/Stream`); messages flow from dialer to target only, so each ordered
 * pair of peers has its own stream. Per target:
 *
 * ```
 *   send() --> [ bounded queue ] --> pump: one MessageBatch frame per write --> stream
 *                 | full: drop the message (Raft retransmits; the leader probes again)
 * ```
 * - A slow or dead peer only fills its own queue: the pump waits for the stream to drain,
 *   and new messages beyond `queueMessagesMax`/`queueBytesMax` are dropped, never buffered.
 * - A broken stream is re-dialed with capped exponential backoff (50 ms doubling to 1 s).
 * - Snapshot chunks are ordinary messages: the core sends one chunk at a time and waits for
 *   its acknowledgement, which is the flow control of a snapshot transfer.
 * - Frames carry the cluster id; a frame from another cluster closes the stream.
 * - Credentials are pluggable (plaintext by default; TLS comes with the security issue).
 */
import * as grpc from '@grpc/grpc-js';
import type { Message, NodeId } from '../raft/types.js';
import type { Logger } from '../util/logger.js';
import { decodeBatch, encodeBatch } from './proto.js';

/** Options of the peer transport; every queue and frame size is bounded. */
export interface GRPCTransportOptions {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  /** host:port to listen on for peers. */
  readonly listen: string;
  /** Receives every batch of messages from peers, in arrival order per peer. */
  readonly onMessages: (messages: Message[]) => void;
  readonly logger: Logger;
  readonly serverCredentials?: grpc.ServerCredentials;
  readonly channelCredentials?: grpc.ChannelCredentials;
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
const backoffMaxMs = 1000;

const streamMethod: grpc.MethodDefinition<Uint8Array, Uint8Array> = {
  path: '/coracle.raft.Raft/Stream',
  requestStream: true,
  responseStream: false,
  requestSerialize: (frame: Uint8Array) => Buffer.from(frame.buffer, frame.byteOffset,
    frame.byteLength),
  requestDeserialize: (bytes: Buffer) => bytes,
  responseSerialize: () => Buffer.alloc(0),
  responseDeserialize: (bytes: Buffer) => bytes,
};
const serviceDefinition: grpc.ServiceDefinition = { Stream: streamMethod };

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
}

/** GRPCTransport connects this peer to the others (see the module comment). */
export class GRPCTransport {
  readonly stats: TransportStats = {
    sentMessages: 0, droppedMessages: 0, receivedMessages: 0, rejectedFrames: 0,
  };
  private readonly server = new grpc.Server({
    'grpc.max_receive_message_length': peerMessageBytesMax,
  });
  private readonly peers = new Map<NodeId, PeerSender>();
  private readonly Client = grpc.makeGenericClientConstructor(serviceDefinition, 'Raft');
  private stopped = false;

  /** Creates the transport; call `start` to listen. */
  constructor(private readonly options: GRPCTransportOptions) {
    this.server.addService(serviceDefinition, { Stream: this.handleStream.bind(this) });
  }

  /** Starts listening; resolves with the bound port. */
  start(): Promise<number> {
    const credentials = this.options.serverCredentials ?? grpc.ServerCredentials.createInsecure();
    return new Promise((resolve, reject) => {
      this.server.bindAsync(this.options.listen, credentials, (error, port) => {
        if (error !== null) reject(error);
        else resolve(port);
      });
    });
  }

  /** Adds or re-addresses a peer; messages to it are sent from now on. */
  setPeer(id: NodeId, address: string): void {
    if (id === this.options.nodeId || this.stopped) return;
    const existing = this.peers.get(id);
    if (existing?.address === address) return;
    existing?.close();
    const channelCredentials = this.options.channelCredentials ??
      grpc.credentials.createInsecure();
    const client = new this.Client(address, channelCredentials, {
      'grpc.max_send_message_length': peerMessageBytesMax,
      'grpc.keepalive_time_ms': 10_000,
      // NB: grpc's own reconnect backoff grows to 120 s by default; after a lossy spell a
      // healed link then stayed dead for minutes (found by a chaos campaign). Peers must
      // retry as fast as Raft needs them to.
      'grpc.initial_reconnect_backoff_ms': backoffStartMs * 2,
      'grpc.max_reconnect_backoff_ms': backoffMaxMs,
    });
    this.peers.set(id, new PeerSender(id, address, client, this.options, this.stats));
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

  /** Queues messages for their targets; messages to unknown peers are dropped. */
  send(messages: readonly Message[]): void {
    for (const message of messages) {
      const peer = this.peers.get(message.to);
      if (peer === undefined) {
        this.stats.droppedMessages++;
        continue;
      }
      peer.enqueue(message);
    }
  }

  /** Stops every stream and the server. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    await new Promise<void>((resolve) => {
      this.server.tryShutdown(() => resolve());
      // Streams from peers never end by themselves: force them closed shortly after.
      setTimeout(() => this.server.forceShutdown(), 200).unref();
    });
  }

  private handleStream(call: grpc.ServerReadableStream<Uint8Array, Uint8Array>,
    callback: grpc.sendUnaryData<Uint8Array>): void {
    let finished = false;
    const finish = (error: grpc.ServiceError | null): void => {
      if (finished) return;
      finished = true;
      callback(error, new Uint8Array(0));
    };
    call.on('data', (frame: Uint8Array) => {
      if (finished) return;
      let batch;
      try {
        batch = decodeBatch(frame);
      } catch (error) {
        this.stats.rejectedFrames++;
        finish(serviceError(grpc.status.INVALID_ARGUMENT, `malformed frame: ${String(error)}`));
        return;
      }
      if (batch.clusterId !== this.options.clusterId) {
        this.stats.rejectedFrames++;
        this.options.logger.warn({ from: batch.from, clusterId: batch.clusterId },
          'rejected a peer stream from another cluster');
        finish(serviceError(grpc.status.FAILED_PRECONDITION,
          `cluster id mismatch: expected ${this.options.clusterId}, got ${batch.clusterId}`));
        return;
      }
      this.stats.receivedMessages += batch.messages.length;
      this.options.onMessages(batch.messages);
    });
    call.on('end', () => finish(null));
    call.on('error', () => finish(null));
  }
}

function serviceError(code: grpc.status, details: string): grpc.ServiceError {
  const error = new Error(details) as grpc.ServiceError;
  error.code = code;
  error.details = details;
  error.metadata = new grpc.Metadata();
  return error;
}

/** PeerSender owns the bounded queue and the stream to one peer. */
class PeerSender {
  private queue: Message[] = [];
  private queuedBytes = 0;
  private stream: grpc.ClientWritableStream<Uint8Array> | null = null;
  private writable = true;
  private closed = false;
  private backoffMs = backoffStartMs;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private pumpScheduled = false;

  constructor(
    readonly id: NodeId,
    readonly address: string,
    private readonly client: grpc.Client,
    private readonly options: GRPCTransportOptions,
    private readonly stats: TransportStats,
  ) {}

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
    this.schedulePump();
  }

  close(): void {
    this.closed = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.stream?.end();
    this.stream = null;
    this.client.close();
    this.queue = [];
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
      const frame = this.takeFrame();
      this.stats.sentMessages += frame.length;
      const encoded = encodeBatch(this.options.clusterId, this.options.nodeId, frame);
      this.writable = stream.write(encoded);
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

  private ensureStream(): grpc.ClientWritableStream<Uint8Array> | null {
    if (this.stream !== null) return this.stream;
    if (this.reconnectTimer !== null) return null;
    const method = this.client.makeClientStreamRequest.bind(this.client);
    const stream = method<Uint8Array, Uint8Array>(
      streamMethod.path, streamMethod.requestSerialize, streamMethod.responseDeserialize,
      (error) => this.onStreamEnded(stream, error),
    );
    stream.on('drain', () => {
      this.writable = true;
      this.backoffMs = backoffStartMs;
      this.schedulePump();
    });
    this.stream = stream;
    this.writable = true;
    return stream;
  }

  private onStreamEnded(stream: grpc.ClientWritableStream<Uint8Array>,
    error: grpc.ServiceError | null): void {
    if (this.stream !== stream || this.closed) return;
    this.stream = null;
    // NB: the dead stream may have been full (write() returned false, no 'drain' will come);
    // the next stream starts empty. Without this the pump never opened a new stream and a
    // healed link stayed silent forever (found by a chaos campaign).
    this.writable = true;
    const quiet = [grpc.status.UNAVAILABLE, grpc.status.CANCELLED];
    if (error !== null && !quiet.includes(error.code)) {
      this.options.logger.warn({ peer: this.id, code: error.code, details: error.details },
        'peer stream failed');
    }
    // Messages queued while the link is down would be stale by the time it is back: Raft
    // re-sends what matters, so keep only the newest ones within the bound.
    const delayMs = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, backoffMaxMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.schedulePump();
    }, delayMs);
  }
}
