/**
 * Shared builders for the store tests: byte and string conversions, command shorthands,
 * outcome unwrapping and a tiny seeded PRNG (mulberry32) so random tests are reproducible.
 */
import type { Outcome } from '../../src/store/errors.js';
import { type ApplyResult, MVCCStore } from '../../src/store/mvcc-store.js';
import type {
  DeleteRangeResponse, KeyValue, PutRequest, PutResponse, RangeRequest, RangeResponse,
} from '../../src/store/types.js';

/** Encodes a string as UTF-8 bytes. */
export function b(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Decodes UTF-8 bytes. */
export function s(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Unwraps a successful outcome or fails the test with the error. */
export function expectOk<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) {
    throw new Error(`expected ok, got ${outcome.error.code}: ${outcome.error.message}`);
  }
  return outcome.response;
}

/** Returns the error code of a failed outcome, or 'ok'. */
export function codeOf<T>(outcome: Outcome<T>): string {
  return outcome.ok ? 'ok' : outcome.error.code;
}

/** Puts key=value and returns the apply result. */
export function put(
  store: MVCCStore, key: string, value: string, extra: Partial<PutRequest> = {},
): ApplyResult<PutResponse> {
  return store.apply({ type: 'put', request: { key: b(key), value: b(value), ...extra } });
}

/** Deletes a key (or a range when `rangeEnd` is given). */
export function del(
  store: MVCCStore, key: string, rangeEnd?: string,
): ApplyResult<DeleteRangeResponse> {
  const request = rangeEnd === undefined ? { key: b(key) } : { key: b(key), rangeEnd: b(rangeEnd) };
  return store.apply({ type: 'deleteRange', request });
}

/** Ranges and unwraps. */
export function rangeOf(store: MVCCStore, request: RangeRequest): RangeResponse {
  return expectOk(store.range(request));
}

/** Returns the live kv of `key` at `revision` (0 = current), or undefined. */
export function get(store: MVCCStore, key: string, revision = 0): KeyValue | undefined {
  return rangeOf(store, { key: b(key), revision }).kvs[0];
}

/** Lists keys as strings. */
export function keysOf(kvs: readonly KeyValue[]): string[] {
  return kvs.map((kv) => s(kv.key));
}

/** A store with the given key=value pairs put one per revision. */
export function storeWith(...pairs: [string, string][]): MVCCStore {
  const store = new MVCCStore();
  for (const [key, value] of pairs) {
    expectOk(put(store, key, value).result);
  }
  return store;
}

/** Prng is mulberry32: a tiny seeded generator for reproducible random tests. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Returns a float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Returns an integer in [0, max). */
  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  /** Picks an element. */
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) {
      throw new Error('pick from empty list');
    }
    return item;
  }
}
