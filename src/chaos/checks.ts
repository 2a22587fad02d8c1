/**
 * @module chaos/checks
 * Runs every checker over a finished chaos run:
 * - linearizability of the register history, with each member's final read of every key
 *   appended as an ordinary read invoked after everything else completed, so a lost
 *   acknowledged write or a member holding a different final state is a violation too;
 * - agreement: after healing, every member applied the same log (same applied index,
 *   revision and store hash);
 * - the watch guarantees.
 */
import { checkLinearizability } from './linearizability.js';
import type { LinearizabilityResult, Verdict } from './linearizability.js';
import type { Operation } from './history.js';
import type { ChaosRun } from './run.js';
import { checkWatches } from './watch-checker.js';
import type { WatchCheckResult } from './watch-checker.js';

/** AgreementResult says whether every member converged to the same state. */
export interface AgreementResult {
  readonly verdict: Verdict;
  readonly detail: string;
}

/** ChaosVerdicts are the checker results of one run. */
export interface ChaosVerdicts {
  readonly linearizability: LinearizabilityResult;
  readonly agreement: AgreementResult;
  readonly watches: WatchCheckResult;
  /** True when any checker found a violation. */
  readonly violated: boolean;
}

/** Appends one final read per member and key, after every recorded operation. */
export function withFinalReads(run: ChaosRun): Operation[] {
  const operations = [...run.history.operations];
  // NB: no Math.max(...spread): a long run has more operations than the call stack takes.
  const lastMs = operations.reduce((max, op) => Math.max(max, op.completeMs ?? op.invokeMs),
    run.durationMs) + 1;
  let id = operations.reduce((max, op) => Math.max(max, op.id), 0) + 1;
  let client = 1_000_000;
  for (const [peer, values] of run.finalState.reads) {
    for (const [key, value] of values) {
      operations.push({ id: id++, client: client++, peer, kind: 'read', key,
        invokeMs: lastMs, completeMs: lastMs + 1, outcome: 'ok', read: value });
    }
  }
  return operations;
}

function checkAgreement(run: ChaosRun): AgreementResult {
  const members = [...run.finalState.members.entries()];
  if (run.finalState.recoveryError !== '') {
    return { verdict: 'violation', detail: 'the cluster did not recover after every fault ' +
      `healed: ${run.finalState.recoveryError}` };
  }
  if (!run.finalState.converged) {
    return { verdict: 'violation', detail: 'members did not reach the same applied index ' +
      `within the deadline: ${members.map(([n, m]) => `${n}@${m.appliedIndex}`).join(', ')}` };
  }
  const distinct = new Set(members.map(([, m]) => `${m.appliedIndex}/${m.revision}/${m.hash}`));
  if (distinct.size > 1) {
    return { verdict: 'violation', detail: `members differ: ${members.map(([name, m]) =>
      `${name} index ${m.appliedIndex} revision ${m.revision} hash ${m.hash}`).join('; ')}` };
  }
  const [name, member] = members[0] ?? ['none', { appliedIndex: 0, revision: 0, hash: 0 }];
  return { verdict: 'ok', detail: `${members.length} members agree (${name}: index ` +
    `${member.appliedIndex}, revision ${member.revision}, hash ${member.hash})` };
}

/** Runs every checker (see the module comment). */
export function checkRun(run: ChaosRun): ChaosVerdicts {
  const linearizability = checkLinearizability(withFinalReads(run),
    { nowMs: () => performance.now() });
  const agreement = checkAgreement(run);
  const watches = checkWatches(run.history);
  const violated = linearizability.verdict === 'violation' ||
    agreement.verdict === 'violation' || watches.verdict === 'violation';
  return { linearizability, agreement, watches, violated };
}
