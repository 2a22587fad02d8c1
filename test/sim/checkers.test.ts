/**
 * Goal: prove that every checker of the simulator bites. Method: feed each checker a small
 * hand-made history that breaks exactly one invariant and assert that it reports that
 * invariant (and only at the violating observation), plus the same history without the
 * violation to show the checker stays quiet on correct behaviour.
 */
import { describe, expect, it } from 'vitest';
import { encodeValue } from '../../src/raft/sim/app.js';
import { InvariantViolation } from '../../src/raft/sim/failure.js';
import type { Invariant } from '../../src/raft/sim/failure.js';
import { HistoryChecker } from '../../src/raft/sim/history-checker.js';
import { SafetyChecker } from '../../src/raft/sim/safety-checker.js';
import type { LeaderLogView, Observer } from '../../src/raft/sim/safety-checker.js';
import { EntryType } from '../../src/raft/types.js';
import type { Entry } from '../../src/raft/types.js';

function entry(index: number, term: number, value: string): Entry {
  return { index, term, type: EntryType.Normal, data: encodeValue(value) };
}

function at(step: number, nodeId: number): Observer {
  return { step, nodeId };
}

function violationOf(action: () => void): Invariant | null {
  try {
    action();
    return null;
  } catch (error) {
    if (error instanceof InvariantViolation) return error.invariant;
    throw error;
  }
}

function logView(entries: readonly Entry[], snapshot = { index: 0, term: 0 }): LeaderLogView {
  return {
    snapshotIndex: snapshot.index,
    snapshotTerm: snapshot.term,
    entry: (index) => entries.find((candidate) => candidate.index === index) ?? null,
  };
}

function apps(...states: Array<[number, number, Array<[string, number]>]>) {
  return states.map(([nodeId, appliedIndex, pairs]) =>
    ({ nodeId, appliedIndex, values: new Map(pairs) }));
}

describe('election safety', () => {
  it('reports two leaders in one term', () => {
    const checker = new SafetyChecker();
    checker.observeLeader(at(1, 1), 2);
    checker.observeLeader(at(2, 1), 2);
    checker.observeLeader(at(3, 2), 3);
    expect(violationOf(() => checker.observeLeader(at(4, 3), 2))).toBe('election-safety');
  });
});

describe('log matching', () => {
  it('reports a different entry under the same (index, term)', () => {
    const checker = new SafetyChecker();
    checker.observeAppended(at(1, 1), [entry(1, 1, 'a'), entry(2, 1, 'b')], 0);
    checker.observeAppended(at(2, 2), [entry(2, 1, 'b')], 1);
    expect(violationOf(() => checker.observeAppended(at(3, 3), [entry(2, 1, 'x')], 1)))
      .toBe('log-matching');
  });

  it('reports the same (index, term) after different predecessors', () => {
    const checker = new SafetyChecker();
    checker.observeAppended(at(1, 1), [entry(3, 2, 'c')], 1);
    expect(violationOf(() => checker.observeAppended(at(2, 2), [entry(3, 2, 'c')], 2)))
      .toBe('log-matching');
  });

  it('reports nodes committing different entries at one index', () => {
    const checker = new SafetyChecker();
    checker.observeCommitted(at(1, 1), { index: 5, nodeTerm: 3, entry: entry(5, 3, 'a') });
    checker.observeCommitted(at(2, 2), { index: 5, nodeTerm: 3, entry: entry(5, 3, 'a') });
    expect(violationOf(() =>
      checker.observeCommitted(at(3, 3), { index: 5, nodeTerm: 4, entry: entry(5, 4, 'b') })))
      .toBe('log-matching');
  });
});

describe('leader completeness', () => {
  it('reports a new leader that lacks an entry committed in an earlier term', () => {
    const checker = new SafetyChecker();
    checker.observeCommitted(at(1, 1), { index: 1, nodeTerm: 1, entry: entry(1, 1, 'a') });
    checker.observeCommitted(at(1, 1), { index: 2, nodeTerm: 2, entry: entry(2, 2, 'b') });
    const complete = logView([entry(1, 1, 'a'), entry(2, 2, 'b'), entry(3, 3, '')]);
    expect(violationOf(() => checker.checkLeaderLog({ ...at(2, 2), term: 3 }, complete)))
      .toBeNull();
    const lacking = logView([entry(1, 1, 'a'), entry(2, 3, '')]);
    expect(violationOf(() => checker.checkLeaderLog({ ...at(3, 3), term: 3 }, lacking)))
      .toBe('leader-completeness');
  });

  it('accepts entries covered by the leader snapshot and ignores later commits', () => {
    const checker = new SafetyChecker();
    checker.observeCommitted(at(1, 1), { index: 1, nodeTerm: 1, entry: entry(1, 1, 'a') });
    checker.observeCommitted(at(1, 1), { index: 2, nodeTerm: 5, entry: entry(2, 5, 'z') });
    const view = logView([], { index: 1, term: 1 });
    expect(violationOf(() => checker.checkLeaderLog({ ...at(2, 2), term: 4 }, view)))
      .toBeNull();
    const wrongSnapshot = logView([], { index: 1, term: 2 });
    expect(violationOf(() => checker.checkLeaderLog({ ...at(2, 2), term: 4 },
      wrongSnapshot))).toBe('leader-completeness');
  });
});

describe('state machine safety', () => {
  it('reports two nodes applying different entries at one index', () => {
    const checker = new SafetyChecker();
    checker.observeApplied(at(1, 1), entry(7, 2, 'a'));
    checker.observeApplied(at(2, 2), entry(7, 2, 'a'));
    expect(violationOf(() => checker.observeApplied(at(3, 3), entry(7, 3, 'b'))))
      .toBe('state-machine-safety');
  });

  it('reports converged members holding different values', () => {
    const history = new HistoryChecker();
    const states = apps([1, 4, [['a', 3]]], [2, 4, [['a', 4]]]);
    expect(violationOf(() => history.checkFinal(10, states))).toBe('state-machine-safety');
  });
});

describe('linearizable reads', () => {
  it('reports a read that misses a write acknowledged before it began', () => {
    const history = new HistoryChecker();
    history.observeApplied('w1', 5);
    history.observeAck(10, 'w1');
    const invokedAt = history.ackCount();
    const stale = { nodeId: 2, requestId: 1, ackCountAtInvoke: invokedAt, readIndex: 4 };
    const staleApp = { nodeId: 2, appliedIndex: 4, values: new Map([['w0', 2]]) };
    expect(violationOf(() => history.checkRead(11, stale, staleApp)))
      .toBe('linearizable-read');
  });

  it('accepts a read that started before the write was acknowledged', () => {
    const history = new HistoryChecker();
    const invokedAt = history.ackCount();
    history.observeApplied('w1', 5);
    history.observeAck(10, 'w1');
    const read = { nodeId: 2, requestId: 1, ackCountAtInvoke: invokedAt, readIndex: 4 };
    const app = { nodeId: 2, appliedIndex: 4, values: new Map<string, number>() };
    expect(violationOf(() => history.checkRead(11, read, app))).toBeNull();
  });

  it('reports a read index that covers the write but an app that does not hold it', () => {
    const history = new HistoryChecker();
    history.observeApplied('w1', 5);
    history.observeAck(10, 'w1');
    const read = { nodeId: 2, requestId: 1, ackCountAtInvoke: 1, readIndex: 6 };
    const app = { nodeId: 2, appliedIndex: 6, values: new Map([['w0', 2]]) };
    expect(violationOf(() => history.checkRead(11, read, app))).toBe('linearizable-read');
  });
});

describe('durability', () => {
  it('reports an acknowledged write missing after convergence', () => {
    const history = new HistoryChecker();
    history.observeApplied('w1', 3);
    history.observeAck(5, 'w1');
    history.observeApplied('w2', 4);
    history.observeAck(6, 'w2');
    const good = apps([1, 4, [['w1', 3], ['w2', 4]]], [2, 4, [['w1', 3], ['w2', 4]]]);
    expect(violationOf(() => history.checkFinal(10, good))).toBeNull();
    const lost = apps([1, 4, [['w1', 3], ['w2', 4]]], [2, 4, [['w1', 3]]]);
    expect(violationOf(() => history.checkFinal(10, lost))).toBe('durability');
  });

  it('reports an acknowledgement of a value never applied', () => {
    const history = new HistoryChecker();
    expect(violationOf(() => history.observeAck(1, 'ghost'))).toBe('durability');
  });
});
