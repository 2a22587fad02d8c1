/**
 * Goal: the hand-written put path of server/command-codec writes the very bytes protobufjs
 * writes, and reads every input exactly as the protobufjs decoder it replaced did, valid or
 * not (the log holds entries written by either).
 * Method: seeded random puts (empty and large fields, zero and 2^53-1 integers, negative
 * leases that take the slow path) compared byte for byte with protobufjs' encoding; the
 * decoder compared with a copy of the previous protobufjs-only decoder on valid commands of
 * every kind and on mutated and random bytes.
 */
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeCommand, encodeCommand } from '../../src/server/command-codec.js';
import type { CommandEnvelope, ReplicatedOp } from '../../src/server/command-codec.js';
import { packageRoot } from '../../src/transport/proto.js';
import { SlabCopier } from '../../src/util/slab.js';
import { SeededRandom } from '../../src/util/prng.js';

const root = protobuf.loadSync(join(packageRoot(), 'proto', 'command.proto'));
const CommandType = root.lookupType('coracle.command.Command');

/** The decoder before the hand-written path (protobufjs only), for puts and op kinds. */
function referenceDecode(data: Uint8Array): unknown {
  let decoded: Record<string, unknown>;
  try {
    decoded = CommandType.toObject(CommandType.decode(data), { longs: Number, defaults: true });
  } catch {
    return null;
  }
  const envelope = { memberId: decoded.memberId, requestId: decoded.requestId,
    nowMs: decoded.nowMs };
  if (decoded.put !== undefined) return { ...envelope, op: { type: 'put', request: decoded.put } };
  const kind = ['deleteRange', 'txn', 'compaction', 'leaseGrant', 'leaseRevoke',
    'leaseKeepAlive', 'leasePromote', 'memberAttributes'].find((k) => decoded[k] !== undefined);
  return kind === undefined ? null : { ...envelope, op: { type: kind } };
}

/** Plain data: byte arrays (Buffer or not) as hex strings, other objects field by field. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString('hex')}`;
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, plain(field)]));
}

/** Plain data for comparison; non-put ops by kind only. */
function normalize(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  const envelope = value as { op: { type: string } };
  return plain(envelope.op.type === 'put' ? value
    : { ...envelope, op: { type: envelope.op.type } });
}

function bytes(random: SeededRandom, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = random.int(256);
  return out;
}

function randomInteger(random: SeededRandom): number {
  return random.pick([0, 1, 127, 128, 16_383, 16_384, 2 ** 31, 2 ** 32 + 5,
    Date.now(), Number.MAX_SAFE_INTEGER, random.int(1_000_000)]);
}

function randomPut(random: SeededRandom): CommandEnvelope {
  const request = {
    key: bytes(random, random.pick([0, 1, 8, 200])),
    value: bytes(random, random.pick([0, 1, 256, 5000])),
    lease: random.pick([0, 0, 7, Number.MAX_SAFE_INTEGER, -3]),
    prevKv: random.chance(0.3), ignoreValue: random.chance(0.2), ignoreLease: random.chance(0.2),
  };
  return { memberId: randomInteger(random), requestId: randomInteger(random),
    nowMs: randomInteger(random), op: { type: 'put', request } };
}

const otherOps: ReplicatedOp[] = [
  { type: 'deleteRange', request: { key: new Uint8Array([1]), rangeEnd: new Uint8Array([2]) } },
  { type: 'compaction', request: { revision: 9 } },
  { type: 'leaseGrant', request: { ID: 4, TTL: 30 }, nowMs: 5 },
  { type: 'leasePromote', nowMs: 5, extendMs: 100 },
  { type: 'memberAttributes', memberId: 3, name: 'p3', clientUrls: ['http://a'] },
  { type: 'txn', request: { compare: [], success: [{ requestPut: { key: new Uint8Array([1]) } }],
    failure: [] } },
];

describe('command codec', () => {
  it('encodes puts byte for byte as protobufjs does, and decodes them back', () => {
    const random = new SeededRandom(11);
    for (let i = 0; i < 2000; i++) {
      const envelope = randomPut(random);
      const request = envelope.op.type === 'put' ? envelope.op.request : null;
      const encoded = encodeCommand(envelope);
      const reference = CommandType.encode({ memberId: envelope.memberId,
        requestId: envelope.requestId, nowMs: envelope.nowMs, put: request }).finish();
      expect(Buffer.compare(encoded, reference)).toBe(0);
      expect(normalize(decodeCommand(encoded))).toEqual(normalize(referenceDecode(encoded)));
      expect(normalize(decodeCommand(encoded))).toEqual(normalize(envelope));
    }
  });

  it('encodes into the caller\'s allocation when given one', () => {
    const slabs = new SlabCopier(64 * 1024);
    const random = new SeededRandom(5);
    const encoded = [0, 1, 2].map(() => encodeCommand(randomPut(random),
      (length) => slabs.allocate(length)));
    expect(encoded[0]!.buffer).toBe(encoded[1]!.buffer);
    for (const data of encoded) {
      expect(normalize(decodeCommand(data))).toEqual(normalize(referenceDecode(data)));
    }
    const other = encodeCommand({ memberId: 1, requestId: 2, nowMs: 3, op: otherOps[1]! },
      (length) => slabs.allocate(length));
    expect(other.buffer).toBe(encoded[0]!.buffer);
    expect(normalize(decodeCommand(other))).toEqual(normalize(referenceDecode(other)));
  });

  it('round-trips every other kind of command through protobufjs', () => {
    for (const op of otherOps) {
      const envelope = { memberId: 2, requestId: 77, nowMs: 1_700_000_000_000, op };
      const encoded = encodeCommand(envelope);
      expect(decodeCommand(encoded)?.op.type).toBe(op.type);
      expect(normalize(decodeCommand(encoded))).toEqual(normalize(referenceDecode(encoded)));
    }
  });

  it('reads damaged and random bytes exactly as the protobufjs decoder did', () => {
    const random = new SeededRandom(23);
    for (let i = 0; i < 5000; i++) {
      let data: Uint8Array;
      if (random.chance(0.7)) {
        const envelope = random.chance(0.8) ? randomPut(random)
          : { memberId: 1, requestId: 2, nowMs: 3, op: random.pick(otherOps) };
        data = encodeCommand(envelope).slice();
        const mutations = 1 + random.int(3);
        for (let m = 0; m < mutations && data.length > 0; m++) {
          const at = random.int(data.length);
          if (random.chance(0.5)) data[at] = random.int(256);
          else data = data.subarray(0, at);
        }
      } else {
        data = bytes(random, random.int(40));
      }
      expect(normalize(decodeCommand(data))).toEqual(normalize(referenceDecode(data)));
    }
  });
});
