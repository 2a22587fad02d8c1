/**
 * @module bench/stats
 * Pure statistics for `coracle bench`: median over trials, nearest-rank percentiles over
 * latency samples, and the summary of one closed-loop load run. No IO, no clock.
 */
import { assert } from '../util/assert.js';

/** Returns the median of `values` (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  assert(values.length > 0, 'median of no values');
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle]!;
  const result = sorted.length % 2 === 1 ? upper : (sorted[middle - 1]! + upper) / 2;
  assert(Number.isFinite(result), 'median is not finite');
  return result;
}

/** Returns the median of the non-null values, or null when there are none. */
export function medianOrNull(values: ReadonlyArray<number | null>): number | null {
  const present = values.filter((value): value is number => value !== null);
  return present.length === 0 ? null : median(present);
}

/**
 * Returns the nearest-rank `percent` percentile of `sorted` (ascending): the smallest sample
 * with at least `percent`% of the samples at or below it.
 */
export function percentile(sorted: ArrayLike<number>, percent: number): number {
  assert(sorted.length > 0, 'percentile of no samples');
  assert(percent > 0 && percent <= 100, `percentile out of range: ${percent}`);
  const rank = Math.ceil((percent / 100) * sorted.length);
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** LoadResult summarizes one closed-loop load run (the unit of every throughput figure). */
export interface LoadResult {
  /** Requests that succeeded. */
  readonly requests: number;
  /** Requests that failed (any gRPC error). */
  readonly errors: number;
  /** Wall time of the measured phase, seconds. */
  readonly elapsedS: number;
  /** Successful requests per second over the measured phase. */
  readonly requestsPerS: number;
  /** Latency percentiles of the successful requests, milliseconds. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Summarizes latency samples (ms, any order) and the measured wall time of a run. */
export function summarizeLoad(options: { latenciesMs: Float64Array; errors: number;
  elapsedS: number }): LoadResult {
  const { latenciesMs, errors, elapsedS } = options;
  assert(elapsedS > 0, 'a load run took no time');
  assert(latenciesMs.length > 0, 'a load run with no successful request');
  const sorted = Float64Array.from(latenciesMs).sort();
  return {
    requests: sorted.length, errors, elapsedS, requestsPerS: sorted.length / elapsedS,
    p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99),
  };
}
