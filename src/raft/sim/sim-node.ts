/**
 * @module raft/sim/sim-node
 * One simulated peer: its disk (MemoryStorage, survives crashes), and, while it is up, its
 * RaftNode and its application state (both lost on a crash).
 *
 * ```
 *            crash()                       retire()
 *   [ up ] ----------> [ down ] ... start()     [ up | down ] ----------> [ retired ]
 *     ^                   |                     (removed from the cluster; never restarts)
 *     +------ start() ----+
 * ```
 *
 * Contract: `start()` rebuilds the RaftNode from the persisted state only, and the app from
 * the persisted snapshot only (applied index = snapshot index), exactly as a real restart
 * does. `maybeCompact` persists the snapshot BEFORE calling `RaftNode.compact` (the core's
 * documented order).
 */
import { assert } from '../../util/assert.js';
import type { RaftConfig } from '../config.js';
import { RaftNode } from '../raft.js';
import type { PersistedState } from '../raft.js';
import type { NodeId, ReadState, Snapshot } from '../types.js';
import { Role } from '../types.js';
import { SimApp } from './app.js';
import { MemoryStorage } from './storage.js';

/** CrashPoint names where in Ready processing an armed crash strikes. */
export type CrashPoint = 'before-persist' | 'after-persist' | 'after-send' | 'after-apply';

/** Every crash point, in Ready order. */
export const crashPoints: readonly CrashPoint[] = [
  'before-persist', 'after-persist', 'after-send', 'after-apply',
];

/** The largest number of read states one node keeps waiting for its apply to catch up. */
const readStatesMax = 256;

/** SimNode is one peer of the simulated cluster. */
export class SimNode {
  readonly storage: MemoryStorage;
  raft: RaftNode | null = null;
  app: SimApp | null = null;
  /** Number of times this node was started; a proposal is tied to one incarnation. */
  incarnation = 0;
  retired = false;
  /** True for a node added after bootstrap (started from joinerState). */
  readonly joiner: boolean;
  /** A crash that strikes at this point of the next Ready processed. */
  crashArmed: CrashPoint | null = null;
  /** Observed role and term (from the last Ready's soft state). */
  role: Role = Role.Follower;
  term = 0;
  /** The highest commit index already reported to the checkers in this incarnation. */
  observedCommit = 0;
  /** The node is stalled (no ticks, no message handling) while time < pausedUntil. */
  pausedUntil = -1;
  /** Ticks this node's clock advances per tick round (1 unless clocks are skewed). */
  clockRate = 1;
  /** Fractional ticks owed to this node's clock. */
  tickCredit = 0;
  /** Read states received and waiting until the app has applied their index. */
  readonly readStates: ReadState[] = [];

  /** Creates a stopped node whose disk holds `initial`. */
  constructor(readonly id: NodeId, initial: PersistedState, options: { joiner: boolean }) {
    assert(Number.isSafeInteger(id) && id > 0, 'node id must be positive');
    this.storage = new MemoryStorage(initial);
    this.joiner = options.joiner;
  }

  /** Returns true when the node is running. */
  isUp(): boolean {
    return this.raft !== null;
  }

  /** Returns true when the node is stalled at time `now`. */
  isPaused(now: number): boolean {
    return now < this.pausedUntil;
  }

  /** Starts (or restarts) the node from its disk with `config`. */
  start(config: RaftConfig): void {
    assert(!this.isUp(), 'start a node that is up');
    assert(!this.retired, 'start a retired node');
    assert(config.id === this.id, 'config id must be the node id');
    const persisted = this.storage.load();
    this.raft = new RaftNode(config, persisted);
    const snapshot = persisted.snapshot;
    this.app = snapshot === null ? new SimApp()
      : SimApp.fromSnapshot(snapshot.meta.index,
        snapshot.data.subarray(0, snapshot.data.byteLength));
    this.incarnation++;
    this.role = Role.Follower;
    this.term = persisted.hardState.term;
    this.observedCommit = snapshot?.meta.index ?? 0;
    this.crashArmed = null;
  }

  /** Crashes the node: its RaftNode and app state are lost, its disk is kept. */
  crash(): void {
    assert(this.isUp(), 'crash a node that is down');
    this.raft = null;
    this.app = null;
    this.crashArmed = null;
    this.pausedUntil = -1;
    this.readStates.length = 0;
    this.role = Role.Follower;
  }

  /** Stops the node for good (it was removed from the membership). */
  retire(): void {
    if (this.isUp()) this.crash();
    this.retired = true;
  }

  /** Returns how many times to tick this round, by the node's clock rate. */
  ticksDue(): number {
    this.tickCredit += this.clockRate;
    const ticks = Math.floor(this.tickCredit);
    this.tickCredit -= ticks;
    assert(ticks <= 2, 'clock rate above 2 ticks per round');
    return ticks;
  }

  /** Queues a read state until the app catches up; returns false when the queue is full. */
  queueReadState(readState: ReadState): boolean {
    if (this.readStates.length >= readStatesMax) return false;
    this.readStates.push(readState);
    return true;
  }

  /**
   * Takes a snapshot when `thresholdEntries` entries were applied since the last one:
   * persists it, then hands it to the core. Returns the snapshot taken, or null.
   */
  maybeCompact(thresholdEntries: number): Snapshot | null {
    const raft = this.raft;
    const app = this.app;
    assert(raft !== null && app !== null, 'compact a node that is down');
    const index = app.appliedIndex;
    if (index - this.storage.snapshotIndex() < thresholdEntries) return null;
    const term = raft.termAt(index);
    assert(term !== null, `applied index ${index} is not in the log`);
    // NB: membership() is the membership as of the applied index (changes take effect when
    // applied), and we compact exactly at the applied index, so it is the snapshot's.
    const snapshot: Snapshot = {
      meta: { index, term, membership: raft.membership() },
      data: app.encode(),
    };
    this.storage.persistCompaction(snapshot);
    raft.compact(index, snapshot.data);
    const meta = raft.snapshotMeta();
    assert(meta.index === index && meta.term === term, 'core snapshot meta differs');
    assert(sameIds(meta.membership.voters, snapshot.meta.membership.voters),
      'core snapshot voters differ from the membership at the applied index');
    return snapshot;
  }
}

function sameIds(left: readonly NodeId[], right: readonly NodeId[]): boolean {
  return left.length === right.length && left.every((id, i) => right[i] === id);
}
