/**
 * Goal: the pure pieces of the etcd API: request decoding (64-bit integers, enums, bytes,
 * nested txns), peer URL validation and the snapshot file layout. Method: table-driven
 * checks on messages encoded with the same protos the server loads.
 */
import { describe, expect, it } from 'vitest';
import { isValidPeerURL } from '../../src/server/etcd-api/cluster-service.js';
import { toRangeRequest, toTxnRequest, toWatchRequest } from '../../src/server/etcd-api/decode.js';
import { EtcdError } from '../../src/server/etcd-api/errors.js';
import { etcdRoot, serverMethod, type WireMessage } from '../../src/server/etcd-api/proto.js';
import {
  buildSnapshotFile, readSnapshotFile, snapshotFileAlignmentBytes,
} from '../../src/server/etcd-api/snapshot-file.js';

/** Encodes `object` as `etcdserverpb.<type>` and decodes it as the server does. */
function wire(type: string, object: object): WireMessage {
  const messageType = etcdRoot.lookupType(`etcdserverpb.${type}`);
  return messageType.decode(messageType.encode(messageType.fromObject(object)).finish());
}

function failure(run: () => unknown): EtcdError {
  try {
    run();
  } catch (error) {
    if (error instanceof EtcdError) return error;
    throw error;
  }
  throw new Error('expected an EtcdError');
}

describe('request decoding', () => {
  it('converts 64-bit fields to numbers and keeps bytes as views', () => {
    const request = toRangeRequest(wire('RangeRequest', {
      key: Buffer.from('a'), rangeEnd: Buffer.from('b'), limit: 5, revision: 2 ** 40,
    }));
    expect(request.limit).toBe(5);
    expect(request.revision).toBe(2 ** 40);
    expect(Buffer.from(request.key).toString()).toBe('a');
    expect(request.rangeEnd).toBeInstanceOf(Uint8Array);
  });

  it.each([
    ['an int64 above 2^53', { key: Buffer.from('a'), revision: '9007199254740993' },
      'ETCD_ERR_UNSAFE_INTEGER'],
    ['an int64 below -2^53', { key: Buffer.from('a'), limit: '-9007199254740993' },
      'ETCD_ERR_UNSAFE_INTEGER'],
    ['an unknown sort order', { key: Buffer.from('a'), sortOrder: 9 },
      'ETCD_ERR_INVALID_SORT_OPTION'],
    ['an unknown sort target', { key: Buffer.from('a'), sortTarget: 9 },
      'ETCD_ERR_INVALID_SORT_OPTION'],
  ])('rejects %s', (_name, object, code) => {
    expect(failure(() => toRangeRequest(wire('RangeRequest', object))).code).toBe(code);
  });

  it('decodes nested txns without recursion and rejects empty ops', () => {
    const request = toTxnRequest(wire('TxnRequest', {
      compare: [{ key: Buffer.from('k'), target: 'VALUE', value: Buffer.from('v') }],
      success: [{ requestTxn: { success: [{ requestPut: { key: Buffer.from('n') } }] } }],
      failure: [{ requestRange: { key: Buffer.from('k') } }],
    }));
    expect(request.compare?.[0]?.value).toBeInstanceOf(Uint8Array);
    const nested = request.success?.[0];
    expect(nested !== undefined && 'requestTxn' in nested).toBe(true);
    expect(failure(() => toTxnRequest(wire('TxnRequest', { success: [{}] }))).code)
      .toBe('ETCD_ERR_KEY_NOT_FOUND');
    expect(failure(() => toTxnRequest(wire('TxnRequest',
      { compare: [{ key: Buffer.from('k'), result: 9 }] }))).code).toBe('ETCD_ERR_INVALID_ENUM');
  });

  it('turns an empty watch key into "\\0" and reads the request union', () => {
    const create = toWatchRequest(wire('WatchRequest', { createRequest: { watchId: 7 } }));
    expect(create.kind).toBe('create');
    if (create.kind === 'create') {
      expect([...create.request.key]).toEqual([0]);
      expect(create.request.watchId).toBe(7);
    }
    expect(toWatchRequest(wire('WatchRequest', { progressRequest: {} })).kind).toBe('progress');
    expect(toWatchRequest(wire('WatchRequest', { cancelRequest: { watchId: 3 } })))
      .toEqual({ kind: 'cancel', watchId: 3 });
    expect(toWatchRequest(wire('WatchRequest', {})).kind).toBe('empty');
  });
});

describe('WatchResponse encoding', () => {
  const responseType = etcdRoot.lookupType('etcdserverpb.WatchResponse');
  const method = serverMethod('Watch', 'Watch', toWatchRequest);
  const serialize = method.responseSerialize;
  const plain = (bytes: Uint8Array): unknown => responseType.toObject(responseType.decode(bytes),
    { longs: Number, defaults: true, bytes: String });
  const kv = (key: string, revision: number, value: string): object => ({
    key: Buffer.from(key), createRevision: 2, modRevision: revision, version: revision - 1,
    value: Buffer.from(value), lease: 0 });
  const header = (revision: number): object => ({
    clusterId: 2 ** 50 + 3, memberId: 77, revision, raftTerm: 4 });
  const base = { created: false, canceled: false, compactRevision: 0, cancelReason: '',
    fragment: false };
  const put = { type: 0, kv: kv('a', 5, 'x'.repeat(300)) };
  const del = { type: 1, kv: { ...kv('b', 6, ''), createRevision: 0, version: 0 },
    prevKv: kv('b', 4, 'old') };

  it.each([
    ['events, watch id 0', { ...base, header: header(6), watchId: 0, events: [put, del] }],
    ['events, big watch id', { ...base, header: header(6), watchId: 2 ** 40 + 1,
      events: [del, put, put] }],
    ['created', { ...base, header: header(1), watchId: 3, created: true, events: [] }],
    ['canceled with a reason', { ...base, header: header(9), watchId: 3, canceled: true,
      compactRevision: 7, cancelReason: 'compacted', events: [] }],
    ['progress', { ...base, header: header(9), watchId: -1, events: [] }],
  ])('decodes what protobufjs would encode: %s', (_name, response) => {
    const reference = responseType.encode(responseType.fromObject(response)).finish();
    expect(plain(serialize(response))).toEqual(plain(reference));
    // The server's framed form: gRPC's prefix (not compressed, length) and the same bytes.
    const framed = method.responseSerializeFramed(response);
    expect(framed[0]).toBe(0);
    expect(framed.readUInt32BE(1)).toBe(framed.length - 5);
    expect(framed.subarray(5).equals(serialize(response))).toBe(true);
  });
});

describe('PutResponse encoding (the server\'s hand-written fast path)', () => {
  const responseType = etcdRoot.lookupType('etcdserverpb.PutResponse');
  const method = serverMethod('KV', 'Put', (wire) => wire);
  const plain = (bytes: Uint8Array): unknown => responseType.toObject(responseType.decode(bytes),
    { longs: Number, defaults: true, bytes: String });
  const header = { clusterId: 2 ** 50 + 3, memberId: 77, revision: 1234567, raftTerm: 4 };

  it.each([
    ['a full header', { header }],
    ['zeros left out', { header: { ...header, memberId: 0, raftTerm: 0 } }],
    ['the largest safe numbers', { header: { clusterId: Number.MAX_SAFE_INTEGER,
      memberId: Number.MAX_SAFE_INTEGER, revision: Number.MAX_SAFE_INTEGER,
      raftTerm: Number.MAX_SAFE_INTEGER } }],
    ['prev_kv (protobufjs path)', { header, prevKv: { key: Buffer.from('k'), createRevision: 2,
      modRevision: 3, version: 2, value: Buffer.from('old'), lease: 0 } }],
    ['no header (protobufjs path)', {}],
  ])('decodes as protobufjs\'s own encoding: %s', (_name, response) => {
    const framed = method.responseSerializeFramed(response);
    expect(framed[0]).toBe(0);
    expect(framed.readUInt32BE(1)).toBe(framed.length - 5);
    const reference = responseType.encode(responseType.fromObject(response)).finish();
    expect(plain(framed.subarray(5))).toEqual(plain(reference));
  });
});

describe('peer URLs', () => {
  it.each([
    ['http://127.0.0.1:2380', true], ['https://peer.example:12380', true],
    ['http://127.0.0.1', false], ['ftp://h:1', false], ['http://h:1/path', false],
    ['not a url', false],
  ])('%s is valid: %s', (url, valid) => {
    expect(isValidPeerURL(url)).toBe(valid);
  });
});

describe('snapshot file', () => {
  it.each([0, 1, 487, 488, 5000])('round-trips %i bytes, 512-aligned with a SHA-256', (size) => {
    const data = Buffer.alloc(size, 7);
    const file = buildSnapshotFile(data);
    expect((file.length - 32) % snapshotFileAlignmentBytes).toBe(0);
    expect(Buffer.from(readSnapshotFile(file)).equals(data)).toBe(true);
  });

  it('refuses a corrupted file', () => {
    const file = buildSnapshotFile(Buffer.from('data'));
    file[20] = (file[20] ?? 0) ^ 1;
    expect(() => readSnapshotFile(file)).toThrow('SHA-256 mismatch');
  });
});
