/**
 * Goal: the register linearizability checker accepts every linearizable history (including
 * concurrency, unknown and fail outcomes) and rejects the classic anomalies (stale read,
 * lost write, double CAS, read of a never-written value) with a small, explained
 * sub-history; it returns `unknown` instead of hanging when its budget runs out.
 * Method: hand-made histories from the builders, then seeded random histories produced by
 * simulating a sequential register (linearizable by construction) and one perturbed read.
 */
import { describe, expect, it } from 'vitest';
import { checkLinearizability } from '../../src/chaos/linearizability.js';
import type { Operation } from '../../src/chaos/history.js';
import { cas, randomLinearizableHistory, read, write } from './history-builder.js';

describe('linearizable histories', () => {
  it.each<[string, Operation[]]>([
    ['sequential write then read', [write(1, 'k', 'a', [0, 10]), read(2, 'k', 'a', [20, 30])]],
    ['read before any write sees absent', [read(1, 'k', null, [0, 5]),
      write(2, 'k', 'a', [10, 20])]],
    ['overlapping writes observed in either order', [
      write(1, 'k', 'a', [0, 100]), write(2, 'k', 'b', [0, 100]),
      read(3, 'k', null, [1, 2]), read(3, 'k', 'b', [10, 20]), read(4, 'k', 'a', [30, 40]),
    ]],
    ['a read overlapping a write may see the old or the new value', [
      write(1, 'k', 'a', [0, 10]), write(2, 'k', 'b', [20, 60]),
      read(3, 'k', 'b', [25, 30]), read(4, 'k', 'a', [26, 50]),
    ]],
    ['an unknown write that later appears', [
      write(1, 'k', 'a', [0, null], 'unknown'), write(2, 'k', 'b', [10, 20]),
      read(3, 'k', 'b', [30, 40]), read(3, 'k', 'a', [50, 60]),
    ]],
    ['an unknown write that never appears', [
      write(1, 'k', 'a', [0, null], 'unknown'), read(2, 'k', null, [10, 20]),
      read(2, 'k', null, [500, 600]),
    ]],
    ['fail operations are ignored', [
      write(1, 'k', 'a', [0, 10], 'fail'), read(2, 'k', null, [20, 30]),
      cas(3, 'k', { expected: null, value: 'b', span: [40, 50], outcome: 'fail' }),
      read(2, 'k', null, [60, 70]),
    ]],
    ['unknown reads carry no information', [
      write(1, 'k', 'a', [0, 10]), read(2, 'k', 'zzz', [20, null], 'unknown'),
    ]],
    ['cas chain through an unknown cas', [
      write(1, 'k', 'a', [0, 10]),
      cas(2, 'k', { expected: 'a', value: 'b', span: [20, null], outcome: 'unknown' }),
      cas(3, 'k', { expected: 'b', value: 'c', span: [30, 40] }), read(1, 'k', 'c', [50, 60]),
    ]],
    ['a failed cas explained by an unknown write of an unread value', [
      write(1, 'k', 'a', [0, 5]), write(2, 'k', 'x', [6, null], 'unknown'),
      cas(3, 'k', { expected: 'a', value: 'c', span: [10, 20], succeeded: false }),
    ]],
  ])('%s', (_name, operations) => {
    const result = checkLinearizability(operations);
    expect(result.verdict).toBe('ok');
    expect(result.anomaly).toBeUndefined();
  });
});

describe('non-linearizable histories', () => {
  it('detects a stale read and explains it', () => {
    const result = checkLinearizability([
      write(1, 'k1', 'v7', [0, 10]), write(2, 'k1', 'v9', [20, 1100]),
      read(3, 'k1', 'v7', [1234, 1300]),
    ]);
    expect(result.verdict).toBe('violation');
    expect(result.anomaly?.minimalHistory).toHaveLength(3);
    expect(result.anomaly?.explanation).toContain(
      'Read of k1 by client 3 at 1.234 s returned v7, but v9 was written ' +
      '(acknowledged at 1.100 s) before the read began');
  });

  it('detects a lost write (acknowledged, never visible)', () => {
    const result = checkLinearizability([
      write(1, 'k', 'a', [0, 10]), read(2, 'k', null, [20, 30]), read(3, 'k', null, [40, 50]),
    ]);
    expect(result.verdict).toBe('violation');
    expect(result.anomaly?.minimalHistory.map((op) => op.kind)).toEqual(['write', 'read']);
    expect(result.anomaly?.explanation).toContain('returned nothing (key absent), but a was');
  });

  it('detects two successful concurrent CAS from the same expected value', () => {
    const result = checkLinearizability([
      write(1, 'k', 'v0', [0, 5]),
      cas(2, 'k', { expected: 'v0', value: 'a', span: [10, 20] }),
      cas(3, 'k', { expected: 'v0', value: 'b', span: [10, 20] }),
    ]);
    expect(result.verdict).toBe('violation');
    expect(result.anomaly?.explanation).toContain('both succeeded from the same expected');
  });

  it('detects a read of a never-written value with a one-operation history', () => {
    const result = checkLinearizability([
      write(1, 'k', 'a', [0, 5]), read(2, 'k', 'ghost', [10, 20]), read(2, 'k', 'a', [30, 40]),
    ]);
    expect(result.verdict).toBe('violation');
    expect(result.anomaly?.minimalHistory).toHaveLength(1);
    expect(result.anomaly?.explanation).toContain('no operation ever wrote ghost');
  });

  it.each<[string, Operation[]]>([
    ['a read of an unknown write before it was invoked', [
      read(1, 'k', 'a', [0, 5]), write(2, 'k', 'a', [10, null], 'unknown')]],
    ['a read of a failed write', [write(1, 'k', 'a', [0, 10], 'fail'),
      read(2, 'k', 'a', [20, 30])]],
    ['a failed cas whose expected value was certainly current', [
      write(1, 'k', 'a', [0, 5]),
      cas(3, 'k', { expected: 'a', value: 'c', span: [10, 20], succeeded: false })]],
    ['values flipping back', [
      write(1, 'k', 'a', [0, 100]), write(2, 'k', 'b', [0, 100]),
      read(3, 'k', 'a', [110, 120]), read(3, 'k', 'b', [130, 140]),
      read(3, 'k', 'a', [150, 160])]],
  ])('detects %s', (_name, operations) => {
    expect(checkLinearizability(operations).verdict).toBe('violation');
  });

  it('reduces a stale read buried in 200 noise operations to at most 3 operations', () => {
    const operations: Operation[] = [];
    let timeMs = 0;
    for (let i = 0; i < 100; i++) {
      operations.push(write(i % 5, 'k', `n${i}`, [timeMs, timeMs + 8]));
      operations.push(read((i + 1) % 5, 'k', `n${i}`, [timeMs + 10, timeMs + 15]));
      timeMs += 20;
    }
    operations.splice(120, 0, read(9, 'k', 'n40', [60 * 20 + 2, 60 * 20 + 5]));
    const result = checkLinearizability(operations);
    expect(result.verdict).toBe('violation');
    expect(result.anomaly!.minimalHistory.length).toBeLessThanOrEqual(3);
    expect(result.anomaly!.explanation).toContain('returned n40');
  });

  it('reports each key on its own and the anomaly on the violating key', () => {
    const result = checkLinearizability([
      write(1, 'a', 'x', [0, 10]), read(1, 'a', 'x', [20, 30]),
      write(2, 'b', 'y', [0, 10]), read(2, 'b', null, [20, 30]),
    ]);
    expect(result.keys.map((key) => [key.key, key.verdict])).toEqual(
      [['a', 'ok'], ['b', 'violation']]);
    expect(result.anomaly?.key).toBe('b');
  });
});

describe('budget', () => {
  /**
   * Twenty fully concurrent writes of values read later, then reads that no order allows:
   * refuting it means visiting about 20 x 2^19 (linearized set, state) configurations.
   */
  function adversarial(): Operation[] {
    const operations: Operation[] = [];
    for (let i = 0; i < 20; i++) operations.push(write(i, 'k', `w${i}`, [0, 1000]));
    for (let i = 0; i < 20; i++) {
      operations.push(read(30, 'k', `w${i}`, [1001 + 2 * i, 1002 + 2 * i]));
    }
    operations.push(read(30, 'k', 'w0', [1100, 1101]));
    return operations;
  }

  it('returns unknown when the steps budget runs out', () => {
    const result = checkLinearizability(adversarial(), { stepsPerKeyMax: 10_000 });
    expect(result.verdict).toBe('unknown');
    expect(result.keys[0]).toMatchObject({ verdict: 'unknown', budget: 'steps' });
  });

  it('returns unknown when the injected clock passes the time budget', () => {
    let nowMs = 0;
    const result = checkLinearizability(adversarial(), {
      timePerKeyMsMax: 50, nowMs: () => (nowMs += 1),
    });
    expect(result.keys[0]).toMatchObject({ verdict: 'unknown', budget: 'time' });
  });
});

describe('randomized histories', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i: linearizable, and a perturbed read is not',
    (seed) => {
      const operations = randomLinearizableHistory({
        seed, keys: 3, operationsPerKey: 300, clients: 6, unknownRate: 0.2, failRate: 0.05,
        withCas: seed % 2 === 0,
      });
      const result = checkLinearizability(operations);
      expect(result.verdict).toBe('ok');
      const perturbed = perturbOneRead(operations);
      const broken = checkLinearizability(perturbed);
      expect(broken.verdict).toBe('violation');
      expect(broken.anomaly!.minimalHistory.length).toBeLessThanOrEqual(4);
    });

  it('checks 10 keys x 2,000 operations with 20% unknown outcomes within seconds', () => {
    const operations = randomLinearizableHistory({
      seed: 42, keys: 10, operationsPerKey: 2000, clients: 8, unknownRate: 0.2, failRate: 0.02,
      withCas: true,
    });
    const startMs = performance.now();
    const result = checkLinearizability(operations);
    const elapsedMs = performance.now() - startMs;
    expect(result.verdict).toBe('ok');
    expect(elapsedMs).toBeLessThan(5000);
    const steps = result.keys.reduce((sum, key) => sum + key.steps, 0);
    console.log(`20k operations checked in ${elapsedMs.toFixed(0)} ms, ${steps} steps`);
  });
});

/** Makes one ok read return a value whose only write was invoked after the read completed. */
function perturbOneRead(operations: readonly Operation[]): Operation[] {
  for (const target of operations) {
    if (target.kind !== 'read' || target.outcome !== 'ok') continue;
    const future = operations.find((op) => op.key === target.key && op.kind === 'write' &&
      op.outcome === 'ok' && op.invokeMs > target.completeMs! + 1);
    if (future === undefined) continue;
    return operations.map((op) => (op === target ? { ...op, read: future.value! } : op));
  }
  throw new Error('no read to perturb');
}
