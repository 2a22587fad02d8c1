/**
 * Goal: no safety or liveness violation in a 5-node cluster under every fault kind.
 * Method: seeds 1.. (one run each, 5000 faulty steps, then heal and converge); every
 * invariant is checked after every step. A failure prints its seed and replay command.
 */
import { describe, expect, it } from 'vitest';
import { failingSeeds } from './seeds.js';

describe('5-node cluster, all faults, seeds from 1', () => {
  it('passes every seed', () => {
    const failures = failingSeeds({ clusterSize: 5, seedStart: 1, seeds: 150, steps: 5000 });
    expect(failures, failures.join('\n\n')).toEqual([]);
  });
});
