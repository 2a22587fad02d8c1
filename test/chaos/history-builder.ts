/**
 * @module test/chaos/history-builder
 * Small builders for hand-made chaos histories: `write`, `read` and `cas` create one
 * operation each with a fresh id, and `randomLinearizableHistory` simulates a sequential
 * register behind random concurrency windows and random unknown outcomes.
 */
import { SeededRandom } from '../../src/util/prng.js';
import type { Operation, Outcome } from '../../src/chaos/history.js';

let nextId = 1;

/** Span of an operation: [invokeMs, completeMs]; completeMs null for unknown outcomes. */
export type Span = readonly [number, number | null];

function base(client: number, key: string, span: Span, outcome: Outcome) {
  return {
    id: nextId++, client, peer: `p${client % 3}`, key,
    invokeMs: span[0], completeMs: outcome === 'unknown' ? null : span[1], outcome,
  };
}

/** Builds a write of `value` to `key`. */
export function write(
  client: number, key: string, value: string, span: Span, outcome: Outcome = 'ok',
): Operation {
  return { ...base(client, key, span, outcome), kind: 'write', value };
}

/** Builds a read of `key` that returned `value` (null: absent). */
export function read(
  client: number, key: string, value: string | null, span: Span, outcome: Outcome = 'ok',
): Operation {
  return outcome === 'ok'
    ? { ...base(client, key, span, outcome), kind: 'read', read: value }
    : { ...base(client, key, span, outcome), kind: 'read' };
}

/** Builds a CAS of `key` from `expected` to `value`. */
export function cas(
  client: number, key: string, options: {
    expected: string | null; value: string; span: Span; succeeded?: boolean; outcome?: Outcome;
  },
): Operation {
  const outcome = options.outcome ?? 'ok';
  const op: Operation = {
    ...base(client, key, options.span, outcome), kind: 'cas',
    expected: options.expected, value: options.value,
  };
  return outcome === 'ok' ? { ...op, succeeded: options.succeeded ?? true } : op;
}

/** Options of the random history generator. */
export interface RandomHistoryOptions {
  readonly seed: number;
  readonly keys: number;
  readonly operationsPerKey: number;
  readonly clients: number;
  /** Probability that a write or CAS ends with an unknown outcome. */
  readonly unknownRate: number;
  /** Probability of a fail outcome (no effect). */
  readonly failRate?: number;
  readonly withCas?: boolean;
}

/**
 * Generates a linearizable history: each client issues operations one after another; each
 * operation takes effect at a random instant inside its [invoke, complete] window, applied
 * to a sequential register in effect order, so the effect order is a linearization. Unknown
 * writes take effect (or not) and never return; fail operations have no effect.
 */
export function randomLinearizableHistory(options: RandomHistoryOptions): Operation[] {
  const random = new SeededRandom(options.seed);
  interface Planned { op: Omit<Operation, 'read' | 'succeeded'>; effectMs: number; applies: boolean }
  const planned: Planned[] = [];
  const clientFreeMs = new Array<number>(options.clients).fill(0);
  let valueCounter = 0;
  for (let k = 0; k < options.keys; k++) {
    const key = `k${k}`;
    for (let i = 0; i < options.operationsPerKey; i++) {
      const client = random.int(options.clients);
      const invokeMs = clientFreeMs[client]! + random.int(5);
      const completeMs = invokeMs + 1 + random.int(40);
      const effectMs = invokeMs + random.float() * (completeMs - invokeMs);
      const roll = random.float();
      const kind = roll < 0.45 ? 'read' : roll < 0.8 || options.withCas !== true ? 'write' : 'cas';
      const outcomeRoll = random.float();
      const outcome: Outcome = kind !== 'read' && outcomeRoll < options.unknownRate ? 'unknown'
        : outcomeRoll > 1 - (options.failRate ?? 0) ? 'fail' : 'ok';
      const value = `v${valueCounter++}`;
      clientFreeMs[client] = outcome === 'unknown' ? completeMs + 200 : completeMs;
      const op = {
        id: 0, client: client + k * options.clients, peer: `p${client % 3}`, kind, key,
        invokeMs, completeMs: outcome === 'unknown' ? null : completeMs, outcome,
        ...(kind === 'read' ? {} : { value }),
      } as const;
      const applies = outcome === 'ok' || (outcome === 'unknown' && random.chance(0.5));
      planned.push({ op, effectMs, applies });
    }
  }
  return resolvePlanned(planned, random);
}

function resolvePlanned(
  planned: { op: Omit<Operation, 'read' | 'succeeded'>; effectMs: number; applies: boolean }[],
  random: SeededRandom,
): Operation[] {
  const state = new Map<string, string | null>();
  const results = new Map<object, Operation>();
  for (const item of [...planned].sort((a, b) => a.effectMs - b.effectMs)) {
    const current = state.get(item.op.key) ?? null;
    const op = item.op;
    if (op.kind === 'read') {
      results.set(item, { ...op, read: current });
    } else if (op.kind === 'write') {
      if (item.applies) state.set(op.key, op.value!);
      results.set(item, op);
    } else {
      const expected = random.chance(0.7) ? current : `${op.value!}-never`;
      const succeeded = expected === current;
      if (item.applies && succeeded) state.set(op.key, op.value!);
      results.set(item, op.outcome === 'ok' ? { ...op, expected, succeeded } : { ...op, expected });
    }
  }
  const ordered = planned.map((item) => results.get(item)!)
    .sort((a, b) => a.invokeMs - b.invokeMs);
  return ordered.map((op, index) => ({ ...op, id: index + 1 }));
}
