/**
 * Goal: the binary string form of keys holds one char per byte, for every byte value and
 * every length (short keys take a char-at-a-time path, long ones go in pieces).
 * Method: seeded random byte arrays around both paths' boundaries, compared with a
 * char-by-char reference and round-tripped through binaryToBytes.
 */
import { describe, expect, it } from 'vitest';
import { binaryToBytes, bytesToBinary } from '../../src/store/bytes.js';
import { Prng } from './helpers.js';

describe('binary strings', () => {
  it.each([0, 1, 13, 63, 64, 65, 4095, 4096, 4097, 10_000])('converts %i bytes both ways',
    (length) => {
      const prng = new Prng(length + 1);
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) bytes[i] = i < 256 ? i : prng.int(256);
      const text = bytesToBinary(bytes);
      expect(text).toBe(Array.from(bytes, (byte) => String.fromCharCode(byte)).join(''));
      expect(binaryToBytes(text)).toEqual(bytes);
    });
});
