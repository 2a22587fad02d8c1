/**
 * @module raft/sim/client
 * The simulated client: it proposes unique values ("c<client>-<n>") and issues ReadIndex
 * reads through random live nodes (followers forward both to the leader), and it tells the
 * history checker when a write is acknowledged and when a read completes.
 *
 * Contract: a value is proposed exactly once and never retried, so a value seen twice in
 * the log can only come from the network duplicating a forwarded proposal. A pending
 * operation is tied to one incarnation of one node: when that node crashes, the operation
 * becomes indeterminate and is forgotten (its value may still be applied). Pending maps are
 * bounded; at the bound the client waits. Operations older than `pendingTicksMax` are
 * forgotten as indeterminate too (their clients would have timed out).
 */
import { assert } from '../../util/assert.js';
import type { SeededRandom } from '../../util/prng.js';
import { Role } from '../types.js';
import type { NodeId } from '../types.js';
import { encodeValue } from './app.js';
import type { SimContext } from './context.js';
import { simLimits } from './options.js';
import type { SimNode } from './sim-node.js';

interface PendingOperation {
  readonly nodeId: NodeId;
  readonly incarnation: number;
  readonly time: number;
}

interface PendingRead extends PendingOperation {
  readonly ackCountAtInvoke: number;
}

/** The number of distinct client ids values are spread over (for readable traces). */
const clientIdsMax = 3;

/** SimClient drives the workload of one run. */
export class SimClient {
  private nextSequence = 1;
  private nextRequestId = 1;
  private readonly pendingWrites = new Map<string, PendingOperation>();
  private readonly pendingReads = new Map<number, PendingRead>();

  /** Creates a client whose operations are forgotten after `pendingTicksMax` ticks. */
  constructor(private readonly pendingTicksMax: number) {
    assert(pendingTicksMax >= 1, 'pendingTicksMax must be positive');
  }

  /** Runs once per tick round: maybe proposes, maybe reads, forgets stale operations. */
  onTick(context: SimContext): void {
    const random = context.random('client');
    this.expire(context.time());
    const live = context.liveNodes().filter((node) =>
      (!node.joiner || node.term > 0) && !node.isPaused(context.time()));
    if (live.length === 0) return;
    if (random.chance(context.parameters.proposeProbability) &&
      this.pendingWrites.size < simLimits.pendingProposalsMax) {
      this.propose(context, pickTarget(random, live));
    }
    if (random.chance(context.parameters.readProbability) &&
      this.pendingReads.size < simLimits.pendingReadsMax) {
      this.read(context, pickTarget(random, live));
    }
  }

  /** Called when `node` applied a fresh `value`: acknowledges the write if it was ours. */
  onApplied(context: SimContext, node: SimNode, value: string): void {
    const pending = this.pendingWrites.get(value);
    if (pending === undefined || pending.nodeId !== node.id) return;
    if (pending.incarnation !== node.incarnation) return;
    this.pendingWrites.delete(value);
    context.history.observeAck(context.step(), value);
    context.stats.proposalsAcked++;
  }

  /**
   * Called after `node` restored a snapshot: writes proposed through it that the snapshot
   * contains were applied there, so they are acknowledged too.
   */
  onSnapshotRestored(context: SimContext, node: SimNode): void {
    const app = node.app;
    assert(app !== null, 'snapshot restored on a node that is down');
    for (const [value, pending] of [...this.pendingWrites]) {
      if (pending.nodeId !== node.id || pending.incarnation !== node.incarnation) continue;
      if (app.values.has(value)) this.onApplied(context, node, value);
    }
  }

  /** Completes the reads of `node` whose index its app has applied, checking each one. */
  completeReads(context: SimContext, node: SimNode): void {
    const app = node.app;
    if (app === null || node.readStates.length === 0) return;
    const waiting = node.readStates.filter((state) => state.index > app.appliedIndex);
    const ready = node.readStates.filter((state) => state.index <= app.appliedIndex);
    node.readStates.length = 0;
    node.readStates.push(...waiting);
    for (const state of ready) {
      const pending = this.pendingReads.get(state.requestId);
      if (pending === undefined || pending.nodeId !== node.id) continue;
      if (pending.incarnation !== node.incarnation) continue;
      this.pendingReads.delete(state.requestId);
      context.history.checkRead(context.step(), {
        nodeId: node.id, requestId: state.requestId,
        ackCountAtInvoke: pending.ackCountAtInvoke, readIndex: state.index,
      }, { nodeId: node.id, appliedIndex: app.appliedIndex, values: app.values });
      context.stats.readsChecked++;
    }
  }

  /** Returns the number of operations still waiting for their outcome. */
  pendingCount(): number {
    return this.pendingWrites.size + this.pendingReads.size;
  }

  private propose(context: SimContext, node: SimNode): void {
    const raft = node.raft;
    assert(raft !== null, 'propose through a node that is down');
    const clientId = 1 + (this.nextSequence % clientIdsMax);
    const value = `c${clientId}-${this.nextSequence++}`;
    const result = raft.propose(encodeValue(value));
    context.stats.proposals++;
    if (result.kind === 'dropped') {
      context.stats.proposalsDropped++;
      return;
    }
    this.pendingWrites.set(value, {
      nodeId: node.id, incarnation: node.incarnation, time: context.time(),
    });
  }

  private read(context: SimContext, node: SimNode): void {
    const raft = node.raft;
    assert(raft !== null, 'read through a node that is down');
    const requestId = this.nextRequestId++;
    const result = raft.readIndex(requestId);
    if (result.kind === 'dropped') return;
    this.pendingReads.set(requestId, {
      nodeId: node.id, incarnation: node.incarnation, time: context.time(),
      ackCountAtInvoke: context.history.ackCount(),
    });
  }

  private expire(now: number): void {
    for (const [value, pending] of this.pendingWrites) {
      if (now - pending.time > this.pendingTicksMax) this.pendingWrites.delete(value);
    }
    for (const [requestId, pending] of this.pendingReads) {
      if (now - pending.time > this.pendingTicksMax) this.pendingReads.delete(requestId);
    }
  }
}

/**
 * Picks the node an operation goes through: half the time a node that believes it leads
 * (possibly a deposed leader that has not noticed yet, which is where stale reads hide),
 * otherwise any live node.
 */
function pickTarget(random: SeededRandom, live: readonly SimNode[]): SimNode {
  const leaders = live.filter((node) => node.role === Role.Leader);
  if (leaders.length > 0 && random.chance(0.5)) return random.pick(leaders);
  return random.pick(live);
}
