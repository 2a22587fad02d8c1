/**
 * Goal: a run is a pure function of its options, and the campaign machinery around it
 * (shards, shrinking) keeps that promise. Method: run seeds twice and compare results
 * field by field (stats, fault counts, trace); split a campaign into shards and compare the
 * merged summary; shrink a synthetic failure with a fake runner.
 */
import { describe, expect, it } from 'vitest';
import { campaignRuns, mergeSummaries, runCampaign } from '../../src/raft/sim/campaign.js';
import { allFaultKinds, parseFaultKinds, replayCommand } from '../../src/raft/sim/options.js';
import type { SimOptions } from '../../src/raft/sim/options.js';
import { shrinkFailure } from '../../src/raft/sim/shrink.js';
import { runSimulation } from '../../src/raft/sim/simulation.js';
import type { SimResult } from '../../src/raft/sim/simulation.js';

const faults = allFaultKinds;

describe('determinism', () => {
  it.each([3, 5, 7])('replays a %i-node seed identically', (clusterSize) => {
    const options = { seed: 4242, clusterSize, steps: 3000, faults };
    const first = runSimulation(options);
    const second = runSimulation(options);
    expect(second.stats).toEqual(first.stats);
    expect(second.faults).toEqual(first.faults);
    expect(second.trace).toEqual(first.trace);
    expect(second.steps).toBe(first.steps);
    expect(first.trace.length).toBeGreaterThan(10);
  });

  it('gives different seeds different histories', () => {
    const first = runSimulation({ seed: 1, clusterSize: 3, steps: 2000, faults });
    const second = runSimulation({ seed: 2, clusterSize: 3, steps: 2000, faults });
    expect(second.trace).not.toEqual(first.trace);
  });

  it('exercises every fault kind and the snapshot path across a few seeds', () => {
    const summary = runCampaign({ seedStart: 1, seeds: 20, sizes: [3, 5], steps: 3000,
      faults, shrink: false });
    expect(summary.failed).toEqual([]);
    for (const kind of allFaultKinds) expect(summary.faults[kind], kind).toBeGreaterThan(0);
    expect(summary.stats.snapshotsInstalled).toBeGreaterThan(0);
    expect(summary.stats.proposalsAcked).toBeGreaterThan(0);
    expect(summary.stats.readsChecked).toBeGreaterThan(0);
    expect(summary.stats.crashes).toBeGreaterThan(0);
    expect(summary.stats.confChanges).toBeGreaterThan(0);
  });
});

describe('campaign shards', () => {
  it('cover every run once and merge to the whole campaign', () => {
    const base = { seedStart: 7, seeds: 6, sizes: [3, 5], steps: 800, faults, shrink: false };
    const whole = runCampaign(base);
    const parts = [0, 1, 2].map((index) => runCampaign({ ...base, shard: { index, count: 3 } }));
    const merged = mergeSummaries(parts);
    expect(merged.runs).toBe(whole.runs);
    expect(merged.stats).toEqual(whole.stats);
    expect(merged.faults).toEqual(whole.faults);
    const shardRuns = [0, 1, 2].flatMap((index) =>
      campaignRuns({ ...base, shard: { index, count: 3 } }));
    expect(shardRuns).toHaveLength(campaignRuns(base).length);
  });
});

describe('options', () => {
  it('parses fault lists and formats replay commands', () => {
    expect(parseFaultKinds('crash,drop')).toEqual({ faults: ['drop', 'crash'], unknown: [] });
    expect(parseFaultKinds('all').faults).toEqual([...allFaultKinds]);
    expect(parseFaultKinds('none').faults).toEqual([]);
    expect(parseFaultKinds('drop,bogus').unknown).toEqual(['bogus']);
    expect(replayCommand({ seed: 9, clusterSize: 5, steps: 100, faults: ['drop'] }))
      .toBe('SEED=9 SIZE=5 STEPS=100 FAULTS=drop npm run sim');
  });
});

describe('shrinking', () => {
  it('removes irrelevant fault kinds and cuts the step budget', () => {
    // A fake run that fails (election-safety at step 150) iff crashes are enabled and at
    // least 150 steps run: the shrinker must find FAULTS=crash and STEPS=150.
    const fake = (options: SimOptions): SimResult => {
      const fails = options.faults.includes('crash') && options.steps >= 150;
      const base = { seed: options.seed, options, ok: !fails, steps: options.steps,
        stats: original.stats, faults: original.faults, trace: [], replay: replayCommand(options) };
      if (!fails) return base;
      return { ...base, failure: { invariant: 'election-safety', message: 'fake', step: 150 } };
    };
    const original = runSimulation({ seed: 1, clusterSize: 3, steps: 10, faults: [] });
    const failing = fake({ seed: 1, clusterSize: 3, steps: 4000, faults });
    const { result, runs } = shrinkFailure(failing, fake);
    expect(result.failure?.invariant).toBe('election-safety');
    expect(result.options.faults).toEqual(['crash']);
    expect(result.options.steps).toBe(150);
    expect(runs).toBeGreaterThan(0);
  });

  it('leaves a passing run alone', () => {
    const passing = runSimulation({ seed: 3, clusterSize: 3, steps: 300, faults });
    expect(passing.ok).toBe(true);
    expect(shrinkFailure(passing).runs).toBe(0);
  });
});
