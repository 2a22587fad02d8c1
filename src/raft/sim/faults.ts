/**
 * @module raft/sim/faults
 * The fault injector: once per tick round it may form or heal a partition, crash or restart
 * a node (immediately, or armed at a crash point of its next Ready), reconcile the
 * membership towards "one more joiner, then one voter fewer", and transfer leadership.
 *
 * Partitions (one at a time, each healing after a random duration):
 * - split: the nodes fall into two non-empty groups that cannot talk to each other;
 * - isolate: one node (or, as `isolate-leader`, the current leader) is cut off both ways;
 * - oneway: one node can still send but no longer receive, or the reverse, or a single
 *   directed link is cut (A reaches B, B no longer reaches A).
 *
 * Contract: at most a minority of the initial cluster size is down at once, so that the
 * workload keeps making progress, except for an occasional power cut that crashes every
 * node at once (each restarts from its disk alone); safety is checked whatever happens, and
 * the final phase restarts everybody. `healAll` ends every fault for the final (liveness) phase.
 */
import { assert } from '../../util/assert.js';
import type { SeededRandom } from '../../util/prng.js';
import { ConfChangeType, Role } from '../types.js';
import type { ConfChange, NodeId } from '../types.js';
import type { SimContext } from './context.js';
import { simLimits } from './options.js';
import type { FaultKind } from './options.js';
import { crashPoints } from './sim-node.js';
import type { SimNode } from './sim-node.js';

/** FaultCounts totals the faults injected by kind, for campaign summaries. */
export type FaultCounts = Record<FaultKind, number>;

/** Returns zeroed fault counts. */
export function emptyFaultCounts(): FaultCounts {
  return { drop: 0, dup: 0, delay: 0, partition: 0, oneway: 0, crash: 0, membership: 0,
    transfer: 0, skew: 0, pause: 0 };
}

/** FaultInjector injects the structural faults of one run. */
export class FaultInjector {
  readonly counts: FaultCounts = emptyFaultCounts();
  private healAt = -1;
  private readonly restartAt = new Map<NodeId, number>();
  private readonly retireAt = new Map<NodeId, number>();
  private joinersCreated = 0;

  /** Creates an injector for the enabled fault kinds. */
  constructor(private readonly enabled: readonly FaultKind[]) {}

  /** Runs once per tick round, after the nodes ticked. */
  onTick(context: SimContext): void {
    const random = context.random('faults');
    const now = context.time();
    this.runDeadlines(context, now);
    const p = context.parameters.faultProbability;
    if (this.has('partition') && this.healAt < 0 && random.chance(p)) this.partition(context);
    if (this.has('oneway') && this.healAt < 0 && random.chance(p)) this.oneway(context);
    if (this.has('crash') && random.chance(p)) this.crash(context, random);
    if (this.has('membership') && random.chance(p * 2)) this.reconcileMembership(context);
    if (this.has('transfer') && random.chance(p)) this.transfer(context, random);
    if (this.has('pause') && random.chance(p)) this.pause(context, random);
  }

  /** Schedules the retirement of a node whose removal was applied. */
  scheduleRetire(context: SimContext, nodeId: NodeId): void {
    if (this.retireAt.has(nodeId)) return;
    this.retireAt.set(nodeId, context.time() + 2 * context.parameters.electionTicks);
  }

  /** Ends every fault: heals the network and restarts every stopped member. */
  healAll(context: SimContext): void {
    if (context.network.partitioned()) context.trace('heal', 'final heal of the network');
    context.network.heal();
    this.healAt = -1;
    for (const node of context.nodes()) {
      node.crashArmed = null;
      node.pausedUntil = -1;
      if (!node.retired && !node.isUp()) context.restartNode(node);
    }
    this.restartAt.clear();
  }

  /** Runs deadlines due at `now` (retirements only, in the final phase). */
  runRetirements(context: SimContext, now: number): void {
    for (const [nodeId, at] of [...this.retireAt]) {
      if (at > now) continue;
      this.retireAt.delete(nodeId);
      const node = context.nodes().find((candidate) => candidate.id === nodeId);
      if (node === undefined || node.retired) continue;
      node.retire();
      context.network.purgeTo(nodeId);
      context.trace('retire', `node ${nodeId} retired (removed from the membership)`);
    }
  }

  private has(kind: FaultKind): boolean {
    return this.enabled.includes(kind);
  }

  private runDeadlines(context: SimContext, now: number): void {
    if (this.healAt >= 0 && now >= this.healAt) {
      context.network.heal();
      this.healAt = -1;
      context.trace('heal', 'partition healed');
    }
    for (const [nodeId, at] of [...this.restartAt]) {
      if (at > now) continue;
      this.restartAt.delete(nodeId);
      const node = context.nodes().find((candidate) => candidate.id === nodeId);
      if (node !== undefined && !node.retired && !node.isUp()) context.restartNode(node);
    }
    this.runRetirements(context, now);
  }

  private partition(context: SimContext): void {
    const random = context.random('faults');
    const ids = context.nodes().filter((node) => !node.retired).map((node) => node.id);
    if (ids.length < 2) return;
    const leader = context.leader();
    const shape = random.pick(['split', 'isolate', 'isolate-leader'] as const);
    let groupA: NodeId[];
    if (shape === 'split') {
      const shuffled = shuffle(random, ids);
      groupA = shuffled.slice(0, 1 + random.int(ids.length - 1));
    } else if (shape === 'isolate-leader' && leader !== null) {
      groupA = [leader.id];
    } else {
      groupA = [random.pick(ids)];
    }
    const groupB = ids.filter((id) => !groupA.includes(id));
    for (const source of groupA) {
      for (const target of groupB) {
        context.network.block({ source, target });
        context.network.block({ source: target, target: source });
      }
    }
    this.startPartition(context, `${shape} [${groupA.join(',')}] | [${groupB.join(',')}]`);
    this.counts.partition++;
  }

  private oneway(context: SimContext): void {
    const random = context.random('faults');
    const ids = context.nodes().filter((node) => !node.retired).map((node) => node.id);
    if (ids.length < 2) return;
    const node = random.pick(ids);
    const others = ids.filter((id) => id !== node);
    const shape = random.pick(['deaf', 'mute', 'link'] as const);
    if (shape === 'link') {
      const other = random.pick(others);
      context.network.block({ source: other, target: node });
      this.startPartition(context, `oneway link: ${node} -> ${other} only (not back)`);
    } else {
      for (const other of others) {
        if (shape === 'deaf') context.network.block({ source: other, target: node });
        else context.network.block({ source: node, target: other });
      }
      this.startPartition(context, `oneway: node ${node} is ${shape}`);
    }
    this.counts.oneway++;
  }

  private startPartition(context: SimContext, detail: string): void {
    const random = context.random('faults');
    const electionTicks = context.parameters.electionTicks;
    this.healAt = context.time() + electionTicks + random.int(10 * electionTicks);
    context.stats.partitions++;
    context.trace('partition', `${detail} until t=${this.healAt}`);
  }

  private crash(context: SimContext, random: SeededRandom): void {
    const down = context.nodes().filter((node) => !node.retired && !node.isUp()).length;
    const armed = context.nodes().filter((node) => node.crashArmed !== null).length;
    if (down + armed === 0 && random.chance(0.1)) {
      this.crashAll(context, random);
      return;
    }
    if (down + armed >= Math.floor((context.options.clusterSize - 1) / 2)) return;
    const candidates = context.liveNodes().filter((node) => node.crashArmed === null);
    if (candidates.length === 0) return;
    const node = random.pick(candidates);
    const restartDelay = 1 + random.int(6 * context.parameters.electionTicks);
    this.restartAt.set(node.id, context.time() + restartDelay);
    this.counts.crash++;
    if (random.chance(0.5)) {
      context.crashNode(node, 'crash between steps');
    } else {
      node.crashArmed = random.pick(crashPoints);
      context.trace('crash', `node ${node.id} armed to crash ${node.crashArmed} of its next Ready`);
    }
  }

  /** Crashes every live node at once (a power cut): only the disks carry the cluster on. */
  private crashAll(context: SimContext, random: SeededRandom): void {
    const electionTicks = context.parameters.electionTicks;
    for (const node of context.liveNodes()) {
      this.restartAt.set(node.id, context.time() + 1 + random.int(4 * electionTicks));
      context.crashNode(node, 'power cut: the whole cluster crashes');
      this.counts.crash++;
    }
  }

  /** Stalls a node (the leader half the time) for up to three election timeouts. */
  private pause(context: SimContext, random: SeededRandom): void {
    const now = context.time();
    const candidates = context.liveNodes().filter((node) => !node.isPaused(now));
    if (candidates.length === 0) return;
    const leader = context.leader();
    const node = leader !== null && !leader.isPaused(now) && random.chance(0.5) ? leader
      : random.pick(candidates);
    node.pausedUntil = now + 1 + random.int(3 * context.parameters.electionTicks);
    this.counts.pause++;
    context.trace('pause', `node ${node.id} (${node.role}) paused until t=${node.pausedUntil}`);
  }

  private reconcileMembership(context: SimContext): void {
    const leader = context.leader();
    const raft = leader?.raft;
    if (leader === null || raft === null || raft === undefined) return;
    const membership = raft.membership();
    const joiner = context.nodes().find((node) =>
      node.joiner && !node.retired && !membership.voters.includes(node.id) &&
      !this.retireAt.has(node.id));
    if (joiner !== undefined) {
      if (!membership.learners.includes(joiner.id)) {
        this.proposeChange(context, leader, ConfChangeType.AddLearner, joiner.id);
      } else if ((raft.status().progress.get(joiner.id)?.match ?? 0) >= raft.status().commit) {
        this.proposeChange(context, leader, ConfChangeType.PromoteLearner, joiner.id);
      }
      return;
    }
    if (membership.voters.length > context.options.clusterSize) {
      const random = context.random('faults');
      const others = membership.voters.filter((id) => id !== leader.id);
      const target = random.chance(0.3) ? leader.id : random.pick(others);
      this.proposeChange(context, leader, ConfChangeType.RemoveNode, target);
    } else if (this.joinersCreated < simLimits.joinersMax) {
      this.joinersCreated++;
      const node = context.createJoiner();
      this.proposeChange(context, leader, ConfChangeType.AddLearner, node.id);
    }
  }

  private proposeChange(context: SimContext, leader: SimNode, type: ConfChangeType,
    nodeId: NodeId): void {
    const raft = leader.raft;
    assert(raft !== null && leader.role === Role.Leader, 'conf change through a non-leader');
    const change: ConfChange = { type, nodeId, context: new Uint8Array(0) };
    const result = raft.proposeConfChange(change);
    const name = ConfChangeType[type];
    if (result.kind === 'dropped') {
      context.stats.confChangesDropped++;
      context.trace('membership', `${name} ${nodeId} via ${leader.id} dropped: ${result.reason}`);
      return;
    }
    this.counts.membership++;
    context.trace('membership', `${name} ${nodeId} proposed via ${leader.id}: ${result.kind}`);
  }

  private transfer(context: SimContext, random: SeededRandom): void {
    const leader = context.leader();
    const raft = leader?.raft;
    if (leader === null || raft === null || raft === undefined) return;
    const targets = raft.membership().voters.filter((id) => id !== leader.id);
    if (targets.length === 0) return;
    const target = random.pick(targets);
    const responsive = context.liveNodes().filter((node) => !node.isPaused(context.time()));
    if (responsive.length === 0) return;
    const via = random.pick(responsive);
    const result = via.raft!.transferLeadership(target);
    this.counts.transfer++;
    context.stats.transfers++;
    context.trace('transfer', `to ${target} via node ${via.id} (leader ${leader.id}): ` +
      `${result.kind === 'dropped' ? result.reason : result.kind}`);
  }
}

function shuffle<T>(random: SeededRandom, items: readonly T[]): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const swap = result[i]!;
    result[i] = result[j]!;
    result[j] = swap;
  }
  return result;
}
