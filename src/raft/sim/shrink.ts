/**
 * @module raft/sim/shrink
 * Shrinking a failing run to a shorter, simpler one that still fails, so the replay command
 * printed with a failure is the smallest story we could find.
 *
 * Method (bounded by `simLimits.shrinkRunsMax` re-runs, each a full deterministic run):
 *   1. drop fault kinds one at a time; keep a removal when the run still fails with the
 *      same invariant (each subsystem has its own random stream, so a removal perturbs the
 *      rest of the schedule little);
 *   2. cut the step budget: first to the failing step (when it failed in the faulty phase),
 *      then by halving while it still fails with the same invariant.
 *
 * Contract: the result always fails with the original invariant (at worst it is the input).
 */
import type { Invariant } from './failure.js';
import { simLimits } from './options.js';
import type { SimOptions } from './options.js';
import { runSimulation } from './simulation.js';
import type { SimResult } from './simulation.js';

/** ShrinkResult is the smallest failing run found and how many re-runs it took. */
export interface ShrinkResult {
  readonly result: SimResult;
  readonly runs: number;
}

/**
 * Shrinks the failing `original` run; returns it unchanged when nothing smaller fails.
 * `runner` runs one candidate (tests inject a fake; the default is the real simulation).
 */
export function shrinkFailure(original: SimResult,
  runner: (options: SimOptions) => SimResult = runSimulation): ShrinkResult {
  const invariant = original.failure?.invariant;
  if (invariant === undefined) return { result: original, runs: 0 };
  let best = original;
  let runs = 0;
  const attempt = (options: SimOptions): boolean => {
    if (runs >= simLimits.shrinkRunsMax) return false;
    runs++;
    const result = runner(options);
    if (!failsWith(result, invariant)) return false;
    best = result;
    return true;
  };
  for (const kind of original.options.faults) {
    attempt({ ...best.options, faults: best.options.faults.filter((other) => other !== kind) });
  }
  const failedAt = best.failure?.step ?? best.options.steps;
  if (failedAt < best.options.steps) attempt({ ...best.options, steps: failedAt });
  while (best.options.steps > 1 && runs < simLimits.shrinkRunsMax) {
    if (!attempt({ ...best.options, steps: Math.floor(best.options.steps / 2) })) break;
  }
  return { result: best, runs };
}

function failsWith(result: SimResult, invariant: Invariant): boolean {
  return !result.ok && result.failure?.invariant === invariant;
}
