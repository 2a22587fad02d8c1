/**
 * Goal: the hand-written PutRequest and RangeRequest decoders (server/etcd-api/fast-decode)
 * return exactly what the protobufjs path returns, and step aside (null) for anything else.
 * Method: seeded random requests encoded by protobufjs, compared with protobufjs's decoding
 * through decode.ts; then damaged and random bytes, where the fast decoder must either agree
 * with the protobufjs path or decline.
 */
import { describe, expect, it } from 'vitest';
import { toPutRequest, toRangeRequest } from '../../src/server/etcd-api/decode.js';
import { decodePutRequestFast, decodeRangeRequestFast } from
  '../../src/server/etcd-api/fast-decode.js';
import { etcdRoot } from '../../src/server/etcd-api/proto.js';
import type { WireMessage } from '../../src/server/etcd-api/proto.js';
import { SeededRandom } from '../../src/util/prng.js';

const putType = etcdRoot.lookupType('etcdserverpb.PutRequest');
const rangeType = etcdRoot.lookupType('etcdserverpb.RangeRequest');

function bytes(random: SeededRandom, lengthMax: number): Buffer {
  return Buffer.from(Array.from({ length: random.int(lengthMax) }, () => random.int(256)));
}

function integer(random: SeededRandom): number {
  return [0, 1, 127, 128, 2 ** 31, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER][random.int(7)]!;
}

/** The protobufjs path's answer, or 'error'. */
function slow<R>(type: typeof putType, convert: (wire: WireMessage) => R, input: Uint8Array):
  R | 'error' {
  try {
    return convert(type.decode(input));
  } catch {
    return 'error';
  }
}

/** Views compare by content. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, field: unknown) =>
    (field instanceof Uint8Array ? Buffer.from(field).toString('hex') : field))) as unknown;
}

describe('fast request decoding', () => {
  it('decodes 500 random PutRequests as protobufjs and decode.ts do', () => {
    const random = new SeededRandom(11);
    for (let i = 0; i < 500; i++) {
      const request = { key: bytes(random, 40), value: bytes(random, 300),
        lease: integer(random), prevKv: random.int(2) === 1, ignoreValue: random.int(2) === 1,
        ignoreLease: random.int(2) === 1 };
      const encoded = putType.encode(putType.fromObject(request)).finish();
      const fast = decodePutRequestFast(encoded);
      expect(fast).not.toBeNull();
      expect(plain(fast)).toEqual(plain(slow(putType, toPutRequest, encoded)));
    }
  });

  it('decodes 500 random RangeRequests as protobufjs and decode.ts do', () => {
    const random = new SeededRandom(12);
    for (let i = 0; i < 500; i++) {
      const request = { key: bytes(random, 40), rangeEnd: bytes(random, 40),
        limit: integer(random), revision: integer(random), sortOrder: random.int(3),
        sortTarget: random.int(5), serializable: random.int(2) === 1,
        keysOnly: random.int(2) === 1, countOnly: random.int(2) === 1,
        minModRevision: integer(random), maxModRevision: integer(random),
        minCreateRevision: integer(random), maxCreateRevision: integer(random) };
      const encoded = rangeType.encode(rangeType.fromObject(request)).finish();
      const fast = decodeRangeRequestFast(encoded);
      expect(fast).not.toBeNull();
      expect(plain(fast)).toEqual(plain(slow(rangeType, toRangeRequest, encoded)));
    }
  });

  it('declines negative integers and unknown sort options (protobufjs decides those)', () => {
    const negative = putType.encode(putType.fromObject({ key: Buffer.from('k'), lease: -1 }))
      .finish();
    expect(decodePutRequestFast(negative)).toBeNull();
    const sort = rangeType.encode(rangeType.fromObject({ key: Buffer.from('k'), sortOrder: 9 }))
      .finish();
    expect(decodeRangeRequestFast(sort)).toBeNull();
  });

  it('on damaged and random bytes either agrees with the protobufjs path or declines', () => {
    const random = new SeededRandom(13);
    const base = putType.encode(putType.fromObject({ key: Buffer.from('key'),
      value: Buffer.alloc(20, 1), lease: 5, prevKv: true })).finish();
    for (let i = 0; i < 2000; i++) {
      const input = i % 2 === 0 ? bytes(random, 60) : Buffer.from(base);
      if (i % 2 === 1) input[random.int(input.length)] = random.int(256);
      for (const [type, fast, convert] of [[putType, decodePutRequestFast, toPutRequest],
        [rangeType, decodeRangeRequestFast, toRangeRequest]] as const) {
        const decoded = fast(input);
        if (decoded !== null) {
          expect(plain(decoded)).toEqual(plain(slow(type, convert as (wire: WireMessage) =>
            unknown, input)));
        }
      }
    }
  });
});
