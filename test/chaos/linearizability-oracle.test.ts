/**
 * Goal: the search's reductions (dead values, forced unknown writes, dead makers, free
 * reads and failed CAS, absorbed dead writes) never change a verdict.
 * Method: thousands of random tiny one-key histories (random times, outcomes, reads and
 * CAS results, so most are NOT linearizable) checked against a brute-force oracle that
 * tries every order of every subset that keeps all non-unknown operations.
 */
import { describe, expect, it } from 'vitest';
import { checkLinearizability } from '../../src/chaos/linearizability.js';
import type { Operation, Outcome } from '../../src/chaos/history.js';
import { SeededRandom } from '../../src/util/prng.js';

function randomTinyHistory(random: SeededRandom, count: number): Operation[] {
  const operations: Operation[] = [];
  const values: string[] = [];
  for (let id = 1; id <= count; id++) {
    const invokeMs = random.int(20);
    const completeMs = invokeMs + 1 + random.int(10);
    const roll = random.float();
    const outcome: Outcome = random.chance(0.25) ? 'unknown' : random.chance(0.1) ? 'fail' : 'ok';
    const base = { id, client: id, peer: 'p0', key: 'k', invokeMs,
      completeMs: outcome === 'unknown' ? null : completeMs, outcome };
    const seen = (): string | null =>
      values.length === 0 || random.chance(0.25) ? null : random.pick(values);
    if (roll < 0.4) {
      operations.push({ ...base, kind: 'read', ...(outcome === 'ok' ? { read: seen() } : {}) });
    } else if (roll < 0.7) {
      values.push(`v${id}`);
      operations.push({ ...base, kind: 'write', value: `v${id}` });
    } else {
      values.push(`v${id}`);
      operations.push({ ...base, kind: 'cas', value: `v${id}`, expected: seen(),
        ...(outcome === 'ok' ? { succeeded: random.chance(0.5) } : {}) });
    }
  }
  return operations;
}

/** Returns whether some order of some allowed subset is a legal sequential history. */
function bruteForce(operations: readonly Operation[]): boolean {
  const kept = operations.filter((op) => op.outcome !== 'fail' &&
    !(op.kind === 'read' && op.outcome === 'unknown'));
  const end = (op: Operation): number => op.completeMs ?? Infinity;
  const used = new Array<boolean>(kept.length).fill(false);
  const search = (state: string | null, placed: number): boolean => {
    const pendingFinite = kept.some((op, i) => !used[i] && op.outcome === 'ok');
    if (!pendingFinite) return true;
    for (let i = 0; i < kept.length; i++) {
      const op = kept[i]!;
      if (used[i]) continue;
      // Real time: no unplaced operation may have completed before this one began.
      if (kept.some((other, j) => !used[j] && j !== i && end(other) < op.invokeMs)) continue;
      let next: string | null | undefined;
      if (op.kind === 'read') next = op.read === state ? state : undefined;
      else if (op.kind === 'write') next = op.value!;
      else if (op.expected === state) next = op.succeeded === false ? undefined : op.value!;
      else next = op.outcome === 'ok' && op.succeeded !== true ? state : undefined;
      if (next === undefined) continue;
      used[i] = true;
      const found = search(next, placed + 1);
      used[i] = false;
      if (found) return true;
    }
    return false;
  };
  return search(null, 0);
}

describe('linearizability oracle', () => {
  it('agrees with brute force on 3,000 random tiny histories', () => {
    const random = new SeededRandom(2024);
    let violations = 0;
    for (let round = 0; round < 3000; round++) {
      const operations = randomTinyHistory(random, 3 + random.int(5));
      const expected = bruteForce(operations) ? 'ok' : 'violation';
      const actual = checkLinearizability(operations).verdict;
      if (actual !== expected) {
        throw new Error(`round ${round}: expected ${expected}, got ${actual}: ` +
          JSON.stringify(operations));
      }
      if (expected === 'violation') violations++;
    }
    expect(violations).toBeGreaterThan(300);
  });
});
