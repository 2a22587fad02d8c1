/**
 * @module chaos/proxy
 * A fault-injecting TCP proxy for one DIRECTED peer link (source dials target through it).
 * The chaos harness owns one per ordered pair of peers, so it can cut, slow down or make
 * lossy any direction independently, without root:
 *
 * ```
 *   source peer ──dial──► LinkProxy(listen) ──► target peer's --peer-listen
 *                          │ blocked: refuse and reset every connection
 *                          │ delayMs: hold each chunk, keep order
 *                          └ lossRate: reset the connection on a chunk with this chance
 * ```
 * Peer streams carry Raft messages from dialer to target only, so cutting A→B's link stops
 * A's messages to B while B's own stream to A keeps working: a one-way partition.
 */
import { Socket, createServer } from 'node:net';
import type { Server } from 'node:net';
import type { SeededRandom } from '../util/prng.js';

/** LinkState is how a link behaves right now. */
export interface LinkState {
  blocked: boolean;
  delayMs: number;
  /** Chance per forwarded chunk that the connection is reset (0..1). */
  lossRate: number;
}

/** Bytes a delayed direction may hold before the connection is reset (backpressure bound). */
export const delayedBytesMax = 16 * 1024 * 1024;

/** LinkProxy forwards one directed link (see the module comment). */
export class LinkProxy {
  readonly state: LinkState = { blocked: false, delayMs: 0, lossRate: 0 };
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  /** Creates the proxy towards `targetPort` on 127.0.0.1. */
  constructor(readonly name: string, private targetPort: number,
    private readonly random: SeededRandom) {
    this.server = createServer((client) => this.accept(client));
  }

  /** Listens on a free port; resolves with it. */
  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = this.server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : 0;
    return this.port;
  }

  /** The port peers dial. */
  get listenPort(): number {
    return this.port;
  }

  /** Points the proxy at a new target port (a replaced peer). */
  retarget(targetPort: number): void {
    this.targetPort = targetPort;
    this.resetAll();
  }

  /** Cuts the link: every open connection is reset and new ones are refused. */
  block(): void {
    this.state.blocked = true;
    this.resetAll();
  }

  /** Restores the link. */
  unblock(): void {
    this.state.blocked = false;
  }

  /** Clears every fault. */
  heal(): void {
    this.state.blocked = false;
    this.state.delayMs = 0;
    this.state.lossRate = 0;
  }

  /** Closes everything. */
  async stop(): Promise<void> {
    this.resetAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private resetAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private accept(client: Socket): void {
    if (this.state.blocked) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    this.track(client);
    this.track(upstream);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
    upstream.connect(this.targetPort, '127.0.0.1');
    this.pipe(client, upstream, close);
    this.pipe(upstream, client, close);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private pipe(from: Socket, to: Socket, close: () => void): void {
    let held = 0;
    let chain: Promise<void> = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      if (this.state.blocked || (this.state.lossRate > 0 &&
        this.random.chance(this.state.lossRate))) {
        close();
        return;
      }
      const delayMs = this.state.delayMs;
      if (delayMs <= 0 && held === 0) {
        to.write(chunk);
        return;
      }
      held += chunk.length;
      if (held > delayedBytesMax) {
        close();
        return;
      }
      // Chunks are released in order, each no earlier than delayMs after it arrived.
      const due = Date.now() + delayMs;
      chain = chain.then(() => new Promise<void>((resolve) => {
        setTimeout(() => {
          held -= chunk.length;
          if (!to.destroyed) to.write(chunk);
          resolve();
        }, Math.max(0, due - Date.now()));
      }));
    });
  }
}
