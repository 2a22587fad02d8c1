/**
 * Shared driver of the seed-campaign tests: runs a range of seeds at one cluster size with
 * every fault kind and returns the failures as printable reports (seed, invariant, replay
 * command and trace tail), so a failing test names the seed to replay with SEED=.
 */
import { runCampaign } from '../../src/raft/sim/campaign.js';
import { allFaultKinds } from '../../src/raft/sim/options.js';
import type { FaultKind } from '../../src/raft/sim/options.js';
import { formatFailedRun } from '../../src/raft/sim/report.js';

/** Options of one seed range. */
export interface SeedRange {
  readonly clusterSize: number;
  readonly seedStart: number;
  readonly seeds: number;
  readonly steps: number;
  readonly faults?: readonly FaultKind[];
}

/** Runs the range and returns one report per failing seed (empty when all passed). */
export function failingSeeds(range: SeedRange): string[] {
  const summary = runCampaign({
    seedStart: range.seedStart, seeds: range.seeds, sizes: [range.clusterSize],
    steps: range.steps, faults: range.faults ?? allFaultKinds, shrink: false,
  });
  if (summary.runs !== range.seeds) throw new Error('campaign skipped runs');
  return summary.failed.map((failed) => formatFailedRun(failed, 60).join('\n'));
}
