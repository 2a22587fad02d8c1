/**
 * Goal: the hand-written HTTP/2 gRPC server (src/grpc) speaks gRPC as real clients
 * expect. Method: a test service (unary echo, server streaming, bidirectional echo) is
 * served on a free loopback port and driven by @grpc/grpc-js's client, an independent
 * HTTP/2 and gRPC implementation (over Node's nghttp2): statuses and messages, large
 * messages across flow-control windows, compression, cancellation, back-pressure, graceful
 * close; and by raw sockets for protocol errors a well-behaved client never makes.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StreamingCall, UnaryCall, UnaryCallback } from '../../src/grpc/calls.js';
import { clientPreface, encodeFrame, encodeSettings, FrameType, H2Error } from
  '../../src/grpc/frames.js';
import { encodeHeaderBlock } from '../../src/grpc/hpack.js';
import { GRPCServer } from '../../src/grpc/server.js';
import { SeededRandom } from '../../src/util/prng.js';
import { silentLogger } from '../../src/util/logger.js';

const identity = (bytes: Buffer): Buffer => bytes;

function method(name: string, requestStream: boolean, responseStream: boolean):
  grpc.MethodDefinition<Buffer, Buffer> {
  return { path: `/test.Echo/${name}`, requestStream, responseStream, originalName: name,
    requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity,
    responseDeserialize: identity };
}

const definition = {
  Unary: method('Unary', false, false),
  Fail: method('Fail', false, false),
  Slow: method('Slow', false, false),
  Stream: method('Stream', false, true),
  Bidi: method('Bidi', true, true),
};

const messageBytesMax = 2 * 1024 * 1024;

/** What the server saw, for assertions. */
interface Observed {
  cancelledStreams: number;
  slowCallbacks: UnaryCallback[];
  drainsSeen: number;
}

function startServer(observed: Observed): { server: GRPCServer; listening: Promise<number> } {
  const server = new GRPCServer({ receiveMessageBytesMax: messageBytesMax, logger: silentLogger });
  server.addService(definition, {
    Unary: (call: UnaryCall, callback: UnaryCallback) => callback(null, call.request as Buffer),
    Fail: (call: UnaryCall, callback: UnaryCallback) => callback({ code: 9,
      details: `refused: ${(call.request as Buffer).toString()} – ünïcode 100%` }),
    Slow: (_call: UnaryCall, callback: UnaryCallback) => {
      observed.slowCallbacks.push(callback);
    },
    Stream: (call: StreamingCall) => serveStream(call, observed),
    Bidi: (call: StreamingCall) => {
      call.on('data', (message: Buffer) => call.write(message));
      call.on('end', () => call.end());
      call.on('cancelled', () => observed.cancelledStreams++);
    },
  });
  return { server, listening: server.listen('127.0.0.1', 0) };
}

/** Sends N messages of M bytes (request "N,M"), respecting write()'s back-pressure. */
function serveStream(call: StreamingCall, observed: Observed): void {
  const [count, bytes] = (call.request as Buffer).toString().split(',').map(Number);
  let sent = 0;
  call.on('cancelled', () => observed.cancelledStreams++);
  const pump = (): void => {
    while (sent < count!) {
      const message = Buffer.alloc(bytes!, sent % 251);
      message.writeUInt32BE(sent, 0);
      sent++;
      if (!call.write(message)) return;
    }
    call.end();
  };
  call.on('drain', () => {
    observed.drainsSeen++;
    pump();
  });
  pump();
}

function unary(client: grpc.Client, name: string, request: Buffer,
  options: grpc.CallOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(`/test.Echo/${name}`, identity, identity, request,
      new grpc.Metadata(), options, (error, response) => {
        if (error !== null) reject(error);
        else resolve(response!);
      });
  });
}

function collect(stream: grpc.ClientReadableStream<Buffer>): Promise<Buffer[]> {
  const messages: Buffer[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (message: Buffer) => messages.push(message));
    stream.on('error', reject);
    stream.on('end', () => resolve(messages));
  });
}

describe('GRPCServer with the grpc-js client', () => {
  let server: GRPCServer;
  let port: number;
  let client: grpc.Client;
  let observed: Observed;

  beforeEach(async () => {
    observed = { cancelledStreams: 0, slowCallbacks: [], drainsSeen: 0 };
    const started = startServer(observed);
    server = started.server;
    port = await started.listening;
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(),
      { 'grpc.max_receive_message_length': -1 });
  });

  afterEach(async () => {
    client.close();
    await server.close(100);
  });

  it('answers unary calls, many at once on one connection', async () => {
    const requests = Array.from({ length: 500 }, (_, index) => Buffer.from(`request ${index}`));
    const responses = await Promise.all(requests.map((request) => unary(client, 'Unary', request)));
    expect(responses.map(String)).toEqual(requests.map(String));
    expect(await unary(client, 'Unary', Buffer.alloc(0))).toHaveLength(0);
  });

  it('carries status codes and percent-encoded messages', async () => {
    const failure = await unary(client, 'Fail', Buffer.from('x')).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 9, details: 'refused: x – ünïcode 100%' });
  });

  it('answers an unknown method or service with UNIMPLEMENTED', async () => {
    await expect(unary(client, 'Nope', Buffer.from('x'))).rejects.toMatchObject({
      code: grpc.status.UNIMPLEMENTED, details: 'unknown method Nope for service test.Echo' });
    const other = new Promise((resolve) => {
      client.makeUnaryRequest('/other.Svc/M', identity, identity, Buffer.from('x'),
        (error) => resolve(error));
    });
    expect(await other).toMatchObject({ code: grpc.status.UNIMPLEMENTED,
      details: 'unknown service other.Svc' });
  });

  it('moves messages larger than every flow-control window both ways', async () => {
    const request = Buffer.alloc(1_500_000);
    for (let index = 0; index < request.length; index++) request[index] = (index * 7) % 256;
    const response = await unary(client, 'Unary', request);
    expect(response.equals(request)).toBe(true);
  });

  it('refuses a message above the bound with RESOURCE_EXHAUSTED and keeps serving', async () => {
    await expect(unary(client, 'Unary', Buffer.alloc(messageBytesMax + 1))).rejects
      .toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
    expect(String(await unary(client, 'Unary', Buffer.from('after')))).toBe('after');
  });

  it('reads gzip- and deflate-compressed requests', async () => {
    for (const algorithm of [1, 2]) {
      const compressing = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(),
        { 'grpc.default_compression_algorithm': algorithm });
      try {
        const request = Buffer.alloc(100_000, 'compressible ');
        const response = await unary(compressing, 'Unary', request);
        expect(response.equals(request)).toBe(true);
      } finally {
        compressing.close();
      }
    }
  });

  it('streams responses with back-pressure while the client reads slowly', async () => {
    const stream = client.makeServerStreamRequest('/test.Echo/Stream', identity, identity,
      Buffer.from('200,20000'));
    const messages = await collect(stream);
    expect(messages).toHaveLength(200);
    messages.forEach((message, index) => expect(message.readUInt32BE(0)).toBe(index));
    // NB: 4 MB against a 64 KiB client window and a 1 MiB queue bound must have paused it.
    expect(observed.drainsSeen).toBeGreaterThan(0);
  });

  it('echoes a bidirectional stream in order and ends it when the client ends', async () => {
    const stream = client.makeBidiStreamRequest('/test.Echo/Bidi', identity, identity);
    const received = collect(stream);
    for (let index = 0; index < 300; index++) stream.write(Buffer.from(`m${index}`));
    stream.end();
    expect((await received).map(String)).toEqual(Array.from({ length: 300 },
      (_, index) => `m${index}`));
  });

  it('tells the handler when the client cancels a stream', async () => {
    // NB: 10,000 x 20 kB cannot be sent before the cancel: the stream is blocked on windows.
    const stream = client.makeServerStreamRequest('/test.Echo/Stream', identity, identity,
      Buffer.from('10000,20000'));
    stream.on('error', () => undefined);
    await new Promise((resolve) => stream.once('data', resolve));
    stream.cancel();
    await waitFor(() => observed.cancelledStreams === 1);
    expect(String(await unary(client, 'Unary', Buffer.from('still up')))).toBe('still up');
  });

  it('drops the answer of a unary call whose client gave up (deadline)', async () => {
    const call = unary(client, 'Slow', Buffer.from('x'), { deadline: Date.now() + 50 });
    await expect(call).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    await waitFor(() => observed.slowCallbacks.length === 1);
    observed.slowCallbacks[0]!(null, Buffer.from('late'));
    expect(String(await unary(client, 'Unary', Buffer.from('next')))).toBe('next');
  });

  it('lets in-flight calls finish on close and refuses new connections', async () => {
    const slow = unary(client, 'Slow', Buffer.from('x'));
    await waitFor(() => observed.slowCallbacks.length === 1);
    const closing = server.close(5_000);
    observed.slowCallbacks[0]!(null, Buffer.from('finished'));
    expect(String(await slow)).toBe('finished');
    await closing;
    expect(server.connectionCount).toBe(0);
  });
});

describe('GRPCServer protocol errors (raw sockets)', () => {
  let server: GRPCServer;
  let port: number;
  let socket: Socket | undefined;

  beforeEach(async () => {
    const started = startServer({ cancelledStreams: 0, slowCallbacks: [], drainsSeen: 0 });
    server = started.server;
    port = await started.listening;
  });

  afterEach(async () => {
    socket?.destroy();
    await server.close(100);
  });

  /** Connects, sends `bytes`, and resolves with everything received until the close. */
  function exchange(bytes: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      socket = connect(port, '127.0.0.1', () => socket!.write(bytes));
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(chunks)));
    });
  }

  /** Returns the error code of the GOAWAY frame in `bytes`, or null. */
  function goAwayCode(bytes: Buffer): number | null {
    for (let offset = 0; offset + 9 <= bytes.length;) {
      const length = bytes.readUIntBE(offset, 3);
      if (bytes[offset + 3] === FrameType.goAway) return bytes.readUInt32BE(offset + 13);
      offset += 9 + length;
    }
    return null;
  }

  it('closes a connection that does not start with the HTTP/2 preface', async () => {
    const received = await exchange(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(goAwayCode(received)).toBe(H2Error.protocolError);
  });

  it('closes with FRAME_SIZE_ERROR on a frame above SETTINGS_MAX_FRAME_SIZE', async () => {
    const received = await exchange(Buffer.concat([clientPreface, encodeSettings([]),
      encodeFrame(FrameType.data, 0, 1, Buffer.alloc(20_000))]));
    expect(goAwayCode(received)).toBe(H2Error.frameSizeError);
  });

  it('closes with PROTOCOL_ERROR on an even (server-initiated) stream id', async () => {
    const received = await exchange(Buffer.concat([clientPreface, encodeSettings([]),
      encodeFrame(FrameType.headers, 0x5, 2, Buffer.from([0x83]))]));
    expect(goAwayCode(received)).toBe(H2Error.protocolError);
  });

  it('survives 150 connections of random frames, then serves a real call', async () => {
    // Seeded: frames of every type with random flags, stream ids and payloads, some of them
    // well-formed HEADERS for a real method; any crash would fail the test (in-process).
    const random = new SeededRandom(20261207);
    const block = encodeHeaderBlock([':method', 'POST', ':scheme', 'http', ':path',
      '/test.Echo/Unary', ':authority', 'x', 'content-type', 'application/grpc']);
    for (let connection = 0; connection < 150; connection++) {
      const frames: Buffer[] = [clientPreface, encodeSettings([])];
      for (let index = random.int(12); index >= 0; index--) {
        const type = random.int(11);
        const payload = type === FrameType.headers && random.int(2) === 0 ? block
          : Buffer.from(Array.from({ length: random.int(40) }, () => random.int(256)));
        frames.push(encodeFrame(type, random.int(256), random.int(8), payload));
      }
      await exchangeUntilQuiet(port, Buffer.concat(frames));
    }
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      expect(String(await unary(client, 'Unary', Buffer.from('alive')))).toBe('alive');
    } finally {
      client.close();
    }
  });

  it('closes with COMPRESSION_ERROR on a header block HPACK cannot decode', async () => {
    const received = await exchange(Buffer.concat([clientPreface, encodeSettings([]),
      encodeFrame(FrameType.headers, 0x5, 1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))]));
    expect(goAwayCode(received)).toBe(H2Error.compressionError);
  });
});

/** Sends `bytes`, then closes once the server closed or said nothing for 20 ms. */
function exchangeUntilQuiet(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let quiet = setTimeout(() => socket.destroy(), 20);
    socket.on('data', () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => socket.destroy(), 20);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(quiet);
      resolve();
    });
  });
}

/** Waits until `condition` holds, for at most 5 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
