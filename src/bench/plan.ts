/**
 * @module bench/plan
 * The sizes of one `coracle bench kv` run: how many requests each workload sends, how many
 * watchers and failover samples, how long to let a cluster settle before reading its
 * memory. `--quick` shrinks everything to a smoke run (one trial, small totals). Pure.
 */
import { assert } from '../util/assert.js';

/** KVBenchPlan holds every size of one run. */
export interface KVBenchPlan {
  readonly trials: number;
  /**
   * Puts sent at 64 in flight before anything is measured, to both systems alike: a fresh
   * Node peer runs its first few thousand requests through V8's interpreter and baseline
   * compilers, which is start-up cost, not the steady state that
   * every other figure measures.
   */
  readonly warmupPuts: number;
  /** Puts of the sequential (1 client) latency run. */
  readonly sequentialPuts: number;
  /** Puts per throughput run, keyed by requests in flight. */
  readonly throughputPuts: Readonly<Record<16 | 64 | 256, number>>;
  /** Range reads per follower read run (64 in flight). */
  readonly rangeReads: number;
  /** Puts of each watch fan-out run, and the watcher counts of its two runs. */
  readonly watchPuts: number;
  readonly watcherCounts: readonly [number, number];
  /** Distinct keys written before the loaded memory reading. */
  readonly loadedKeys: number;
  /** Failover samples per trial per system. */
  readonly failoversPerTrial: number;
  /** Idle time before the idle memory reading, and after loading keys, ms. */
  readonly settleMs: number;
  /** Bound on any one cluster wait (leader, catch-up, failover), ms. */
  readonly waitDeadlineMs: number;
}

/** Failover samples per system over the whole run, at least (issue 5: at least 5). */
export const failoverSamplesMin = 5;

/** Returns the plan for `trials` trials, full or `quick`. */
export function planKVBench(options: { trials: number; quick: boolean }): KVBenchPlan {
  assert(Number.isSafeInteger(options.trials) && options.trials >= 1, 'trials must be >= 1');
  if (options.quick) {
    return { trials: 1, warmupPuts: 100, sequentialPuts: 100,
      throughputPuts: { 16: 500, 64: 1000, 256: 1000 },
      rangeReads: 1000, watchPuts: 20, watcherCounts: [100, 1000], loadedKeys: 2000,
      failoversPerTrial: 1, settleMs: 300, waitDeadlineMs: 20_000 };
  }
  return { trials: options.trials, warmupPuts: 5_000, sequentialPuts: 2_000,
    throughputPuts: { 16: 10_000, 64: 20_000, 256: 30_000 }, rangeReads: 30_000,
    watchPuts: 2_000, watcherCounts: [100, 1000], loadedKeys: 100_000,
    failoversPerTrial: Math.max(2, Math.ceil(failoverSamplesMin / options.trials)),
    settleMs: 2_000, waitDeadlineMs: 30_000 };
}
