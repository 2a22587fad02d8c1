/**
 * Goal: what only the TCP peer transport does beyond the shared contract
 * (grpc-transport.test.ts): frames of any size arrive whole however TCP cuts them, and a
 * connection whose frames stop being acknowledged (a black hole, no reset) is closed and
 * reported, then re-dialed once the link carries data again; messages queued while a peer
 * cannot be reached are dropped, never delivered stale once it is back.
 * Method: real transports on 127.0.0.1 ephemeral ports, a LinkProxy that holds every chunk
 * (delay) as a black hole; waits poll a condition with a deadline.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LinkProxy } from '../../src/chaos/proxy.js';
import { EntryType, MessageType } from '../../src/raft/types.js';
import type { Message } from '../../src/raft/types.js';
import { TCPTransport } from '../../src/transport/tcp-transport.js';
import type { TCPTransportOptions } from '../../src/transport/tcp-transport.js';
import { silentLogger } from '../../src/util/logger.js';
import { SeededRandom } from '../../src/util/prng.js';

const transports: TCPTransport[] = [];

afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.stop()));
});

function message(index: number, dataBytes: number): Message {
  const data = new Uint8Array(dataBytes).fill(index % 251);
  return {
    type: MessageType.Append, from: 1, to: 2, term: 3, logTerm: 2, index, commit: index - 1,
    entries: [{ term: 3, index: index + 1, type: EntryType.Normal, data }],
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

async function start(nodeId: number, options: Partial<TCPTransportOptions> = {}):
  Promise<{ transport: TCPTransport; port: number }> {
  const transport = new TCPTransport({
    nodeId, clusterId: 'c1', listen: '127.0.0.1:0', logger: silentLogger,
    onMessages: () => undefined, ...options,
  });
  transports.push(transport);
  return { transport, port: await transport.start() };
}

describe('TCPTransport', () => {
  it('delivers frames of every size whole and in order', async () => {
    const inbox: Message[] = [];
    const target = await start(2, { onMessages: (messages) => inbox.push(...messages) });
    const sender = await start(1);
    sender.transport.setPeer(2, `127.0.0.1:${target.port}`);
    const sizes = [0, 1, 3, 100, 70_000, 1, 2 * 1024 * 1024, 5, 300_000];
    const sent = sizes.map((size, i) => message(i + 1, size));
    for (const m of sent) sender.transport.send([m]);
    sender.transport.send(sent.slice(0, 4));
    await waitFor(() => inbox.length === sent.length + 4);
    const expected = [...sent, ...sent.slice(0, 4)];
    expect(inbox.map((m) => m.index)).toEqual(expected.map((m) => m.index));
    expect(inbox.map((m) => m.entries[0]!.data.length)).toEqual(
      expected.map((m) => m.entries[0]!.data.length));
    for (const [i, m] of inbox.entries()) {
      expect(m.entries[0]!.data.every((byte) => byte === expected[i]!.index % 251)).toBe(true);
    }
  });

  it('closes and reports a connection whose frames go unacknowledged, then re-dials', async () => {
    const inbox: Message[] = [];
    const reports: number[] = [];
    const target = await start(2, { onMessages: (messages) => inbox.push(...messages) });
    const proxy = new LinkProxy('1->2', target.port, new SeededRandom(1));
    await proxy.start();
    try {
      const sender = await start(1, { silenceMaxMs: 300,
        onPeerUnreachable: (id) => reports.push(id) });
      sender.transport.setPeer(2, `127.0.0.1:${proxy.listenPort}`);
      await waitFor(() => {
        sender.transport.send([message(1, 10)]);
        return sender.transport.stats.establishedStreams === 1 && inbox.length > 0;
      });
      proxy.state.delayMs = 60_000;
      sender.transport.send([message(2, 10)]);
      await waitFor(() => reports.length === 1);
      expect(reports).toEqual([2]);
      proxy.state.delayMs = 0;
      const before = inbox.length;
      // A new connection: the target received a message over it and its ack reached us.
      await waitFor(() => {
        sender.transport.send([message(3, 10)]);
        return inbox.slice(before).some((m) => m.index === 3) &&
          sender.transport.stats.establishedStreams >= 2;
      });
      expect(reports).toEqual([2]);
    } finally {
      await proxy.stop();
    }
  });

  it('drops what was queued for a peer that cannot be reached instead of sending it late',
    async () => {
      const first = await start(2);
      const sender = await start(1);
      sender.transport.setPeer(2, `127.0.0.1:${first.port}`);
      await waitFor(() => sender.transport.stats.establishedStreams === 1);
      // The peer dies; what is sent meanwhile waits for dials that are refused.
      await first.transport.stop();
      await waitFor(() => sender.transport.stats.unreachableReports === 1);
      for (let i = 1; i <= 10; i++) sender.transport.send([message(i, 10)]);
      await waitFor(() => sender.transport.stats.droppedMessages >= 10);
      // It comes back on the same port: only what is sent from now on arrives.
      const inbox: Message[] = [];
      await start(2, { listen: `127.0.0.1:${first.port}`,
        onMessages: (messages) => inbox.push(...messages) });
      await waitFor(() => {
        sender.transport.send([message(100, 10)]);
        return inbox.length > 0;
      });
      expect(inbox.every((m) => m.index === 100)).toBe(true);
    });
});
