/**
 * Goal: the TypeScript load generator sends real etcd requests and measures them: its
 * hand-encoded PutRequest/RangeRequest bytes decode as etcd's own types (256-byte value,
 * etcdload's key layout, serializable flag), and a closed-loop run against the no-op
 * server completes every request with sane percentiles.
 * Method: decode with protobufjs from proto/etcd; run NodeGenerator (compiled worker from
 * dist/, built by `npm test`) against startNoopServer on a free port, in process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as grpc from '@grpc/grpc-js';
import { etcdRoot } from '../../src/server/etcd-api/proto.js';
import { PutEncoder, encodeRange, generatedKey } from '../../src/bench/wire.js';
import { NodeGenerator, shares } from '../../src/bench/node-generator.js';
import { startNoopServer } from '../../src/bench/noop-server.js';
import { ProcessRegistry } from '../../src/bench/processes.js';
import { freePort } from '../../src/cli/local-cluster.js';

const PutRequest = etcdRoot.lookupType('etcdserverpb.PutRequest');
const RangeRequest = etcdRoot.lookupType('etcdserverpb.RangeRequest');

describe('wire encoding', () => {
  it('encodes PutRequest with etcdload\'s key layout and a 256-byte value', () => {
    const encoder = new PutEncoder({ prefix: 'k', keyBytes: 8, valueBytes: 256,
      keySpace: 1000 });
    const decoded = PutRequest.toObject(PutRequest.decode(encoder.encode(1234))) as
      { key: Uint8Array; value: Uint8Array };
    expect(Buffer.from(decoded.key).toString()).toBe('k0000234');
    expect(decoded.value.length).toBe(256);
    expect(generatedKey({ prefix: 'k', keyBytes: 8, index: 42 })).toBe('k0000042');
  });

  it.each([true, false])('encodes RangeRequest (serializable %s)', (serializable) => {
    const decoded = RangeRequest.toObject(RangeRequest.decode(
      encodeRange({ key: 'foo', serializable })), { defaults: true }) as
      { key: Uint8Array; serializable: boolean };
    expect(Buffer.from(decoded.key).toString()).toBe('foo');
    expect(decoded.serializable).toBe(serializable);
  });

  it('splits work into near-equal shares', () => {
    expect(shares(10, 3)).toEqual([4, 3, 3]);
    expect(shares(1, 2)).toEqual([1, 0]);
  });
});

describe('NodeGenerator against the no-op server', () => {
  let server: grpc.Server;
  let endpoint: string;
  const generator = new NodeGenerator(new ProcessRegistry());

  beforeAll(async () => {
    const port = await freePort();
    endpoint = `127.0.0.1:${port}`;
    server = await startNoopServer(endpoint);
  });
  afterAll(() => server.forceShutdown());

  it('completes every put and range with positive percentiles', async () => {
    const put = await generator.put({ endpoints: [endpoint], clients: 16, connections: 4,
      total: 400 });
    expect(put.requests).toBe(400);
    expect(put.errors).toBe(0);
    expect(put.p50Ms).toBeGreaterThan(0);
    expect(put.p99Ms).toBeGreaterThanOrEqual(put.p50Ms);
    const range = await generator.range({ endpoints: [endpoint], clients: 4, connections: 2,
      total: 100, key: 'foo', consistency: 'linearizable' });
    expect(range.requests).toBe(100);
    expect(range.requestsPerS).toBeGreaterThan(0);
  });
});
