/**
 * Goal: the etcd API's error mapping, limits and stream semantics, seen from a raw gRPC
 * client built from proto/etcd (no etcd client library smoothing things over). Method: a
 * server over a LocalBackend on 127.0.0.1 port 0; requests that must fail are checked for
 * etcd's exact gRPC code and message; watch streams are driven message by message. Slow
 * consumers pause their stream and are checked to be cancelled, never buffered without
 * bound. Every wait polls a condition with a deadline.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EtcdBackend, WatchSubscription } from '../../src/server/etcd-api/backend.js';
import type { LocalBackend } from '../../src/server/etcd-api/local-backend.js';
import {
  bytes, rawClient, type RawClient, startTestServer, type TestServer, text, unary, waitFor,
} from './helpers.js';

/** Expects `promise` to fail with gRPC `code` and a message containing `message`. */
async function expectStatus(
  promise: Promise<unknown>, code: grpc.status, message: string,
): Promise<void> {
  const error = await promise.then(() => undefined, (failure: unknown) => failure);
  expect(error, `expected ${grpc.status[code]} ${message}`).toBeInstanceOf(Error);
  const status = error as grpc.ServiceError;
  expect(status.details).toContain(message);
  expect(grpc.status[status.code]).toBe(grpc.status[code]);
}

/** A raw Watch stream whose responses are collected (while it is not paused). */
class RawWatch {
  readonly responses: Record<string, unknown>[] = [];
  readonly call: grpc.ClientDuplexStream<object, Record<string, unknown>>;
  ended = false;

  constructor(client: RawClient) {
    const open = client.Watch as () => grpc.ClientDuplexStream<object, Record<string, unknown>>;
    this.call = open.call(client);
    this.call.on('data', (response: Record<string, unknown>) => this.responses.push(response));
    this.call.on('error', () => { this.ended = true; });
    this.call.on('end', () => { this.ended = true; });
  }

  create(request: object): void {
    this.call.write({ createRequest: request });
  }

  /** Waits for a response matching `predicate` and returns it. */
  async next(what: string, predicate: (response: Record<string, unknown>) => boolean):
    Promise<Record<string, unknown>> {
    await waitFor(what, () => this.responses.some(predicate));
    return this.responses.find(predicate)!;
  }

  close(): void {
    this.call.cancel();
  }
}

const eventsOf = (response: Record<string, unknown>): Record<string, unknown>[] =>
  (response.events as Record<string, unknown>[] | undefined) ?? [];

describe('the etcd API seen by a raw gRPC client', () => {
  let server: TestServer;
  let kv: RawClient;
  let lease: RawClient;
  let watchClient: RawClient;
  const watches: RawWatch[] = [];
  const openWatch = (client = watchClient): RawWatch => {
    const watch = new RawWatch(client);
    watches.push(watch);
    return watch;
  };

  beforeAll(async () => {
    server = await startTestServer();
    kv = rawClient('KV', server.endpoint);
    lease = rawClient('Lease', server.endpoint);
    watchClient = rawClient('Watch', server.endpoint);
  });

  afterAll(async () => {
    for (const watch of watches) watch.close();
    for (const client of [kv, lease, watchClient]) client?.close();
    await server?.close();
  });

  it('answers an oversized request with "request is too large"', async () => {
    const value = Buffer.alloc(1.6 * 1024 * 1024, 0x61);
    await expectStatus(unary(kv, 'Put', { key: bytes('big'), value }),
      grpc.status.INVALID_ARGUMENT, 'etcdserver: request is too large');
    const huge = Buffer.alloc(3 * 1024 * 1024, 0x61);
    await expectStatus(unary(kv, 'Put', { key: bytes('huge'), value: huge }),
      grpc.status.RESOURCE_EXHAUSTED, '');
    const range = await unary(kv, 'Range', { key: bytes('big') });
    expect(range.count).toBe(0);
  });

  it('rejects invalid ranges, future revisions and unsafe integers', async () => {
    await expectStatus(unary(kv, 'Range', { key: Buffer.alloc(0) }),
      grpc.status.INVALID_ARGUMENT, 'etcdserver: key is not provided');
    await expectStatus(unary(kv, 'Range', { key: bytes('a'), sortOrder: 7 }),
      grpc.status.INVALID_ARGUMENT, 'etcdserver: invalid sort option');
    const future = server.backend.store.revision + 10;
    await expectStatus(unary(kv, 'Range', { key: bytes('a'), revision: future }),
      grpc.status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision');
    await expectStatus(unary(kv, 'Range', { key: bytes('a'), revision: '9007199254740993' }),
      grpc.status.INVALID_ARGUMENT, 'out of the supported range');
    await expectStatus(unary(kv, 'Txn', { success: [{}] }),
      grpc.status.INVALID_ARGUMENT, 'etcdserver: key not found');
  });

  it('counts with count_only and fills the full header', async () => {
    await unary(kv, 'Put', { key: bytes('/count/a'), value: bytes('1') });
    await unary(kv, 'Put', { key: bytes('/count/b'), value: bytes('2') });
    const response = await unary(kv, 'Range',
      { key: bytes('/count/'), rangeEnd: bytes('/count0'), countOnly: true });
    expect(response.count).toBe(2);
    expect(response.kvs).toEqual([]);
    expect(response.header).toEqual({
      clusterId: server.backend.header().clusterId, memberId: server.backend.header().memberId,
      revision: server.backend.store.revision, raftTerm: 1,
    });
  });

  it('maps unknown leases like etcd', async () => {
    await expectStatus(unary(lease, 'LeaseRevoke', { ID: 4242 }),
      grpc.status.NOT_FOUND, 'etcdserver: requested lease not found');
    await expectStatus(unary(kv, 'Put', { key: bytes('k'), value: bytes('v'), lease: 4242 }),
      grpc.status.NOT_FOUND, 'etcdserver: requested lease not found');
    const ttl = await unary(lease, 'LeaseTimeToLive', { ID: 4242 });
    expect(ttl.TTL).toBe(-1);
    const open = lease.LeaseKeepAlive as () => grpc.ClientDuplexStream<object,
      Record<string, unknown>>;
    const stream = open.call(lease);
    const answers: Record<string, unknown>[] = [];
    stream.on('data', (response: Record<string, unknown>) => answers.push(response));
    stream.on('error', () => undefined);
    stream.write({ ID: 4242 });
    await waitFor('a keepalive answer', () => answers.length === 1);
    expect(answers[0]).toMatchObject({ ID: 4242, TTL: 0 });
    stream.cancel();
  });

  it('assigns per-stream watch ids, refuses duplicates, answers progress with id -1', async () => {
    const watch = openWatch();
    watch.create({ key: bytes('/ids/a') });
    watch.create({ key: bytes('/ids/b') });
    await watch.next('two creates', () => watch.responses.length >= 2);
    expect(watch.responses.map((response) => response.watchId)).toEqual([0, 1]);
    watch.create({ key: bytes('/ids/c'), watchId: 1 });
    const refused = await watch.next('duplicate refused', (response) => response.canceled === true);
    expect(refused).toMatchObject({ watchId: -1, created: true, canceled: true,
      cancelReason: 'mvcc: duplicate watch ID provided' });
    await unary(kv, 'Put', { key: bytes('/ids/b'), value: bytes('x') });
    const event = await watch.next('an event', (response) => eventsOf(response).length > 0);
    expect(event.watchId).toBe(1);
    expect(text(eventsOf(event)[0]!.kv && (eventsOf(event)[0]!.kv as { key: unknown }).key))
      .toBe('/ids/b');
    watch.call.write({ progressRequest: {} });
    const progress = await watch.next('progress', (response) => response.watchId === -1
      && response.created === false);
    expect((progress.header as { revision: number }).revision)
      .toBe(server.backend.store.revision);
    watch.call.write({ cancelRequest: { watchId: 0 } });
    const cancelled = await watch.next('cancel', (response) =>
      response.watchId === 0 && response.canceled === true);
    expect(cancelled.created).toBe(false);
  });

  it('cancels a watch from a compacted revision with compact_revision', async () => {
    await unary(kv, 'Put', { key: bytes('/compact/k'), value: bytes('1') });
    const old = server.backend.store.revision;
    await unary(kv, 'Put', { key: bytes('/compact/k'), value: bytes('2') });
    const compactTo = server.backend.store.revision;
    await unary(kv, 'Compact', { revision: compactTo });
    const watch = openWatch();
    watch.create({ key: bytes('/compact/k'), startRevision: old });
    const cancelled = await watch.next('compacted cancel', (response) => response.canceled === true);
    expect(cancelled.compactRevision).toBe(compactTo);
    expect(cancelled.cancelReason).toContain('required revision has been compacted');
    expect(watch.responses[0]).toMatchObject({ created: true, canceled: false });
  });

  it('answers malformed protobuf bytes with INVALID_ARGUMENT and stays up', async () => {
    const raw = new grpc.Client(server.endpoint, grpc.credentials.createInsecure());
    const identity = (value: Buffer): Buffer => value;
    const malformed = new Promise((resolve, reject) => {
      raw.makeUnaryRequest('/etcdserverpb.KV/Range', identity, identity,
        Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]), (error, value) => {
          if (error !== null) reject(error); else resolve(value);
        });
    });
    await expectStatus(malformed, grpc.status.INVALID_ARGUMENT, 'etcdserver: malformed request');
    raw.close();
    const range = await unary(kv, 'Range', { key: bytes('/count/a') });
    expect(range.count).toBe(1);
  });

  it('answers the services Coracle does not implement with etcd-shaped statuses', async () => {
    const maintenance = rawClient('Maintenance', server.endpoint);
    const auth = rawClient('Auth', server.endpoint);
    const cluster = rawClient('Cluster', server.endpoint);
    try {
      expect(typeof (await unary(maintenance, 'Hash', {})).hash).toBe('number');
      await expectStatus(unary(maintenance, 'HashKV', {}), grpc.status.UNIMPLEMENTED, 'HashKV');
      expect((await unary(auth, 'AuthStatus', {})).enabled).toBe(false);
      await expectStatus(unary(auth, 'Authenticate', { name: 'root', password: 'x' }),
        grpc.status.FAILED_PRECONDITION, 'etcdserver: authentication is not enabled');
      await expectStatus(unary(cluster, 'MemberUpdate', { ID: 1 }), grpc.status.UNIMPLEMENTED,
        'MemberUpdate');
      await expectStatus(unary(cluster, 'MemberAdd', { peerURLs: ['not a url'] }),
        grpc.status.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid');
    } finally {
      for (const client of [maintenance, auth, cluster]) client.close();
    }
  });
});

/** Writes `revisions` txns of `perTxn` puts under `prefix`, yielding between them. */
async function writeMany(
  backend: LocalBackend, prefix: string, revisions: number, perTxn: number,
): Promise<number> {
  const value = Buffer.alloc(200, 0x62);
  for (let revision = 0; revision < revisions; revision++) {
    const success = [];
    for (let op = 0; op < perTxn; op++) {
      success.push({ requestPut: { key: bytes(`${prefix}${op}`), value } });
    }
    await backend.txn({ success });
    // NB: not a sleep: yields so the watch pump and gRPC interleave with the writes.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return revisions * perTxn;
}

/** Hides the backend's flow control: responses are pushed regardless, and no resume(). */
function withoutFlowControl(backend: LocalBackend): EtcdBackend {
  const wrapped: EtcdBackend = Object.create(backend) as EtcdBackend;
  wrapped.watch = (request) => {
    const inner = backend.watch(request);
    const subscription: WatchSubscription = {
      created: inner.created,
      start: (onResponses) => inner.start((responses) => {
        onResponses(responses);
        return true;
      }),
      requestProgress: () => inner.requestProgress(),
      cancel: () => inner.cancel(),
    };
    return subscription;
  };
  return wrapped;
}

describe.each([
  { name: 'a backend with flow control (store bound)', wrap: undefined,
    reason: 'watcher is too slow' },
  { name: 'a backend without flow control (stream bound)', wrap: withoutFlowControl,
    reason: 'watch stream is too slow' },
])('a watch consumer that stops reading, over $name', ({ wrap, reason }) => {
  let server: TestServer;
  let client: RawClient;

  beforeAll(async () => {
    server = await startTestServer({}, wrap);
    client = rawClient('Watch', server.endpoint);
  });

  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  it('is cancelled with a reason instead of being buffered without bound', async () => {
    const watch = new RawWatch(client);
    try {
      watch.create({ key: bytes('/slow/'), rangeEnd: bytes('/slow0') });
      await watch.next('created', (response) => response.created === true);
      watch.call.pause();
      const written = await writeMany(server.backend, '/slow/', 400, 100);
      watch.call.resume();
      const cancelled = await watch.next('the slow cancel', (response) =>
        response.canceled === true);
      expect(cancelled.cancelReason).toContain(reason);
      const delivered = watch.responses.reduce((sum, response) =>
        sum + eventsOf(response).length, 0);
      expect(delivered).toBeLessThan(written);
      await waitFor('the watcher to be gone', () => server.backend.watcherCount === 0);
      const messages = server.logger.lines.map((line) => line.message);
      expect(messages).toContain('watch stream full: pausing its watchers until the client reads');
      if (wrap !== undefined) {
        expect(messages).toContain('cancelling a watcher whose watch stream is not read fast enough');
      }
    } finally {
      watch.close();
    }
  });
});

describe('progress_notify', () => {
  it('sends idle watchers created with progress_notify a progress response', async () => {
    const server = await startTestServer({ progressNotifyIntervalMs: 50 });
    const client = rawClient('Watch', server.endpoint);
    const watch = new RawWatch(client);
    try {
      watch.create({ key: bytes('/notify'), progressNotify: true });
      await watch.next('created', (response) => response.created === true);
      await server.backend.put({ key: bytes('/notify'), value: bytes('x') });
      const revision = server.backend.store.revision;
      const progress = await watch.next('a progress notification', (response) =>
        response.watchId === 0 && response.created === false && eventsOf(response).length === 0);
      expect((progress.header as { revision: number }).revision).toBe(revision);
    } finally {
      watch.close();
      client.close();
      await server.close();
    }
  });
});

describe('server shutdown', () => {
  it('ends open watch streams with "server stopped" and cancels their watchers', async () => {
    const server = await startTestServer();
    const client = rawClient('Watch', server.endpoint);
    const watch = new RawWatch(client);
    let status: grpc.ServiceError | undefined;
    watch.call.on('error', (error: grpc.ServiceError) => { status = error; });
    try {
      watch.create({ key: bytes('/shutdown') });
      await watch.next('created', (response) => response.created === true);
      await waitFor('one watcher', () => server.backend.watcherCount === 1);
      await server.server.close();
      await waitFor('the stream to end', () => status !== undefined);
      expect(status?.code).toBe(grpc.status.UNAVAILABLE);
      expect(status?.details).toBe('etcdserver: server stopped');
      expect(server.backend.watcherCount).toBe(0);
    } finally {
      client.close();
      await server.close();
    }
  });
});
