/**
 * @module raft/sim/context
 * The view of a running simulation that its actors (the client, the fault injector) act
 * through, and the statistics a run reports. Actors never hold nodes across steps: they look
 * them up through this context every time, because nodes crash, restart and retire.
 */
import type { SeededRandom } from '../../util/prng.js';
import type { HistoryChecker } from './history-checker.js';
import type { SimNetwork } from './network.js';
import type { RunParameters, SimOptions } from './options.js';
import type { SimNode } from './sim-node.js';

/** SimStats counts what a run did; two runs of one seed report identical stats. */
export interface SimStats {
  elections: number;
  leaderChanges: number;
  messagesDelivered: number;
  messagesDropped: number;
  messagesDuplicated: number;
  messagesRejected: number;
  partitions: number;
  crashes: number;
  restarts: number;
  confChanges: number;
  confChangesDropped: number;
  transfers: number;
  snapshotsSent: number;
  snapshotsInstalled: number;
  compactions: number;
  proposals: number;
  proposalsDropped: number;
  proposalsAcked: number;
  readsChecked: number;
  ticks: number;
}

/** Returns zeroed stats. */
export function emptyStats(): SimStats {
  return {
    elections: 0, leaderChanges: 0, messagesDelivered: 0, messagesDropped: 0,
    messagesDuplicated: 0, messagesRejected: 0, partitions: 0, crashes: 0, restarts: 0,
    confChanges: 0, confChangesDropped: 0, transfers: 0, snapshotsSent: 0,
    snapshotsInstalled: 0, compactions: 0, proposals: 0, proposalsDropped: 0,
    proposalsAcked: 0, readsChecked: 0, ticks: 0,
  };
}

/** SimContext is what actors may see and do in a running simulation. */
export interface SimContext {
  readonly options: SimOptions;
  readonly parameters: RunParameters;
  readonly network: SimNetwork;
  readonly history: HistoryChecker;
  readonly stats: SimStats;
  /** The current step counter. */
  step(): number;
  /** The current simulated time in ticks. */
  time(): number;
  /** Every node ever created (retired ones included), in id order. */
  nodes(): readonly SimNode[];
  /** Nodes that are up and not retired, in id order. */
  liveNodes(): SimNode[];
  /** The up node that believes it leads the highest term, if any. */
  leader(): SimNode | null;
  /** Creates a joiner node (started from joinerState) and starts it. */
  createJoiner(): SimNode;
  /** Starts a stopped node from its disk. */
  restartNode(node: SimNode): void;
  /** Crashes an up node now. */
  crashNode(node: SimNode, why: string): void;
  /** Records a trace event at the current step. */
  trace(kind: string, detail: string): void;
  /** Returns the random stream of `actor`. */
  random(actor: 'client' | 'faults'): SeededRandom;
}
