/**
 * Goal: the run-level checks handle a long campaign's history (hundreds of thousands of
 * operations, long watch sessions) without blowing the call stack or the time budget; an
 * 8-minute run once crashed in `Math.max(...spread)`.
 * Method: a synthetic sequential history of 200,000 operations on 5 keys and one watcher
 * session with every write's event, checked with the same entry point the CLI uses.
 */
import { describe, expect, it } from 'vitest';
import { checkRun } from '../../src/chaos/checks.js';
import type { Operation, WatchSession } from '../../src/chaos/history.js';
import type { ChaosRun } from '../../src/chaos/run.js';

function syntheticRun(count: number): ChaosRun {
  const operations: Operation[] = [];
  const session: WatchSession = { watcher: 0, peer: 'p1', startRevision: 1, events: [],
    progressRevisions: [], endReason: 'stopped' };
  const latest = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const key = `chaos/k${i % 5}`;
    const base = { id: i + 1, client: i % 6, peer: 'p1', key, invokeMs: i, completeMs: i + 0.5,
      outcome: 'ok' as const };
    if (i % 2 === 0) {
      const value = `v${i}`;
      const revision = i / 2 + 2;
      operations.push({ ...base, kind: 'write', value, revision });
      session.events.push({ type: 'put', key, value, modRevision: revision, receivedMs: i + 1 });
      latest.set(key, value);
    } else {
      operations.push({ ...base, kind: 'read', read: latest.get(key) ?? null });
    }
  }
  const reads = new Map([['p1', new Map([...latest.entries()])]]);
  return {
    history: { seed: 1, operations, watches: [session], faults: [] },
    finalState: { reads, members: new Map([['p1', { appliedIndex: 1, revision: 1, hash: 1 }]]),
      converged: true, convergeMs: 0, recoveryError: '' },
    keys: [...latest.keys()], directory: '/nonexistent', durationMs: count,
  };
}

describe('checks on a long history', () => {
  it('checks 200,000 operations without overflowing the stack', () => {
    const verdicts = checkRun(syntheticRun(200_000));
    expect(verdicts.linearizability.verdict).toBe('ok');
    expect(verdicts.watches.verdict).toBe('ok');
    expect(verdicts.violated).toBe(false);
  }, 120_000);
});
