/**
 * Goal: `coracle chaos` against a live 3-process cluster finds nothing wrong with a correct
 * build, and DOES report violations for each debug-only mutation: peers that serve reads
 * without ReadIndex (stale reads under a partition), and peers that acknowledge before the
 * disk write (lost writes after a whole-cluster power cut).
 * Method: short seeded runs through the same runner and checkers the CLI uses; the runner
 * stops every process it starts and removes its temp dir. Runs are sequential (one file)
 * to keep the machine's two cores for the cluster under test.
 */
import { describe, expect, it } from 'vitest';
import { checkRun } from '../../src/chaos/checks.js';
import { discardRun, runChaos } from '../../src/chaos/run.js';
import type { ChaosOptions } from '../../src/chaos/run.js';

function options(overrides: Partial<ChaosOptions>): ChaosOptions {
  return {
    seed: 1, durationMs: 10_000, faults: [], peers: 3, clients: 6, watchers: 3, keys: 4,
    serverArgs: [], keepData: false, log: () => undefined, ...overrides,
  };
}

describe('coracle chaos on a live cluster', () => {
  it('a correct build survives mixed faults with clean verdicts', async () => {
    const run = await runChaos(options({
      seed: 20261123, durationMs: 24_000,
      faults: ['kill', 'kill-leader', 'pause-leader', 'partition', 'oneway', 'bridge',
        'latency', 'powercut', 'failpoint'],
    }));
    const verdicts = checkRun(run);
    expect(run.history.faults.length).toBeGreaterThanOrEqual(3);
    expect(run.history.operations.filter((op) => op.outcome === 'ok').length)
      .toBeGreaterThan(500);
    expect(verdicts.linearizability.anomaly?.explanation).toBeUndefined();
    expect(verdicts.linearizability.verdict).toBe('ok');
    expect(verdicts.agreement.verdict).toBe('ok');
    expect(verdicts.watches.guarantees.filter((g) => g.verdict !== 'ok')).toEqual([]);
    expect(verdicts.violated).toBe(false);
    discardRun(run);
  }, 180_000);

  it('reports stale reads when peers skip ReadIndex', async () => {
    const run = await runChaos(options({
      seed: 2, faults: ['partition'], serverArgs: ['--unsafe-serve-stale-reads'],
    }));
    const verdicts = checkRun(run);
    expect(verdicts.linearizability.verdict).toBe('violation');
    expect(verdicts.linearizability.anomaly?.minimalHistory.length).toBeLessThanOrEqual(6);
    expect(verdicts.violated).toBe(true);
    discardRun(run);
  }, 120_000);

  it('reports lost writes when peers acknowledge before the disk write', async () => {
    const run = await runChaos(options({
      seed: 3, faults: ['powercut'], serverArgs: ['--unsafe-ack-before-fsync'],
    }));
    const verdicts = checkRun(run);
    expect(verdicts.violated).toBe(true);
    expect(verdicts.linearizability.verdict).toBe('violation');
    discardRun(run);
  }, 120_000);
});
