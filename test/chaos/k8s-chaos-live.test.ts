/**
 * Goal: `coracle chaos --workload k8s` against a live 3-process cluster finds nothing wrong
 * with a correct build: ConfigMap registers updated with resourceVersion preconditions
 * through random peers stay linearizable, informer-style watchers see every change in
 * order with no duplicate and no gap, and every acknowledged write survives, while peers are
 * killed -9, paused and partitioned.
 * Method: one short seeded run through the same runner and checkers the CLI uses; the runner
 * stops every process it starts by PID and the passing run's temp dir is removed.
 */
import { describe, expect, it } from 'vitest';
import { checkRun } from '../../src/chaos/checks.js';
import { discardRun, runChaos } from '../../src/chaos/run.js';

describe('coracle chaos --workload k8s on a live cluster', () => {
  it('a correct build survives kill, pause and partition faults with clean verdicts',
    async () => {
      const run = await runChaos({
        seed: 4242, durationMs: 18_000, faults: ['kill', 'kill-leader', 'pause', 'partition'],
        peers: 3, clients: 6, watchers: 3, keys: 4, workload: 'k8s', serverArgs: [],
        keepData: false, log: () => undefined,
      });
      const verdicts = checkRun(run);
      const operations = run.history.operations;
      expect(run.history.faults.length).toBeGreaterThanOrEqual(2);
      expect(operations.filter((op) => op.kind === 'cas' && op.outcome === 'ok').length)
        .toBeGreaterThan(100);
      expect(run.history.watches.length).toBeGreaterThanOrEqual(3);
      expect(verdicts.linearizability.anomaly?.explanation).toBeUndefined();
      expect(verdicts.linearizability.verdict).toBe('ok');
      expect(verdicts.agreement.verdict).toBe('ok');
      expect(verdicts.watches.guarantees.filter((g) => g.verdict !== 'ok')).toEqual([]);
      // Every member's final read of every register was appended to the checked history.
      expect([...run.finalState.reads.values()].every((reads) => reads.size === 4)).toBe(true);
      expect(verdicts.violated).toBe(false);
      discardRun(run);
    }, 60_000);
});
