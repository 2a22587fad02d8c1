/**
 * Goal: a real 3-peer cluster answers bad requests with etcd's exact gRPC code and message
 * (oversized request, empty key, compacted and future revisions, unknown lease) and stays
 * up; a peer refuses to start on a corrupt data dir; a peer whose disk stops syncing never
 * acknowledges again while the rest of the cluster keeps every acknowledged write, whether
 * that peer is a follower or the leader.
 * Method: real `coracle server` processes (ProcessCluster) on 127.0.0.1 free ports, driven
 * by raw gRPC clients built from proto/etcd. Corruption: stop a peer, overwrite a Raft log
 * entry in its LevelDB (key 0x65 + u64 BE index) with garbage, start it again. Disk failure:
 * restart one peer with the TEST-ONLY `CORACLE_FAILPOINTS=sync-fail-after:N` (every synced
 * write after the N-th fails), write through every peer until it trips, and compare what
 * was acknowledged with what the healthy peers hold. Every wait polls with a deadline;
 * teardown stops every process by PID.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WireStatus } from '../../src/server/etcd-client.js';
import { bytes, rawClient, type RawClient, text, unary } from '../etcd-api/helpers.js';
import { ProcessCluster, eventually } from './process-cluster.js';

const names = ['p1', 'p2', 'p3'];

/** The gRPC error of a call that must fail (fails the test when it succeeds). */
async function failure(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  const outcome = await promise.then((response) => ({ response }), (error: unknown) => ({ error }));
  if ('response' in outcome) {
    throw new Error(`expected an error, got ${JSON.stringify(outcome.response)}`);
  }
  return outcome.error as grpc.ServiceError;
}

/** Expects `promise` to fail with gRPC `code` and exactly etcd's `message`. */
async function expectStatus(promise: Promise<unknown>, code: grpc.status, message: string):
  Promise<void> {
  const error = await failure(promise);
  expect(error.details).toBe(message);
  expect(grpc.status[error.code]).toBe(grpc.status[code]);
}

/** Raw KV/Maintenance clients of every peer, closed at teardown. */
class Clients {
  private readonly open: RawClient[] = [];
  readonly kv = new Map<string, RawClient>();
  readonly lease = new Map<string, RawClient>();
  readonly maintenance = new Map<string, RawClient>();

  constructor(cluster: ProcessCluster) {
    for (const name of names) {
      for (const [service, map] of [['KV', this.kv], ['Lease', this.lease],
        ['Maintenance', this.maintenance]] as const) {
        const client = rawClient(service, cluster.endpoint(name));
        map.set(name, client);
        this.open.push(client);
      }
    }
  }

  put(name: string, key: string, value: string): Promise<Record<string, unknown>> {
    return unary(this.kv.get(name)!, 'Put', { key: bytes(key), value: bytes(value) });
  }

  async keys(name: string, prefix: string, serializable = false): Promise<Set<string>> {
    const end = bytes(prefix);
    end[end.length - 1] = end[end.length - 1]! + 1;
    const response = await unary(this.kv.get(name)!, 'Range',
      { key: bytes(prefix), rangeEnd: end, keysOnly: true, serializable });
    return new Set((response.kvs as { key: Buffer }[]).map((kv) => text(kv.key)));
  }

  status(name: string): Promise<WireStatus> {
    return unary(this.maintenance.get(name)!, 'Status', {}) as Promise<unknown> as
      Promise<WireStatus>;
  }

  close(): void {
    for (const client of this.open) client.close();
  }
}

describe('bad input against a real cluster', () => {
  let cluster: ProcessCluster;
  let clients: Clients;
  let leader: string;
  let follower: string;

  beforeAll(async () => {
    cluster = await ProcessCluster.start({ peers: 3 });
    clients = new Clients(cluster);
    leader = await cluster.waitForLeader();
    follower = names.find((name) => name !== leader)!;
  });

  afterAll(async () => {
    clients?.close();
    await cluster?.stop();
  });

  /** Each peer still runs and still serves a linearizable read and a write. */
  async function expectAllUp(): Promise<void> {
    for (const name of names) {
      expect(cluster.running()).toContain(name);
      await clients.put(name, `/alive/${name}`, 'yes');
      expect(await clients.keys(name, '/alive/')).toContain(`/alive/${name}`);
    }
  }

  it('refuses a request over 1.5 MiB through follower and leader, storing nothing', async () => {
    const value = Buffer.alloc(1.6 * 1024 * 1024, 0x61);
    for (const name of [follower, leader]) {
      await expectStatus(unary(clients.kv.get(name)!, 'Put', { key: bytes('/big/x'), value }),
        grpc.status.INVALID_ARGUMENT, 'etcdserver: request is too large');
    }
    for (const name of names) expect(await clients.keys(name, '/big/')).toEqual(new Set());
    await expectAllUp();
  });

  it('rejects an empty key in range, put, delete and txn without harming any peer',
    async () => {
      // NB: before the check in RaftBackend, an empty-key write entered the log and every
      // peer crash-stopped applying it (and again on each restart).
      const empty = Buffer.alloc(0);
      for (const name of [follower, leader]) {
        const kv = clients.kv.get(name)!;
        for (const [method, request] of [
          ['Range', { key: empty }],
          ['Put', { key: empty, value: bytes('v') }],
          ['DeleteRange', { key: empty }],
          ['Txn', { compare: [{ key: empty, target: 'VALUE', value: bytes('v') }] }],
          ['Txn', { success: [{ requestPut: { key: empty, value: bytes('v') } }] }],
          ['Txn', { failure: [{ requestDeleteRange: { key: empty } }] }],
        ] as const) {
          await expectStatus(unary(kv, method, request),
            grpc.status.INVALID_ARGUMENT, 'etcdserver: key is not provided');
        }
      }
      await expectAllUp();
    });

  it('stores an empty value (the codec drops empty bytes; the value must survive)',
    async () => {
      await clients.put(follower, '/empty-value', '');
      for (const name of names) {
        const response = await unary(clients.kv.get(name)!, 'Range',
          { key: bytes('/empty-value') });
        const kvs = response.kvs as { value: Buffer }[];
        expect(kvs).toHaveLength(1);
        expect(text(kvs[0]!.value)).toBe('');
      }
      await expectAllUp();
    });

  it('answers reads at compacted and future revisions with mvcc errors', async () => {
    const first = await clients.put(follower, '/rev/k', 'one');
    const old = Number((first.header as { revision: number }).revision);
    await clients.put(follower, '/rev/k', 'two');
    const second = await clients.put(leader, '/rev/k', 'three');
    const current = Number((second.header as { revision: number }).revision);
    await unary(clients.kv.get(follower)!, 'Compact', { revision: current - 1 });
    for (const name of names) {
      await expectStatus(unary(clients.kv.get(name)!, 'Range',
        { key: bytes('/rev/k'), revision: old }),
      grpc.status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted');
      await expectStatus(unary(clients.kv.get(name)!, 'Range',
        { key: bytes('/rev/k'), revision: current + 1000 }),
      grpc.status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision');
      const latest = await unary(clients.kv.get(name)!, 'Range', { key: bytes('/rev/k') });
      expect(text((latest.kvs as { value: Buffer }[])[0]!.value)).toBe('three');
    }
    await expectAllUp();
  });

  it('refuses a put with an unknown lease, storing nothing', async () => {
    for (const name of [follower, leader]) {
      await expectStatus(unary(clients.kv.get(name)!, 'Put',
        { key: bytes('/lease/x'), value: bytes('v'), lease: 424242 }),
      grpc.status.NOT_FOUND, 'etcdserver: requested lease not found');
      await expectStatus(unary(clients.lease.get(name)!, 'LeaseRevoke', { ID: 424242 }),
        grpc.status.NOT_FOUND, 'etcdserver: requested lease not found');
    }
    for (const name of names) expect(await clients.keys(name, '/lease/')).toEqual(new Set());
    await expectAllUp();
  });

  it('refuses to start on a corrupt Raft log, naming the corruption', async () => {
    await cluster.kill(follower, 'SIGTERM');
    const corrupted = corruptLogEntry(join(cluster.directory, 'data', follower));
    expect(corrupted).toBeGreaterThan(0);
    const child = cluster.spawn(follower);
    const code = await exitCode(child, 20_000);
    expect(code).not.toBe(0);
    const log = readFileSync(join(cluster.directory, 'logs', `${follower}.log`), 'utf8');
    expect(log).toMatch(/is corrupt/);
    expect(log).toContain(`log entry ${corrupted}: CRC mismatch`);
    // The two others still form a quorum.
    const others = names.filter((name) => name !== follower);
    await cluster.waitForLeader(others);
    await clients.put(others[0]!, '/after-corruption', 'ok');
    expect(await clients.keys(others[1]!, '/after-corruption')).toContain('/after-corruption');
  });
});

/**
 * Damages the data of the first log entry in the newest WAL segment that is not its last
 * frame (a damaged last frame is a torn write, cut off on replay); returns its index.
 */
function corruptLogEntry(dataDir: string): number {
  const directory = join(dataDir, 'wal');
  const newest = readdirSync(directory).filter((name) => name.endsWith('.wal')).sort().at(-1);
  if (newest === undefined) throw new Error('no WAL segment');
  const bytes = readFileSync(join(directory, newest));
  for (let offset = 0; offset + 4 < bytes.length;) {
    const end = offset + 4 + bytes.readUInt32BE(offset);
    // Frame: u32 length | type | crc u32 | term f64 | index f64 | entry type | data.
    if (bytes.readUInt8(offset + 4) === 0x65 && end < bytes.length) {
      bytes.fill(0x5a, offset + 5 + 21, end);
      bytes.writeUInt8(bytes.readUInt8(offset + 5 + 4) ^ 0xff, offset + 5 + 4);
      writeFileSync(join(directory, newest), bytes);
      return bytes.readDoubleBE(offset + 5 + 12);
    }
    offset = end;
  }
  throw new Error('no entry frame before the tail');
}

/** Resolves with the exit code of `child` (a signal counts as -1); fails at the deadline. */
async function exitCode(child: ChildProcess, deadlineMs: number): Promise<number> {
  return eventually(() => Promise.resolve(child.exitCode ?? (child.signalCode === null
    ? undefined : -1)), deadlineMs, 'the peer process to exit');
}

describe('a disk that stops syncing (TEST-ONLY failpoint)', () => {
  let cluster: ProcessCluster | null = null;
  let clients: Clients | null = null;

  afterEach(async () => {
    clients?.close();
    clients = null;
    await cluster?.stop();
    cluster = null;
  });

  /** Restarts `name` with the failpoint armed and waits until the cluster agrees again. */
  async function armFailpoint(running: ProcessCluster, name: string, after: number):
    Promise<void> {
    await running.kill(name, 'SIGTERM');
    running.spawn(name, [], { CORACLE_FAILPOINTS: `sync-fail-after:${after}` });
    await running.waitForLeader(names, 30_000);
  }

  /**
   * Writes round-robin through every peer until `failing` has refused a write with "server
   * stopped", then `afterFailure` more through the healthy peers. Returns the acknowledged
   * keys. A write through `failing` that succeeds after it first failed fails the test.
   */
  async function writeUntilFailed(running: ProcessCluster, failing: string,
    afterFailure: number): Promise<{ acknowledged: string[]; failingErrors: string[] }> {
    const acknowledged: string[] = [];
    const failingErrors: string[] = [];
    const acknowledgedAfterStop: string[] = [];
    let stopped = false;
    let healthyAfterStop = 0;
    const deadline = Date.now() + 45_000;
    for (let i = 0; i < 600 && Date.now() < deadline && healthyAfterStop < afterFailure; i++) {
      const target = names[i % names.length]!;
      const key = `/disk/${String(i).padStart(4, '0')}`;
      try {
        await clients!.put(target, key, `v${i}`);
        acknowledged.push(key);
        if (target === failing && stopped) acknowledgedAfterStop.push(key);
        if (target !== failing && stopped) healthyAfterStop += 1;
      } catch (error) {
        // Unknown outcome (leader change, timeout): not acknowledged, may or may not exist.
        const details = (error as grpc.ServiceError).details ?? String(error);
        if (target === failing) {
          failingErrors.push(details);
          if (details === 'etcdserver: server stopped') stopped = true;
        }
      }
    }
    expect(stopped, `the failing peer never refused a write: ${failingErrors.join('; ')}`)
      .toBe(true);
    expect(acknowledgedAfterStop).toEqual([]);
    expect(healthyAfterStop).toBe(afterFailure);
    return { acknowledged, failingErrors };
  }

  /** The crash-stopped peer keeps its process, reports why, and refuses every request. */
  async function expectCrashStopped(failing: string): Promise<void> {
    expect(cluster!.running()).toContain(failing);
    const status = await clients!.status(failing);
    expect(status.errors.join(' ')).toContain('synced write failed');
    expect(status.leader).toBe(0);
    for (let i = 0; i < 3; i++) {
      await expectStatus(clients!.put(failing, `/disk/refused/${i}`, 'x'),
        grpc.status.UNAVAILABLE, 'etcdserver: server stopped');
    }
    await expectStatus(unary(clients!.kv.get(failing)!, 'Range', { key: bytes('/disk/') }),
      grpc.status.UNAVAILABLE, 'etcdserver: server stopped');
  }

  /** Every acknowledged key is on every healthy peer (linearizable and local reads). */
  async function expectNothingLost(healthy: readonly string[], acknowledged: readonly string[]):
    Promise<void> {
    for (const name of healthy) {
      const held = await clients!.keys(name, '/disk/');
      expect(acknowledged.filter((key) => !held.has(key))).toEqual([]);
      expect(held.has('/disk/refused/0')).toBe(false);
      const local = await eventually(async () => {
        const keys = await clients!.keys(name, '/disk/', true);
        return acknowledged.every((key) => keys.has(key)) ? keys : undefined;
      }, 20_000, `${name} applying every acknowledged write`);
      expect(local.size).toBe(held.size);
    }
  }

  it('a follower whose disk fails stops acknowledging; the others keep every write',
    async () => {
      cluster = await ProcessCluster.start({ peers: 3 });
      clients = new Clients(cluster);
      const leader = await cluster.waitForLeader();
      const failing = names.find((name) => name !== leader)!;
      await armFailpoint(cluster, failing, 20);
      const { acknowledged } = await writeUntilFailed(cluster, failing, 20);
      expect(acknowledged.length).toBeGreaterThan(20);
      await expectCrashStopped(failing);
      const healthy = names.filter((name) => name !== failing);
      expect(await cluster.waitForLeader(healthy)).toBe(leader);
      await expectNothingLost(healthy, acknowledged);
    });

  it('a leader whose disk fails is replaced; no acknowledged write is lost', async () => {
    cluster = await ProcessCluster.start({ peers: 3 });
    clients = new Clients(cluster);
    const leader = await cluster.waitForLeader();
    const failing = names.find((name) => name !== leader)!;
    await armFailpoint(cluster, failing, 40);
    const target = (await clients.status(failing)).header.memberId;
    await unary(clients.maintenance.get(leader)!, 'MoveLeader', { targetID: target });
    expect(await cluster.waitForLeader(names, 30_000)).toBe(failing);
    const { acknowledged } = await writeUntilFailed(cluster, failing, 20);
    expect(acknowledged.length).toBeGreaterThan(20);
    await expectCrashStopped(failing);
    const healthy = names.filter((name) => name !== failing);
    expect(await cluster.waitForLeader(healthy, 30_000)).not.toBe(failing);
    await expectNothingLost(healthy, acknowledged);
  });
});
