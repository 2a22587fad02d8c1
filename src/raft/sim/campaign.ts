/**
 * @module raft/sim/campaign
 * A campaign runs many seeds for each cluster size and sums up the outcome: runs, passes,
 * failures (each with its replay command, shrunk when asked), totals of faults by kind and
 * of the run statistics. It is pure and synchronous; a shell measures wall time, prints the
 * progress and may split a campaign across worker threads with `shard`.
 *
 * Contract: the runs of a campaign are `campaignRuns(options)`, in that order; a shard
 * `{ index, count }` takes every `count`-th run starting at `index`, so the shards of one
 * campaign cover each run exactly once and `mergeSummaries` of their summaries equals the
 * summary of the whole campaign (up to the order of failures).
 */
import { assert } from '../../util/assert.js';
import { emptyStats } from './context.js';
import type { SimStats } from './context.js';
import type { SimFailure } from './failure.js';
import { emptyFaultCounts } from './faults.js';
import type { FaultCounts } from './faults.js';
import { makeSimOptions } from './options.js';
import type { FaultKind, SimOptions } from './options.js';
import { shrinkFailure } from './shrink.js';
import { runSimulation } from './simulation.js';
import type { SimResult } from './simulation.js';
import type { TraceEvent } from './trace.js';

/** The largest number of runs one campaign accepts. */
export const campaignRunsMax = 10_000_000;

/** CampaignOptions describe which runs a campaign makes. */
export interface CampaignOptions {
  /** The first seed; seeds run from it upwards. */
  readonly seedStart: number;
  /** Seeds per cluster size. */
  readonly seeds: number;
  readonly sizes: readonly number[];
  readonly steps: number;
  readonly faults: readonly FaultKind[];
  /** Shrink each failure before reporting it (costs up to shrinkRunsMax re-runs each). */
  readonly shrink: boolean;
  /** Restricts the campaign to one shard of its runs. */
  readonly shard?: { readonly index: number; readonly count: number };
}

/** FailedRun is one failing run as a campaign reports it. */
export interface FailedRun {
  readonly options: SimOptions;
  readonly failure: SimFailure;
  readonly replay: string;
  /** The shrunk run, when shrinking found a smaller failing one. */
  readonly shrunk?: { readonly replay: string; readonly failure: SimFailure };
  readonly trace: readonly TraceEvent[];
}

/** CampaignSummary totals a campaign (or a shard of one). */
export interface CampaignSummary {
  runs: number;
  passed: number;
  readonly failed: FailedRun[];
  steps: number;
  readonly faults: FaultCounts;
  readonly stats: SimStats;
}

/** Returns the runs of a campaign, in order: every seed for each size in turn. */
export function campaignRuns(options: CampaignOptions): SimOptions[] {
  assert(options.seeds >= 0 && options.seeds * options.sizes.length <= campaignRunsMax,
    'campaign too large');
  const runs: SimOptions[] = [];
  for (const clusterSize of options.sizes) {
    for (let i = 0; i < options.seeds; i++) {
      runs.push(makeSimOptions({
        seed: options.seedStart + i, clusterSize, steps: options.steps, faults: options.faults,
      }));
    }
  }
  const shard = options.shard;
  if (shard === undefined) return runs;
  assert(shard.count >= 1 && shard.index >= 0 && shard.index < shard.count, 'bad shard');
  return runs.filter((_, position) => position % shard.count === shard.index);
}

/** Returns an empty summary. */
export function emptySummary(): CampaignSummary {
  return { runs: 0, passed: 0, failed: [], steps: 0, faults: emptyFaultCounts(),
    stats: emptyStats() };
}

/**
 * Runs a campaign; `onRun` is called after each run with the run's result, the failed run
 * when it failed, and the number of runs done out of the total.
 */
export function runCampaign(options: CampaignOptions,
  onRun?: (progress: { result: SimResult; failed: FailedRun | null; done: number;
    total: number }) => void): CampaignSummary {
  const runs = campaignRuns(options);
  const summary = emptySummary();
  for (const run of runs) {
    const result = runSimulation(run);
    const failed = addResult(summary, result, options.shrink);
    onRun?.({ result, failed, done: summary.runs, total: runs.length });
  }
  return summary;
}

/** Adds one result to `summary`; returns its FailedRun when it failed. */
export function addResult(summary: CampaignSummary, result: SimResult,
  shrink: boolean): FailedRun | null {
  summary.runs++;
  summary.steps += result.steps;
  addCounts(summary.faults, result.faults);
  addCounts(summary.stats, result.stats);
  if (result.failure === undefined) {
    summary.passed++;
    return null;
  }
  let failed: FailedRun = {
    options: result.options, failure: result.failure, replay: result.replay,
    trace: result.trace,
  };
  if (shrink) {
    const shrunk = shrinkFailure(result).result;
    if (shrunk !== result && shrunk.failure !== undefined) {
      failed = { ...failed, shrunk: { replay: shrunk.replay, failure: shrunk.failure } };
    }
  }
  summary.failed.push(failed);
  return failed;
}

/** Merges shard summaries into one. */
export function mergeSummaries(parts: readonly CampaignSummary[]): CampaignSummary {
  const total = emptySummary();
  for (const part of parts) {
    total.runs += part.runs;
    total.passed += part.passed;
    total.steps += part.steps;
    total.failed.push(...part.failed);
    addCounts(total.faults, part.faults);
    addCounts(total.stats, part.stats);
  }
  return total;
}

function addCounts<T extends object>(target: T, source: T): void {
  const targetRecord = target as Record<string, number>;
  for (const [key, value] of Object.entries(source as Record<string, number>)) {
    targetRecord[key] = (targetRecord[key] ?? 0) + value;
  }
}
