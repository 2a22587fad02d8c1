/**
 * @module raft/sim/failure
 * The vocabulary of simulation failures: which invariant broke, where, and why. Checkers
 * throw an `InvariantViolation` the moment they see a violation (fail fast); the simulator
 * catches it at the end of the step and turns it into the run's `SimFailure`.
 */

/**
 * Invariant names one checked property (shared/DESIGN.md §3):
 * - election-safety: at most one leader per term;
 * - log-matching: same (index, term) means same entry and same prefix; committed entries
 *   agree across nodes;
 * - leader-completeness: a leader holds every entry committed in an earlier term;
 * - state-machine-safety: no two nodes apply different entries at one index;
 * - durability: every acknowledged write survives and is applied by every live member;
 * - exactly-once: without network duplication, no value is ever applied twice (the client
 *   never retries, so a second copy means the core appended one proposal twice);
 * - linearizable-read: a ReadIndex read sees every write acknowledged before it began;
 * - liveness: after faults heal a leader emerges and the members converge in bounded time;
 * - ready-contract: the core broke a Ready rule (gap in entries, apply out of order, ...);
 * - core-exception: the core threw (an assertion of its own, or a crash on bad input).
 */
export type Invariant =
  | 'election-safety'
  | 'log-matching'
  | 'leader-completeness'
  | 'state-machine-safety'
  | 'durability'
  | 'exactly-once'
  | 'linearizable-read'
  | 'liveness'
  | 'ready-contract'
  | 'core-exception';

/** SimFailure describes the first violation of a run. */
export interface SimFailure {
  readonly invariant: Invariant;
  readonly message: string;
  readonly step: number;
}

/** InvariantViolation is thrown by a checker to stop the run at the violating step. */
export class InvariantViolation extends Error {
  /** Creates the violation of `invariant` observed at `step`. */
  constructor(
    readonly invariant: Invariant,
    message: string,
    readonly step: number,
  ) {
    super(`${invariant} violated at step ${step}: ${message}`);
    this.name = 'InvariantViolation';
  }

  /** Returns the plain-data form stored in a run result. */
  toFailure(): SimFailure {
    return { invariant: this.invariant, message: this.message, step: this.step };
  }
}
