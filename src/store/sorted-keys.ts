/**
 * @module store/sorted-keys
 *
 * SortedKeys is an ordered set of binary-string keys for range scans: a list of sorted
 * chunks, each holding at most `sortedKeysChunkMax` keys.
 *
 * ```
 *   chunks: [ "a".."f" ] [ "g".."m" ] [ "n".."z" ]    every chunk non-empty and sorted,
 *            ^ binary search over chunk tails,         chunk i's keys < chunk i+1's keys
 *              then within the chunk
 * ```
 *
 * Insert and remove cost O(log n + chunk) (a splice inside one chunk; a full chunk splits in
 * two), which stays cheap well past 1e6 keys, unlike one flat sorted array whose splice is
 * O(n). Point lookups go through the index's Map; this structure only serves ordered scans.
 */
import { assert } from './assert.js';
import { sortedKeysChunkMax } from './limits.js';

/** Finds the first position in `sorted` whose element is >= `key`. */
function lowerBound(sorted: readonly string[], key: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] ?? '') < key) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}

/** SortedKeys is a chunked sorted set of binary-string keys. */
export class SortedKeys {
  private chunks: string[][] = [];
  private total = 0;

  /** Number of keys held. */
  get size(): number {
    return this.total;
  }

  /** Inserts `key`, which MUST be absent. */
  insert(key: string): void {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.total = 1;
      return;
    }
    const chunkIndex = Math.min(this.chunkFor(key), this.chunks.length - 1);
    const chunk = this.chunks[chunkIndex];
    assert(chunk !== undefined, 'chunk exists');
    const position = lowerBound(chunk, key);
    assert(chunk[position] !== key, 'inserted key is absent');
    chunk.splice(position, 0, key);
    this.total += 1;
    if (chunk.length > sortedKeysChunkMax) {
      const upper = chunk.splice(chunk.length >>> 1);
      this.chunks.splice(chunkIndex + 1, 0, upper);
    }
  }

  /** Removes `key`, which MUST be present. */
  remove(key: string): void {
    const chunkIndex = this.chunkFor(key);
    const chunk = this.chunks[chunkIndex];
    assert(chunk !== undefined, 'removed key has a chunk');
    const position = lowerBound(chunk, key);
    assert(chunk[position] === key, 'removed key is present');
    chunk.splice(position, 1);
    this.total -= 1;
    if (chunk.length === 0) {
      this.chunks.splice(chunkIndex, 1);
    }
  }

  /**
   * Visits keys in [start, end) in ascending order; `end` undefined means unbounded. The
   * visitor returns false to stop. The set MUST NOT change during the scan.
   */
  scan(start: string, end: string | undefined, visit: (key: string) => boolean): void {
    let chunkIndex = this.chunkFor(start);
    if (chunkIndex >= this.chunks.length) {
      return;
    }
    let position = lowerBound(this.chunks[chunkIndex] ?? [], start);
    const sizeBefore = this.total;
    for (; chunkIndex < this.chunks.length; chunkIndex++, position = 0) {
      const chunk = this.chunks[chunkIndex] ?? [];
      for (; position < chunk.length; position++) {
        const key = chunk[position] ?? '';
        if (end !== undefined && key >= end) {
          return;
        }
        if (!visit(key)) {
          return;
        }
      }
    }
    assert(this.total === sizeBefore, 'keys did not change during a scan');
  }

  /** Finds the first chunk whose last key is >= `key` (chunks.length when none). */
  private chunkFor(key: string): number {
    let low = 0;
    let high = this.chunks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const chunk = this.chunks[middle] ?? [];
      if ((chunk[chunk.length - 1] ?? '') < key) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }
}
