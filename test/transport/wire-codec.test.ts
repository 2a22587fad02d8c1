/**
 * Goal: transport/wire-codec writes the bytes protobufjs writes for every frame on its fast
 * path, and decodes any bytes exactly as the protobufjs decoder (transport/proto) does:
 * the same batch, or an error for the same frames.
 * Method: seeded random batches of every message type (entries of all sizes, zero and
 * 2^53-1 fields, snapshot chunks that take the slow path) compared with protobufjs byte for
 * byte; decoding compared on valid, mutated and truncated frames and random bytes.
 */
import { describe, expect, it } from 'vitest';
import type { Entry, Message, SnapshotChunk } from '../../src/raft/types.js';
import { decodeBatch as decodeSlow, encodeBatch as encodeSlow } from '../../src/transport/proto.js';
import { decodeBatch, encodeBatch } from '../../src/transport/wire-codec.js';
import { SeededRandom } from '../../src/util/prng.js';

function bytes(random: SeededRandom, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = random.int(256);
  return out;
}

function integer(random: SeededRandom): number {
  return random.pick([0, 0, 1, 5, 127, 128, 300, 2 ** 31, 2 ** 32, 2 ** 40 + 3,
    Number.MAX_SAFE_INTEGER, random.int(100_000)]);
}

function entry(random: SeededRandom): Entry {
  return { term: integer(random), index: integer(random), type: random.int(2),
    data: bytes(random, random.chance(0.01) ? 70_000 : random.pick([0, 1, 40, 300])) };
}

function snapshotChunk(random: SeededRandom): SnapshotChunk {
  return { meta: { index: integer(random), term: integer(random),
    membership: { voters: [1, 2, 3], learners: random.chance(0.5) ? [4] : [] } },
  offset: integer(random), totalBytes: integer(random), data: bytes(random, 50),
  done: random.chance(0.5) };
}

function message(random: SeededRandom, withSnapshots: boolean): Message {
  const entries: Entry[] = [];
  const count = random.pick([0, 0, 1, 3, 12]);
  for (let i = 0; i < count; i++) entries.push(entry(random));
  return {
    type: 1 + random.int(15), from: integer(random), to: integer(random),
    term: integer(random), logTerm: integer(random), index: integer(random), entries,
    commit: integer(random), reject: random.chance(0.3), rejectHint: integer(random),
    context: integer(random),
    snapshot: withSnapshots && random.chance(0.2) ? snapshotChunk(random) : null,
  };
}

function batch(random: SeededRandom, withSnapshots: boolean): Message[] {
  const messages: Message[] = [];
  const count = random.pick([0, 1, 2, 10]);
  for (let i = 0; i < count; i++) messages.push(message(random, withSnapshots));
  return messages;
}

/** Plain data: byte arrays as hex strings. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString('hex')}`;
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, plain(field)]));
}

/** Decodes with `decode`; a thrown error becomes the string 'error'. */
function outcome(decode: (frame: Uint8Array) => unknown, frame: Uint8Array): unknown {
  try {
    return plain(decode(frame));
  } catch {
    return 'error';
  }
}

describe('transport wire codec', () => {
  it('encodes frames byte for byte as protobufjs does, and decodes them back', () => {
    const random = new SeededRandom(3);
    for (let i = 0; i < 500; i++) {
      const messages = batch(random, true);
      const clusterId = random.pick(['', 'c-1', 'clüster']);
      const from = integer(random);
      const frame = encodeBatch(clusterId, from, messages);
      expect(Buffer.compare(frame, encodeSlow(clusterId, from, messages))).toBe(0);
      // With room left in front (the gRPC message prefix), the same bytes follow it.
      const prefixed = encodeBatch(clusterId, from, messages, { prefixBytes: 5 });
      expect(Buffer.compare(prefixed.subarray(5), frame)).toBe(0);
      const decoded = decodeBatch(frame);
      expect(plain(decoded)).toEqual(plain(decodeSlow(frame)));
      expect(plain(decoded)).toEqual(plain({ clusterId, from, messages }));
    }
  });

  it('copies entry data out of the frame', () => {
    const random = new SeededRandom(4);
    const messages = [{ ...message(random, false), entries: [entry(random), entry(random)] }];
    const frame = encodeBatch('c', 1, messages);
    const decoded = decodeBatch(frame);
    frame.fill(0);
    expect(plain(decoded.messages[0]!.entries)).toEqual(plain(messages[0]!.entries));
  });

  it('decodes damaged and random bytes exactly as protobufjs does', () => {
    const random = new SeededRandom(9);
    for (let i = 0; i < 5000; i++) {
      let frame: Uint8Array;
      if (random.chance(0.8)) {
        frame = encodeBatch('c-1', 2, batch(random, random.chance(0.3))).slice();
        const mutations = 1 + random.int(3);
        for (let m = 0; m < mutations && frame.length > 0; m++) {
          const at = random.int(frame.length);
          if (random.chance(0.6)) frame[at] = random.int(256);
          else frame = frame.subarray(0, at);
        }
      } else {
        frame = bytes(random, random.int(60));
      }
      expect(outcome(decodeBatch, frame)).toEqual(outcome(decodeSlow, frame));
    }
  });
});
