/**
 * Goal: the gRPC client connection (src/grpc/client.ts) carries calls as the peer transport
 * needs them, against our own server and against @grpc/grpc-js's (an independent
 * implementation). Method: client-streaming calls with early response headers, large
 * messages across flow-control windows, statuses, cancellation, and the ways a connection
 * dies (refused, server gone, a silent peer caught by keepalive), each ending every call
 * with exactly one status.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamingCall } from '../../src/grpc/calls.js';
import { GRPCClientConnection } from '../../src/grpc/client.js';
import type { ClientCallListener } from '../../src/grpc/client.js';
import { GRPCServer } from '../../src/grpc/server.js';
import { silentLogger } from '../../src/util/logger.js';

const identity = (bytes: Buffer): Buffer => bytes;
const messageBytesMax = 64 * 1024 * 1024;

/** What a client call heard. */
interface Heard {
  headers: number;
  messages: Buffer[];
  status: Promise<{ code: number; details: string }>;
  listener: ClientCallListener;
}

function listen(): Heard {
  let settle!: (status: { code: number; details: string }) => void;
  const heard: Heard = { headers: 0, messages: [], status: new Promise((resolve) => {
    settle = resolve;
  }), listener: undefined as unknown as ClientCallListener };
  let statuses = 0;
  heard.listener = {
    onHeaders: () => heard.headers++,
    onMessage: (message) => heard.messages.push(Buffer.from(message)),
    onStatus: (code, details) => {
      statuses++;
      expect(statuses).toBe(1);
      settle({ code, details });
    },
  };
  return heard;
}

/** A client-streaming "Sum": answers with the byte count and message count it received. */
async function startOurServer(cancelled: { count: number }): Promise<{ server: GRPCServer;
  port: number }> {
  const server = new GRPCServer({ receiveMessageBytesMax: messageBytesMax, logger: silentLogger });
  const method = { path: '/test.Sink/Sum', requestStream: true, responseStream: false,
    requestDeserialize: identity, responseSerialize: identity as (value: unknown) => Buffer };
  server.addService({ Sum: method }, {
    Sum: (call: StreamingCall) => {
      call.sendMetadata();
      let bytes = 0;
      let count = 0;
      call.on('data', (message: Buffer) => {
        if (message.toString() === 'fail') {
          call.fail({ code: 9, details: 'asked to fail: 100% sure' });
          return;
        }
        bytes += message.length;
        count++;
      });
      call.on('end', () => {
        call.write(Buffer.from(`${bytes}/${count}`));
        call.end();
      });
      call.on('cancelled', () => cancelled.count++);
    },
  });
  return { server, port: await server.listen('127.0.0.1', 0) };
}

describe('GRPCClientConnection', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function dial(port: number, options: Partial<{ keepaliveMs: number;
    keepaliveTimeoutMs: number }> = {}): GRPCClientConnection {
    const client = new GRPCClientConnection({ host: '127.0.0.1', port, logger: silentLogger,
      receiveMessageBytesMax: messageBytesMax, ...options });
    cleanups.push(() => client.destroy('test over'));
    return client;
  }

  it('streams messages to our server, hears its headers early and its answer', async () => {
    const cancelled = { count: 0 };
    const { server, port } = await startOurServer(cancelled);
    cleanups.push(() => server.close(100));
    const client = dial(port);
    const heard = listen();
    const call = client.startCall('/test.Sink/Sum', heard.listener)!;
    const big = Buffer.alloc(5_000_000, 7);
    for (let index = 0; index < 50; index++) call.write(Buffer.from(`message ${index}`));
    call.write(big);
    call.end();
    expect(await heard.status).toEqual({ code: 0, details: '' });
    expect(heard.headers).toBe(1);
    const small = Array.from({ length: 50 }, (_, index) => `message ${index}`.length)
      .reduce((sum, bytes) => sum + bytes, 0);
    expect(heard.messages.map(String)).toEqual([`${small + big.length}/51`]);
  });

  it('carries the server status and decodes its message', async () => {
    const { server, port } = await startOurServer({ count: 0 });
    cleanups.push(() => server.close(100));
    const heard = listen();
    const call = dial(port).startCall('/test.Sink/Sum', heard.listener)!;
    call.write(Buffer.from('fail'));
    expect(await heard.status).toEqual({ code: 9, details: 'asked to fail: 100% sure' });
    const unknown = listen();
    dial(port).startCall('/test.Sink/Nope', unknown.listener);
    expect(await unknown.status).toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });

  it('cancels a call: CANCELLED here, cancelled on the server', async () => {
    const cancelled = { count: 0 };
    const { server, port } = await startOurServer(cancelled);
    cleanups.push(() => server.close(100));
    const heard = listen();
    const call = dial(port).startCall('/test.Sink/Sum', heard.listener)!;
    call.write(Buffer.from('x'));
    await waitFor(() => heard.headers === 1);
    call.cancel();
    expect(await heard.status).toMatchObject({ code: grpc.status.CANCELLED });
    await waitFor(() => cancelled.count === 1);
  });

  it('ends every call UNAVAILABLE when the server goes away or cannot be reached', async () => {
    const { server, port } = await startOurServer({ count: 0 });
    let closedWith: Error | null | undefined;
    const client = new GRPCClientConnection({ host: '127.0.0.1', port, logger: silentLogger,
      receiveMessageBytesMax: messageBytesMax, onClosed: (error) => {
        closedWith = error;
      } });
    const calls = [listen(), listen()];
    for (const heard of calls) client.startCall('/test.Sink/Sum', heard.listener);
    await waitFor(() => calls.every((heard) => heard.headers === 1));
    await server.close(0);
    for (const heard of calls) {
      expect(await heard.status).toMatchObject({ code: grpc.status.UNAVAILABLE });
    }
    await waitFor(() => closedWith !== undefined);
    expect(client.isClosed).toBe(true);
    expect(client.startCall('/test.Sink/Sum', listen().listener)).toBeNull();
    const refused = listen();
    dial(port).startCall('/test.Sink/Sum', refused.listener);
    expect(await refused.status).toMatchObject({ code: grpc.status.UNAVAILABLE,
      details: expect.stringContaining('ECONNREFUSED') as unknown });
  });

  it('drops a connection whose peer never answers a keepalive PING', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const port = (silent.address() as { port: number }).port;
    const heard = listen();
    dial(port, { keepaliveMs: 50, keepaliveTimeoutMs: 200 })
      .startCall('/test.Sink/Sum', heard.listener);
    expect(await heard.status).toEqual({ code: grpc.status.UNAVAILABLE,
      details: 'keepalive PING unanswered' });
  });

  it('talks to a @grpc/grpc-js server (client streaming, metadata first)', async () => {
    const server = new grpc.Server();
    server.addService({ Sum: { path: '/test.Sink/Sum', requestStream: true,
      responseStream: false, requestSerialize: identity, requestDeserialize: identity,
      responseSerialize: identity, responseDeserialize: identity } }, {
      Sum: (call: grpc.ServerReadableStream<Buffer, Buffer>,
        callback: grpc.sendUnaryData<Buffer>) => {
        call.sendMetadata(new grpc.Metadata());
        const received: string[] = [];
        call.on('data', (message: Buffer) => received.push(message.toString()));
        call.on('end', () => callback(null, Buffer.from(received.join('+'))));
      },
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(),
        (error, bound) => (error === null ? resolve(bound) : reject(error)));
    });
    cleanups.push(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));
    const heard = listen();
    const call = dial(port).startCall('/test.Sink/Sum', heard.listener)!;
    for (const word of ['a', 'b', 'c']) call.write(Buffer.from(word));
    call.end();
    expect(await heard.status).toEqual({ code: 0, details: 'OK' });
    expect(heard.headers).toBe(1);
    expect(heard.messages.map(String)).toEqual(['a+b+c']);
  });
});

/** Waits until `condition` holds, for at most 5 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
