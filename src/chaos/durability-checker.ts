/**
 * @module chaos/durability-checker
 * Checks what survives a chaos run: after every fault healed, each peer's final value of
 * every key.
 *
 * The rule (simple and exact): every peer MUST hold the same value for a key, and the
 * history extended with each peer's final read of each key, as an ok read invoked after
 * every recorded operation completed, MUST be linearizable. The second part subsumes the
 * informal rules: the final value must come from a write or CAS that did not fail, an
 * acknowledged write cannot be lost (a later read of an older value is a stale read), and
 * an unknown write may have landed or not, as long as one order explains everything.
 *
 * Contract: pure; the linearizability search is bounded as in chaos/linearizability.
 */
import { assert } from '../util/assert.js';
import { checkLinearizability } from './linearizability.js';
import type { LinearizabilityOptions, LinearizabilityResult, Verdict } from './linearizability.js';
import type { Operation } from './history.js';

/** FinalReads maps peer -> key -> value (null: absent) read after healing. */
export type FinalReads = ReadonlyMap<string, ReadonlyMap<string, string | null>>;

/** DivergentKey is a key whose peers disagree after healing. */
export interface DivergentKey {
  readonly key: string;
  readonly values: { readonly peer: string; readonly value: string | null }[];
}

/** DurabilityResult is the durability checker's verdict. */
export interface DurabilityResult {
  readonly verdict: Verdict;
  readonly divergent: DivergentKey[];
  /** The linearizability result of the history with the final reads appended. */
  readonly linearizability: LinearizabilityResult;
  readonly finalReads: number;
}

/** Client ids of the synthetic final reads start here (one client per read). */
export const FINAL_READ_CLIENT_BASE = 1_000_000;

/**
 * Appends one ok read per peer and key, invoked 1 ms after the latest recorded time and
 * completing 1 ms later, with fresh ids and clients.
 */
export function appendFinalReads(
  operations: readonly Operation[], finalReads: FinalReads,
): Operation[] {
  let lastMs = 0;
  let id = 0;
  for (const op of operations) {
    lastMs = Math.max(lastMs, op.completeMs ?? op.invokeMs);
    id = Math.max(id, op.id);
  }
  const result = [...operations];
  let client = FINAL_READ_CLIENT_BASE;
  for (const peer of [...finalReads.keys()].sort()) {
    const values = finalReads.get(peer)!;
    for (const key of [...values.keys()].sort()) {
      result.push({ id: ++id, client: client++, peer, kind: 'read', key,
        invokeMs: lastMs + 1, completeMs: lastMs + 2, outcome: 'ok', read: values.get(key)! });
    }
  }
  assert(result.length >= operations.length, 'final reads only add');
  return result;
}

/** Returns the keys whose peers disagree (a key missing on a peer counts as absent). */
function divergentKeys(finalReads: FinalReads): DivergentKey[] {
  const keys = new Set<string>();
  for (const values of finalReads.values()) for (const key of values.keys()) keys.add(key);
  const divergent: DivergentKey[] = [];
  for (const key of [...keys].sort()) {
    const values = [...finalReads.keys()].sort().map((peer) =>
      ({ peer, value: finalReads.get(peer)!.get(key) ?? null }));
    if (new Set(values.map((entry) => entry.value)).size > 1) divergent.push({ key, values });
  }
  return divergent;
}

/** Checks durability and convergence (see the module comment). */
export function checkDurability(
  operations: readonly Operation[], finalReads: FinalReads,
  options: LinearizabilityOptions = {},
): DurabilityResult {
  const divergent = divergentKeys(finalReads);
  const extended = appendFinalReads(operations, finalReads);
  const linearizability = checkLinearizability(extended, options);
  const verdict: Verdict = divergent.length > 0 ? 'violation' : linearizability.verdict;
  return { verdict, divergent, linearizability,
    finalReads: extended.length - operations.length };
}
