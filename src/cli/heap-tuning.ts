/**
 * @module cli/heap-tuning
 * How a `coracle server` process sizes its V8 heap, and why (issue 5).
 *
 * Once the store's values and snapshots had left the heap, a peer holding 100k keys with
 * their history had ~25-30 MB of live V8 heap, yet its RSS under load was ~220 MB: mostly
 * heap headroom, not data. `bench kv`'s "RSS per peer after loading keys" (max of 3 peers)
 * and the leader's GC pauses over 80k puts at 64 in flight, on this 2-core machine:
 *
 * | V8 settings                          | old space   | new space | peer RSS | leader GC |
 * |--------------------------------------|-------------|-----------|----------|-----------|
 * | defaults (growth up to 4x, 16 MiB)   | up to 90 MB | 32 MB     | 220 MB   |           |
 * | --heap-growing-percent=50            | 29-38 MB    | 32 MB     | 147 MB   | 1.39 s    |
 * | ... and --max-semi-space-size=8      | 30-37 MB    | 16 MB     | 132 MB   | 1.68 s    |
 * | ... and --max-semi-space-size=4      | 32-36 MB    | 8 MB      | 122 MB   | 2.62 s    |
 *
 * V8 lets the old generation grow to up to 4x its live size between full collections when
 * the heap limit is large (~4 GB here): for a server whose live heap is small and steady,
 * that is garbage kept resident. A fixed growth of 50% costs a full collection per ~12 MB
 * promoted at this size (a few per second on a busy leader, ~7 ms each, mostly incremental).
 * The young generation is the other lever: 8 MiB semi-spaces instead of 16 cost the leader
 * ~4% more CPU per put (4 MiB: ~13%, hence not 4). This is the equivalent of choosing GOGC
 * for a Go server: it trades a little GC work for memory, and is not by itself where the
 * memory went (see store/key-index, storage/value-file, storage/snapshot-file).
 *
 * The growth is read by V8 at every full collection, so the server sets it on itself at
 * start, unless the operator passed one. The young generation's size is fixed when V8
 * starts, so it can only be a command-line flag: local-cluster passes `peerNodeFlags` to
 * the peers it spawns, and operators starting `coracle server` by hand should pass them too.
 */
import { setFlagsFromString } from 'node:v8';

/** Old generation growth between full collections, percent (V8's default: up to 300). */
export const heapGrowingPercent = 50;

/** Node flags for peer processes: the young generation's semi-spaces, MiB (V8: 16). */
export const peerNodeFlags: readonly string[] = ['--max-semi-space-size=8'];

/**
 * Sets the heap growth on this process unless `--heap-growing-percent` was given on its
 * command line (NODE_OPTIONS cannot carry it); returns the growth now in force (undefined:
 * the operator's own, 0 meaning V8's dynamic default).
 */
export function tuneHeapGrowth(process: { execArgv: readonly string[] }): number | undefined {
  const given = process.execArgv
    .some((flag) => /^--heap[-_]growing[-_]percent(=|$)/.test(flag));
  if (given) return undefined;
  setFlagsFromString(`--heap-growing-percent=${heapGrowingPercent}`);
  return heapGrowingPercent;
}
