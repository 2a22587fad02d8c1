/**
 * @module raft/sim/safety-checker
 * The Raft safety checkers (Raft paper Figure 3), fed incrementally by the simulator:
 *
 * - Election Safety: every (term → leader) ever observed is remembered; a second leader in a
 *   term is a violation.
 * - Log Matching: every entry any node ever persisted is recorded under (index, term) with
 *   its identity and the term of its predecessor. A different entry, or a different
 *   predecessor term, under the same (index, term) is a violation; by induction over the
 *   predecessor terms this proves that equal (index, term) means equal prefixes. Committed
 *   entries are also recorded in one reference log (index → entry) that every node's commits
 *   must agree with.
 * - Leader Completeness: when a node becomes leader of term T, it MUST hold (or cover with
 *   its snapshot) every entry known to be committed in a term below T. The commit term of an
 *   index is the smallest current term of any node seen holding it committed, an upper bound
 *   of the real commit term, so the check never fires on a correct history.
 * - State Machine Safety: the first entry applied at each index, by any node, is remembered;
 *   another node applying a different entry there is a violation.
 *
 * Contract: each method throws an `InvariantViolation` at the first violation and is
 * O(entries observed), except `checkLeaderLog`, O(committed entries) once per election.
 */
import { entryKey } from './app.js';
import { InvariantViolation } from './failure.js';
import type { Entry, NodeId } from '../types.js';

interface SeenEntry {
  readonly key: string;
  /** Term of the entry before it; null when the observer had it compacted. */
  prevTerm: number | null;
  readonly nodeId: NodeId;
}

interface CommittedEntry {
  readonly term: number;
  readonly key: string;
  commitTerm: number;
  readonly nodeId: NodeId;
}

/** Observer names who observed something, and when: the step and the observing node. */
export interface Observer {
  readonly step: number;
  readonly nodeId: NodeId;
}

/** LeaderLogView is what the completeness check needs of a new leader's log. */
export interface LeaderLogView {
  readonly snapshotIndex: number;
  readonly snapshotTerm: number;
  entry(index: number): Entry | null;
}

/** SafetyChecker accumulates the history of a run and checks Raft's safety properties. */
export class SafetyChecker {
  /** term → leader, for every leader ever observed. */
  private readonly leaders = new Map<number, NodeId>();
  /** index → term → the entry seen there. */
  private readonly seen = new Map<number, Map<number, SeenEntry>>();
  /** index → the committed entry there. */
  private readonly committed = new Map<number, CommittedEntry>();
  /** index → key of the first entry applied there, with the node that applied it. */
  private readonly applied = new Map<number, { key: string; nodeId: NodeId }>();

  /** Returns the number of distinct terms that had a leader. */
  leaderTerms(): number {
    return this.leaders.size;
  }

  /** Returns the highest index known to be committed (0 when none). */
  committedCount(): number {
    return this.committed.size;
  }

  /** Records that `nodeId` is leader of `term` (Election Safety). */
  observeLeader(at: Observer, term: number): void {
    const known = this.leaders.get(term);
    if (known === undefined) {
      this.leaders.set(term, at.nodeId);
      return;
    }
    if (known !== at.nodeId) {
      throw new InvariantViolation('election-safety',
        `two leaders in term ${term}: node ${known} and node ${at.nodeId}`, at.step);
    }
  }

  /**
   * Records entries a node appended to its log (Log Matching); `prevTerm` is the term of
   * the entry before `entries[0]` in that node's log, null when unknown.
   */
  observeAppended(at: Observer, entries: readonly Entry[], prevTerm: number | null): void {
    let previous = prevTerm;
    for (const entry of entries) {
      this.observeOne(at, entry, previous);
      previous = entry.term;
    }
  }

  /**
   * Records that `nodeId`, at its current term `nodeTerm`, holds `entry` as committed; with
   * `entry` null (compacted at that node) only the commit term of a known index is updated.
   */
  observeCommitted(at: Observer,
    commit: { index: number; nodeTerm: number; entry: Entry | null }): void {
    const { step, nodeId } = at;
    const known = this.committed.get(commit.index);
    if (commit.entry === null) {
      if (known !== undefined) known.commitTerm = Math.min(known.commitTerm, commit.nodeTerm);
      return;
    }
    const key = entryKey(commit.entry);
    if (known === undefined) {
      this.committed.set(commit.index, {
        term: commit.entry.term, key, commitTerm: commit.nodeTerm, nodeId,
      });
      return;
    }
    if (known.key !== key) {
      throw new InvariantViolation('log-matching',
        `committed entries differ at index ${commit.index}: node ${known.nodeId} has ` +
        `${known.key}, node ${nodeId} has ${key}`, step);
    }
    known.commitTerm = Math.min(known.commitTerm, commit.nodeTerm);
  }

  /** Checks that a new leader of `term` holds every entry committed before `term`. */
  checkLeaderLog(leader: Observer & { term: number }, log: LeaderLogView): void {
    const step = leader.step;
    for (const [index, committed] of this.committed) {
      if (committed.commitTerm >= leader.term || index < log.snapshotIndex) continue;
      if (index === log.snapshotIndex) {
        if (log.snapshotTerm === committed.term) continue;
        throw new InvariantViolation('leader-completeness',
          `leader ${leader.nodeId} of term ${leader.term} has a snapshot at ${index} with ` +
          `term ${log.snapshotTerm}, committed term is ${committed.term}`, step);
      }
      const entry = log.entry(index);
      const key = entry === null ? 'nothing' : entryKey(entry);
      if (key !== committed.key) {
        throw new InvariantViolation('leader-completeness',
          `leader ${leader.nodeId} of term ${leader.term} has ${key} at index ${index}, ` +
          `committed (by term ${committed.commitTerm}) was ${committed.key}`, step);
      }
    }
  }

  /** Records that `nodeId` applied `entry` (State Machine Safety). */
  observeApplied(at: Observer, entry: Entry): void {
    const { step, nodeId } = at;
    const key = entryKey(entry);
    const known = this.applied.get(entry.index);
    if (known === undefined) {
      this.applied.set(entry.index, { key, nodeId });
    } else if (known.key !== key) {
      throw new InvariantViolation('state-machine-safety',
        `index ${entry.index} applied as ${known.key} by node ${known.nodeId} but as ${key} ` +
        `by node ${nodeId}`, step);
    }
    const committed = this.committed.get(entry.index);
    if (committed !== undefined && committed.key !== key) {
      throw new InvariantViolation('state-machine-safety',
        `node ${nodeId} applied ${key} at index ${entry.index}, committed was ` +
        `${committed.key}`, step);
    }
  }

  private observeOne(at: Observer, entry: Entry, prevTerm: number | null): void {
    const { step, nodeId } = at;
    let byTerm = this.seen.get(entry.index);
    if (byTerm === undefined) {
      byTerm = new Map();
      this.seen.set(entry.index, byTerm);
    }
    const key = entryKey(entry);
    const known = byTerm.get(entry.term);
    if (known === undefined) {
      byTerm.set(entry.term, { key, prevTerm, nodeId });
      return;
    }
    if (known.key !== key) {
      throw new InvariantViolation('log-matching',
        `(index ${entry.index}, term ${entry.term}) is ${known.key} at node ${known.nodeId} ` +
        `but ${key} at node ${nodeId}`, step);
    }
    if (known.prevTerm === null) {
      known.prevTerm = prevTerm;
    } else if (prevTerm !== null && known.prevTerm !== prevTerm) {
      throw new InvariantViolation('log-matching',
        `(index ${entry.index}, term ${entry.term}) follows term ${known.prevTerm} at node ` +
        `${known.nodeId} but term ${prevTerm} at node ${nodeId}`, step);
    }
  }
}
