/**
 * @module util/prng
 * A small seeded pseudo-random generator (xoshiro128**, seeded through splitmix32) so that a
 * whole simulated cluster run is reproducible from one seed. Cores receive one of these
 * instead of touching `Math.random`.
 */
import { assert } from './assert.js';

/** The randomness port cores depend on. */
export interface Random {
  /** Returns a uniformly distributed integer in [0, bound). */
  int(bound: number): number;
  /** Returns a float in [0, 1). */
  float(): number;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** SeededRandom is a deterministic xoshiro128** generator. */
export class SeededRandom implements Random {
  private readonly s = new Uint32Array(4);

  /** Creates a generator; the same seed always yields the same sequence. */
  constructor(seed: number) {
    assert(Number.isSafeInteger(seed), 'seed must be a safe integer');
    const mix = splitmix32((seed ^ Math.floor(seed / 0x100000000)) >>> 0);
    for (let i = 0; i < 4; i++) this.s[i] = mix();
    if (this.s.every((word) => word === 0)) this.s[0] = 1;
  }

  /** Returns the next raw 32-bit unsigned integer. */
  next(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Returns a uniformly distributed integer in [0, bound). */
  int(bound: number): number {
    assert(Number.isSafeInteger(bound) && bound > 0, 'bound must be a positive integer');
    return Math.floor(this.float() * bound);
  }

  /** Returns a float in [0, 1) with 32 bits of randomness. */
  float(): number {
    return this.next() / 0x100000000;
  }

  /** Returns true with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Returns a uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'pick from an empty array');
    return items[this.int(items.length)]!;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
