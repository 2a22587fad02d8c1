/**
 * @module raft/sim/history-checker
 * The client-visible checkers: acknowledged writes and ReadIndex reads.
 *
 * Definitions (precise, because the checks are only as good as them):
 * - A write is ACKNOWLEDGED when the node it was proposed through applies the entry carrying
 *   its value, in the same incarnation of that node (no crash in between). Applied implies
 *   committed, so an acknowledged write MUST survive every later fault. The ack step is the
 *   step of that apply.
 * - A read is INVOKED at the step `readIndex` is called; it COMPLETES when its ReadState
 *   arrived and the node applied up to the read index. It is linearizable when the read
 *   index covers the first index of every write acknowledged BEFORE the invocation, and the
 *   node's state at completion contains each of those values.
 * - At the end of a run (faults healed, members converged) every live member MUST hold the
 *   same values at the same indexes, and every acknowledged value among them.
 *
 * Contract: each method throws an `InvariantViolation` at the first violation.
 */
import { InvariantViolation } from './failure.js';
import type { NodeId } from '../types.js';

/** AppView is the part of a node's application state the checks read. */
export interface AppView {
  readonly nodeId: NodeId;
  readonly appliedIndex: number;
  readonly values: ReadonlyMap<string, number>;
}

/** ReadCompletion describes one completed ReadIndex read. */
export interface ReadCompletion {
  readonly nodeId: NodeId;
  readonly requestId: number;
  /** Acknowledged writes counted when the read was invoked (its `ackCount()` then). */
  readonly ackCountAtInvoke: number;
  readonly readIndex: number;
}

/** HistoryChecker records acknowledgements and checks reads and final durability. */
export class HistoryChecker {
  /** Acknowledged values, in acknowledgement order. */
  private readonly acked: string[] = [];
  private readonly ackedSet = new Set<string>();
  /** value → the smallest index any node applied it at. */
  private readonly firstIndex = new Map<string, number>();
  /** Reads checked so far. */
  readsChecked = 0;

  /** Returns the number of acknowledged writes (the token a read keeps at invocation). */
  ackCount(): number {
    return this.acked.length;
  }

  /** Records that some node applied `value` at `index`. */
  observeApplied(value: string, index: number): void {
    const known = this.firstIndex.get(value);
    if (known === undefined || index < known) this.firstIndex.set(value, index);
  }

  /** Records the acknowledgement of `value` (it MUST have been applied somewhere). */
  observeAck(step: number, value: string): void {
    if (!this.firstIndex.has(value)) {
      throw new InvariantViolation('durability',
        `value ${value} acknowledged but never applied`, step);
    }
    if (this.ackedSet.has(value)) return;
    this.ackedSet.add(value);
    this.acked.push(value);
  }

  /** Checks one completed read against the writes acknowledged before it was invoked. */
  checkRead(step: number, read: ReadCompletion, app: AppView): void {
    this.readsChecked++;
    if (app.appliedIndex < read.readIndex) {
      throw new InvariantViolation('linearizable-read',
        `read ${read.requestId} at node ${read.nodeId} served at applied ${app.appliedIndex} ` +
        `below its read index ${read.readIndex}`, step);
    }
    for (let i = 0; i < read.ackCountAtInvoke; i++) {
      const value = this.acked[i]!;
      const index = this.firstIndex.get(value) ?? Number.MAX_SAFE_INTEGER;
      if (index > read.readIndex) {
        throw new InvariantViolation('linearizable-read',
          `read ${read.requestId} at node ${read.nodeId} has read index ${read.readIndex} but ` +
          `${value}, acknowledged before the read began, is at index ${index}`, step);
      }
      if (!app.values.has(value)) {
        throw new InvariantViolation('linearizable-read',
          `read ${read.requestId} at node ${read.nodeId} (applied ${app.appliedIndex}) does ` +
          `not see ${value}, acknowledged before the read began`, step);
      }
    }
  }

  /** Checks the converged end state of every live member (durability and agreement). */
  checkFinal(step: number, apps: readonly AppView[]): void {
    const reference = apps[0];
    if (reference === undefined) return;
    for (const value of this.acked) {
      for (const app of apps) {
        if (!app.values.has(value)) {
          throw new InvariantViolation('durability',
            `acknowledged ${value} is missing at node ${app.nodeId} ` +
            `(applied ${app.appliedIndex})`, step);
        }
      }
    }
    for (const app of apps) {
      this.checkSameState(step, reference, app);
    }
  }

  private checkSameState(step: number, reference: AppView, app: AppView): void {
    if (app.appliedIndex !== reference.appliedIndex) {
      throw new InvariantViolation('liveness',
        `node ${app.nodeId} applied ${app.appliedIndex}, node ${reference.nodeId} applied ` +
        `${reference.appliedIndex} after convergence`, step);
    }
    if (app.values.size !== reference.values.size) {
      throw new InvariantViolation('state-machine-safety',
        `node ${app.nodeId} holds ${app.values.size} values, node ${reference.nodeId} ` +
        `holds ${reference.values.size} at the same applied index`, step);
    }
    for (const [value, index] of reference.values) {
      if (app.values.get(value) !== index) {
        throw new InvariantViolation('state-machine-safety',
          `${value} is at index ${index} on node ${reference.nodeId} but at ` +
          `${String(app.values.get(value))} on node ${app.nodeId}`, step);
      }
    }
  }
}
