/**
 * Goal: the peer transport (gRPC streams on src/grpc) keeps its contract: it delivers Raft
 * messages intact and in order per peer, rejects frames from another cluster, a dead peer
 * never blocks the others (bounded queues) nor gets a stale backlog once it is back, and a
 * broken stream is reported as an unreachable peer once, never by re-dials.
 * Method: real transports on 127.0.0.1 ephemeral ports; waits poll a condition with a
 * deadline.
 */
import { createServer, connect } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LinkProxy } from '../../src/chaos/proxy.js';
import { GRPCTransport } from '../../src/transport/grpc-transport.js';
import type { GRPCTransportOptions } from '../../src/transport/grpc-transport.js';
import { SeededRandom } from '../../src/util/prng.js';
import { decodeBatch, encodeBatch } from '../../src/transport/proto.js';
import { EntryType, MessageType } from '../../src/raft/types.js';
import type { Message } from '../../src/raft/types.js';
import { silentLogger } from '../../src/util/logger.js';

type PeerTransport = GRPCTransport;
type TransportOptions = Omit<GRPCTransportOptions, 'serverCredentials' | 'channelCredentials'>;
const kinds: Array<[string, (options: TransportOptions) => PeerTransport]> = [
  ['GRPCTransport', (options) => new GRPCTransport(options)],
];

const transports: PeerTransport[] = [];

afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.stop()));
});

function message(from: number, to: number, index: number): Message {
  return {
    type: MessageType.Append, from, to, term: 3, logTerm: 2, index, commit: index - 1,
    entries: [{ term: 3, index: index + 1, type: EntryType.Normal,
      data: new Uint8Array([index % 256]) }],
    reject: false, rejectHint: 0, context: 0, snapshot: null,
  };
}

async function waitFor(condition: () => boolean, deadlineMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > deadlineMs) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let makeTransport: (options: TransportOptions) => PeerTransport = kinds[0]![1];

async function startTransport(nodeId: number, clusterId: string, inbox: Message[],
  options: { queueMessagesMax?: number; unreachable?: number[]; listen?: string } = {}):
  Promise<{ transport: PeerTransport; port: number }> {
  const { queueMessagesMax, unreachable } = options;
  const transport = makeTransport({
    nodeId, clusterId, listen: options.listen ?? '127.0.0.1:0', logger: silentLogger,
    onMessages: (messages) => inbox.push(...messages),
    ...(queueMessagesMax === undefined ? {} : { queueMessagesMax }),
    ...(unreachable === undefined ? {} : { onPeerUnreachable: (id) => unreachable.push(id) }),
  });
  transports.push(transport);
  const port = await transport.start();
  return { transport, port };
}

/**
 * CountingLink is a TCP link to a target port that counts every connection dialed through
 * it and can be cut: open connections are reset (as when the target process dies) and new
 * ones are accepted and closed at once, so the dialer keeps re-dialing and never connects.
 */
class CountingLink {
  connections = 0;
  private cut = false;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(private readonly targetPort: number) {
    this.server = createServer((client) => this.accept(client));
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  setCut(cut: boolean): void {
    this.cut = cut;
    if (!cut) return;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async stop(): Promise<void> {
    this.setCut(true);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.connections++;
    if (this.cut) {
      client.destroy();
      return;
    }
    const upstream = connect(this.targetPort, '127.0.0.1');
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      this.sockets.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
    }
  }
}

describe('protobuf codec', () => {
  it('round-trips every field, including 2^40 ids and snapshot chunks', () => {
    const original: Message = {
      ...message(2 ** 40, 3, 10),
      snapshot: { meta: { index: 7, term: 2, membership: { voters: [1, 2], learners: [9] } },
        offset: 0, totalBytes: 2, data: new Uint8Array([5, 6]), done: true },
    };
    const decoded = decodeBatch(encodeBatch('c1', 2 ** 40, [original]));
    expect(decoded.clusterId).toBe('c1');
    expect(decoded.from).toBe(2 ** 40);
    expect(decoded.messages).toHaveLength(1);
    const plain = (m: Message): unknown => ({
      ...m,
      entries: m.entries.map((e) => ({ ...e, data: [...e.data] })),
      snapshot: m.snapshot === null ? null : { ...m.snapshot, data: [...m.snapshot.data] },
    });
    expect(plain(decoded.messages[0]!)).toEqual(plain(original));
  });

  it('decodes empty entry data as an empty Uint8Array (a leader no-op)', () => {
    const noop: Message = { ...message(1, 2, 3), entries: [
      { term: 2, index: 4, type: EntryType.Normal, data: new Uint8Array(0) }] };
    const decoded = decodeBatch(encodeBatch('c1', 1, [noop])).messages[0]!;
    expect(decoded.entries[0]!.data).toBeInstanceOf(Uint8Array);
    expect(decoded.entries[0]!.data.length).toBe(0);
  });

  it('throws on malformed bytes rather than inventing a message', () => {
    expect(() => decodeBatch(new Uint8Array([0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f]))).toThrow();
  });
});

describe.each(kinds)('%s', (_name, make) => {
  beforeEach(() => {
    makeTransport = make;
  });

  it('delivers messages in order over one stream per peer', async () => {
    const inbox: Message[] = [];
    const b = await startTransport(2, 'c1', inbox);
    const a = await startTransport(1, 'c1', []);
    a.transport.setPeer(2, `127.0.0.1:${b.port}`);
    const sent = Array.from({ length: 500 }, (_, i) => message(1, 2, i + 1));
    for (const m of sent) a.transport.send([m]);
    await waitFor(() => inbox.length === 500);
    expect(inbox.map((m) => m.index)).toEqual(sent.map((m) => m.index));
  });

  it('rejects frames from another cluster', async () => {
    const inbox: Message[] = [];
    const b = await startTransport(2, 'cluster-b', inbox);
    const a = await startTransport(1, 'cluster-a', []);
    a.transport.setPeer(2, `127.0.0.1:${b.port}`);
    a.transport.send([message(1, 2, 1)]);
    await waitFor(() => b.transport.stats.rejectedFrames > 0);
    expect(inbox).toEqual([]);
  });

  it('a link that was cut for seconds carries messages again soon after it heals', async () => {
    const inbox: Message[] = [];
    const target = await startTransport(2, 'c1', inbox);
    const proxy = new LinkProxy('1->2', target.port, new SeededRandom(1));
    await proxy.start();
    try {
      const sender = await startTransport(1, 'c1', []);
      sender.transport.setPeer(2, `127.0.0.1:${proxy.listenPort}`);
      proxy.block();
      // Keep the sender trying through several seconds of refused connections, which is
      // what grows gRPC's own reconnect backoff (to minutes by default).
      // Large messages fill the dying streams' buffers (write() returns false).
      const cutUntil = Date.now() + 4000;
      for (let i = 1; Date.now() < cutUntil; i++) {
        const big = { ...message(1, 2, i), entries: [{ term: 3, index: i + 1,
          type: EntryType.Normal, data: new Uint8Array(256 * 1024) }] };
        sender.transport.send([big, big, big, big]);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      proxy.unblock();
      const healedAt = Date.now();
      for (let i = 1; i <= 100 && inbox.length === 0; i++) {
        sender.transport.send([message(1, 2, 100_000 + i)]);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(inbox.length).toBeGreaterThan(0);
      expect(Date.now() - healedAt).toBeLessThan(3000);
    } finally {
      await proxy.stop();
    }
  });

  it('a dead peer fills only its own bounded queue; others keep receiving', async () => {
    const inbox: Message[] = [];
    const live = await startTransport(2, 'c1', inbox);
    const sender = await startTransport(1, 'c1', [], { queueMessagesMax: 64 });
    sender.transport.setPeer(2, `127.0.0.1:${live.port}`);
    sender.transport.setPeer(3, '127.0.0.1:1'); // nothing listens there
    for (let i = 1; i <= 1000; i++) sender.transport.send([message(1, 3, i)]);
    // At most 64 wait in the queue, plus (gRPC) the 16 frames a stream takes before the
    // target answers it, and one more.
    expect(sender.transport.stats.droppedMessages).toBeGreaterThanOrEqual(1000 - 64 - 17);
    for (let i = 1; i <= 50; i++) sender.transport.send([message(1, 2, i)]);
    await waitFor(() => inbox.length === 50);
    expect(inbox.map((m) => m.index)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('drops what was queued for a peer that cannot be reached instead of sending it late',
    async () => {
      const first = await startTransport(2, 'c1', []);
      const sender = await startTransport(1, 'c1', []);
      sender.transport.setPeer(2, `127.0.0.1:${first.port}`);
      await waitFor(() => sender.transport.stats.establishedStreams === 1);
      // The peer dies; what is sent meanwhile waits for dials that are refused.
      await first.transport.stop();
      await waitFor(() => sender.transport.stats.unreachableReports === 1);
      for (let i = 1; i <= 10; i++) sender.transport.send([message(1, 2, i)]);
      await waitFor(() => sender.transport.stats.droppedMessages >= 10);
      // It comes back on the same port: only what is sent from now on arrives.
      const inbox: Message[] = [];
      await startTransport(2, 'c1', inbox, { listen: `127.0.0.1:${first.port}` });
      await waitFor(() => {
        sender.transport.send([message(1, 2, 100)]);
        return inbox.length > 0;
      });
      expect(inbox.every((m) => m.index === 100)).toBe(true);
    });

  it('reports a peer once per broken stream, in both directions, and not on re-dials',
    async () => {
      const senderReports: number[] = [];
      const targetReports: number[] = [];
      const inbox: Message[] = [];
      const target = await startTransport(2, 'c1', inbox, { unreachable: targetReports });
      const link = new CountingLink(target.port);
      const linkPort = await link.start();
      try {
        const sender = await startTransport(1, 'c1', [], { unreachable: senderReports });
        sender.transport.setPeer(2, `127.0.0.1:${linkPort}`);
        for (let round = 1; round <= 2; round++) {
          // Established: the target received messages and its answer reached the sender.
          await waitFor(() => {
            sender.transport.send([message(1, 2, inbox.length + 1)]);
            return inbox.length > 0 && sender.transport.stats.establishedStreams === round;
          });
          inbox.length = 0;
          // The connection resets as when the target's process dies: the sender's stream
          // ends with UNAVAILABLE and the target's stream from the sender is cancelled.
          link.setCut(true);
          await waitFor(() => senderReports.length === round && targetReports.length === round);
          // Re-dials that never connect report nothing more.
          const dialed = link.connections;
          await waitFor(() => {
            sender.transport.send([message(1, 2, 1)]);
            return link.connections >= dialed + 3;
          });
          expect(senderReports).toEqual(Array.from({ length: round }, () => 2));
          expect(targetReports).toEqual(Array.from({ length: round }, () => 1));
          expect(sender.transport.stats.unreachableReports).toBe(round);
          link.setCut(false);
        }
      } finally {
        await link.stop();
      }
    });

  it('reports nothing for a peer it never reached, nor for a stream closed on purpose',
    async () => {
      const senderReports: number[] = [];
      const targetReports: number[] = [];
      const inbox: Message[] = [];
      const target = await startTransport(2, 'c1', inbox, { unreachable: targetReports });
      const link = new CountingLink(target.port);
      const linkPort = await link.start();
      try {
        link.setCut(true);
        const sender = await startTransport(1, 'c1', [], { unreachable: senderReports });
        sender.transport.setPeer(2, `127.0.0.1:${linkPort}`);
        await waitFor(() => {
          sender.transport.send([message(1, 2, 1)]);
          return link.connections >= 3;
        });
        expect(senderReports).toEqual([]);
        // Direct now, then removed (a member leaving): its stream ends, it is not aborted.
        sender.transport.setPeer(2, `127.0.0.1:${target.port}`);
        await waitFor(() => {
          sender.transport.send([message(1, 2, 1)]);
          return inbox.length > 0;
        });
        sender.transport.removePeer(2);
        const other = await startTransport(3, 'c1', []);
        other.transport.setPeer(2, `127.0.0.1:${target.port}`);
        const before = inbox.length;
        // A later stream's messages arrive after the removed one ended, in the same loop.
        await waitFor(() => {
          other.transport.send([message(3, 2, 1)]);
          return inbox.slice(before).some((m) => m.from === 3);
        });
        expect(targetReports).toEqual([]);
        expect(senderReports).toEqual([]);
      } finally {
        await link.stop();
      }
    });
});
