/**
 * @module util/slab
 *
 * SlabCopier copies small byte arrays into shared slabs, for bytes that die roughly in the
 * order they were made, such as the data of Raft log entries (kept until the log is
 * compacted, thousands of indexes later).
 *
 * ```
 *  slab (256 KiB, one ArrayBuffer): [entry 1][entry 2][entry 3] ... [entry ~800]   free
 *                                     ^ views handed out; the slab is freed once
 *                                       none of them is referenced
 * ```
 *
 * Why: an ArrayBuffer of its own per entry costs the data plus ~150 bytes of native
 * bookkeeping and a V8 object, all from the malloc heap, where thousands of them, each
 * living seconds, interleave with short-lived allocations and fragment it (issue 5). A
 * slab is big enough that the allocator maps it separately (with the peers' 128 KiB mmap
 * threshold, local-cluster peerAllocatorEnv) and unmaps it when it is freed.
 *
 * The copy never shares memory with its source (unlike Buffer#slice, a view); copies larger
 * than `copyBytesMax` get an ArrayBuffer of their own. A copy MUST NOT be written to through
 * its `.buffer`, which holds its neighbours.
 */
import { assert } from './assert.js';

/** Default slab size, bytes. */
export const slabBytesDefault = 256 * 1024;

/** SlabCopier copies bytes into shared slabs (see the module comment). */
export class SlabCopier {
  private slab: Uint8Array | null = null;
  private usedBytes = 0;
  private readonly copyBytesMax: number;

  /** Creates a copier with slabs of `slabBytes`; larger copies than 1/8 of it stand alone. */
  constructor(private readonly slabBytes = slabBytesDefault) {
    assert(Number.isSafeInteger(slabBytes) && slabBytes >= 64, 'slab holds a few copies');
    this.copyBytesMax = Math.floor(slabBytes / 8);
  }

  /** Returns a copy of `bytes` that shares no memory with it. */
  copy(bytes: Uint8Array): Uint8Array {
    const copy = this.allocate(bytes.length);
    copy.set(bytes);
    assert(copy.length === bytes.length, 'the copy has the length of its source');
    return copy;
  }

  /**
   * Returns `length` zeroed bytes that share no memory with anything handed out before, for
   * the caller to fill (an encoder writing straight into the slab instead of copying).
   */
  allocate(length: number): Uint8Array {
    assert(Number.isSafeInteger(length) && length >= 0, 'length is a non-negative integer');
    if (length === 0) return new Uint8Array(0);
    if (length > this.copyBytesMax) return new Uint8Array(length);
    let slab = this.slab;
    if (slab === null || this.usedBytes + length > slab.length) {
      slab = new Uint8Array(this.slabBytes);
      this.slab = slab;
      this.usedBytes = 0;
    }
    const piece = slab.subarray(this.usedBytes, this.usedBytes + length);
    this.usedBytes += length;
    return piece;
  }
}
