/**
 * @module raft/sim/simulation
 * The deterministic cluster simulation: N RaftNodes, a simulated network and disks, a
 * client, a fault injector and the checkers, all driven by one seed and one step loop.
 *
 * ```
 *   step loop (faulty phase: `steps` steps; then the healing phase, bounded in ticks)
 *     a message is due?  yes -> deliver it to its node, process that node's Readys
 *                        no  -> tick round: time+1, tick every live node, faults, client,
 *                               process every node's Readys
 *     after every step: the checkers have seen every Ready of the step (fail fast)
 *
 *   Ready processing of one node (raft/types.ts order), with crash points:
 *     observe (role, appended entries, commit) -> [before-persist] -> persist
 *     -> [after-persist] -> send -> [after-send] -> apply snapshot + committed entries
 *     -> [after-apply] -> advance -> compact (snapshot persisted first) -> complete reads
 * ```
 *
 * Contract: a run is a pure function of its `SimOptions`; it never reads a clock, and maps
 * are iterated in insertion order (nodes are created in id order).
 */
import { assert } from '../../util/assert.js';
import { silentLogger } from '../../util/logger.js';
import { SeededRandom } from '../../util/prng.js';
import { makeRaftConfig } from '../config.js';
import type { RaftConfig } from '../config.js';
import { bootstrapState, decodeConfChange, joinerState } from '../raft.js';
import { ConfChangeType, EntryType, MessageType, Role } from '../types.js';
import type { Entry, Message, NodeId, Ready } from '../types.js';
import { SimApp } from './app.js';
import { SimClient } from './client.js';
import { emptyStats } from './context.js';
import type { SimContext, SimStats } from './context.js';
import { InvariantViolation } from './failure.js';
import type { SimFailure } from './failure.js';
import { FaultInjector } from './faults.js';
import type { FaultCounts } from './faults.js';
import { HistoryChecker } from './history-checker.js';
import { SimNetwork } from './network.js';
import {
  chooseParameters, makeRunStreams, makeSimOptions, replayCommand, simLimits,
} from './options.js';
import type { RunParameters, RunStreams, SimOptions } from './options.js';
import { SafetyChecker } from './safety-checker.js';
import type { Observer } from './safety-checker.js';
import { SimNode } from './sim-node.js';
import { TraceRing } from './trace.js';
import type { TraceEvent } from './trace.js';

/** SimResult is the outcome of one run. */
export interface SimResult {
  /** The run's seed (also in `options`), first so a printed result names it. */
  readonly seed: number;
  readonly options: SimOptions;
  readonly ok: boolean;
  /** Steps executed, the healing phase included. */
  readonly steps: number;
  readonly failure?: SimFailure;
  readonly stats: SimStats;
  readonly faults: FaultCounts;
  /** The last trace events (at most `simLimits.traceEventsMax`), oldest first. */
  readonly trace: TraceEvent[];
  readonly replay: string;
}

/** Runs one simulation to completion and returns its result. */
export function runSimulation(input: SimOptions): SimResult {
  return new Simulation(makeSimOptions(input)).run();
}

/** Simulation owns every piece of one run; use `runSimulation` unless you need the parts. */
export class Simulation implements SimContext {
  readonly parameters: RunParameters;
  readonly network: SimNetwork;
  readonly history = new HistoryChecker();
  readonly safety = new SafetyChecker();
  readonly stats: SimStats = emptyStats();
  private readonly streams: RunStreams;
  private readonly client: SimClient;
  private readonly injector: FaultInjector;
  private readonly traceRing = new TraceRing(simLimits.traceEventsMax);
  private readonly byId = new Map<NodeId, SimNode>();
  private readonly allNodes: SimNode[] = [];
  private readonly confIndexesSeen = new Set<number>();
  private stepCount = 0;
  private now = 0;
  private lastLeader: NodeId = 0;

  /** Prepares a run; nothing happens until `run()`. */
  constructor(readonly options: SimOptions) {
    this.streams = makeRunStreams(options.seed);
    this.parameters = chooseParameters(this.streams.parameters, options);
    const p = this.parameters;
    this.network = new SimNetwork(this.streams.network, {
      dropProbability: p.dropProbability, duplicateProbability: p.duplicateProbability,
      delayProbability: p.delayProbability, delayTicksMax: p.delayTicksMax,
      reorderProbability: p.reorderProbability,
    }, simLimits.inflightMessagesMax);
    this.client = new SimClient(20 * p.electionTicks);
    this.injector = new FaultInjector(options.faults);
  }

  /** Runs the faulty phase, then the healing phase and the final checks. */
  run(): SimResult {
    let failure: SimFailure | undefined;
    try {
      this.bootstrap();
      while (this.stepCount < this.options.steps) this.stepOnce(true);
      this.finalPhase();
    } catch (error) {
      failure = toFailure(error, this.stepCount);
      this.trace('FAILED', `${failure.invariant}: ${failure.message}`);
    }
    return this.result(failure);
  }

  // ------------------------------------------------------------------ SimContext

  /** Returns the current step counter. */
  step(): number {
    return this.stepCount;
  }

  /** Returns the simulated time in ticks. */
  time(): number {
    return this.now;
  }

  /** Returns every node ever created, in id order. */
  nodes(): readonly SimNode[] {
    return this.allNodes;
  }

  /** Returns the nodes that are up and not retired, in id order. */
  liveNodes(): SimNode[] {
    return this.allNodes.filter((node) => node.isUp());
  }

  /** Returns the up node that leads the highest term, if any. */
  leader(): SimNode | null {
    let best: SimNode | null = null;
    for (const node of this.allNodes) {
      if (!node.isUp() || node.role !== Role.Leader) continue;
      if (best === null || node.term > best.term) best = node;
    }
    return best;
  }

  /** Creates and starts a joiner with the next free id. */
  createJoiner(): SimNode {
    const id = this.allNodes.length + 1;
    const node = this.addNode(id, { joiner: true });
    this.trace('joiner', `node ${id} created from joinerState`);
    return node;
  }

  /** Restarts a stopped node from its disk. */
  restartNode(node: SimNode): void {
    node.start(this.raftConfig(node));
    this.stats.restarts++;
    this.trace('restart', `node ${node.id} restarted (incarnation ${node.incarnation}, ` +
      `snapshot ${node.storage.snapshotIndex()}, persisted last ${node.storage.lastIndex()})`);
  }

  /** Crashes an up node now. */
  crashNode(node: SimNode, why: string): void {
    node.crash();
    this.stats.crashes++;
    this.trace('crash', `node ${node.id}: ${why}`);
    this.detectCrash(node.id);
  }

  /**
   * Plays the peers' failure detector (transport/grpc-transport, server/leader-loss): a
   * crashed process's connections close at once, so every follower with a stream to or
   * from it forgets it if it was its leader, and campaigns within a few ticks. Followers
   * cut off both ways by a partition hear nothing, as over a real network.
   */
  private detectCrash(crashed: NodeId): void {
    for (const node of this.liveNodes()) {
      const status = node.raft!.status();
      if (status.role !== Role.Follower || status.leaderId !== crashed) continue;
      if (this.network.isBlocked({ source: crashed, target: node.id }) &&
        this.network.isBlocked({ source: node.id, target: crashed })) continue;
      node.raft!.forgetLeader({ campaignWithinTicks: 3 });
      this.trace('detect', `node ${node.id} forgot its crashed leader ${crashed}`);
    }
  }

  /** Records a trace event. */
  trace(kind: string, detail: string): void {
    this.traceRing.push({ step: this.stepCount, time: this.now, kind, detail });
  }

  /** Returns an actor's random stream. */
  random(actor: 'client' | 'faults'): SeededRandom {
    return actor === 'client' ? this.streams.client : this.streams.faults;
  }

  // ------------------------------------------------------------------ the loop

  private bootstrap(): void {
    const ids = Array.from({ length: this.options.clusterSize }, (_, i) => i + 1);
    for (const id of ids) this.addNode(id, { joiner: false });
    const p = this.parameters;
    this.trace('start', `size ${ids.length} electionTicks ${p.electionTicks} heartbeat ` +
      `${p.heartbeatTicks} drop ${p.dropProbability} dup ${p.duplicateProbability} delay ` +
      `${p.delayProbability} reorder ${p.reorderProbability} compact ${p.compactionEntries} ` +
      `chunk ${p.snapshotChunkBytes} faults ${this.options.faults.join(',') || 'none'}`);
  }

  private addNode(id: NodeId, options: { joiner: boolean }): SimNode {
    assert(!this.byId.has(id), 'node ids are never reused');
    const bootstrapIds = Array.from({ length: this.options.clusterSize }, (_, i) => i + 1);
    const initial = options.joiner ? joinerState() : bootstrapState(bootstrapIds);
    const node = new SimNode(id, initial, options);
    if (this.options.faults.includes('skew')) {
      const clock = new SeededRandom(this.streams.raftSeedBase + id);
      node.clockRate = clock.pick([0.5, 0.75, 1, 1.5, 2]);
      if (node.clockRate !== 1) this.injector.counts.skew++;
    }
    this.byId.set(id, node);
    this.allNodes.push(node);
    node.start(this.raftConfig(node));
    return node;
  }

  private raftConfig(node: SimNode): RaftConfig {
    const p = this.parameters;
    const seed = this.streams.raftSeedBase + node.id * 7919 + (node.incarnation + 1) * 104_729;
    return makeRaftConfig({
      id: node.id, random: new SeededRandom(seed), logger: silentLogger,
      electionTicks: p.electionTicks, heartbeatTicks: p.heartbeatTicks,
      snapshotChunkBytes: p.snapshotChunkBytes, messageBytesMax: p.messageBytesMax,
      inflightMessagesMax: p.inflightMessagesMax,
    });
  }

  private stepOnce(faulty: boolean): void {
    this.stepCount++;
    if (this.network.hasDue(this.now)) {
      const message = this.network.takeDue(this.now);
      if (message !== null) this.deliver(message);
      return;
    }
    this.now++;
    this.stats.ticks++;
    for (const node of this.liveNodes()) {
      if (node.isPaused(this.now)) continue;
      for (let ticks = node.ticksDue(); ticks > 0 && node.isUp(); ticks--) {
        node.raft!.tick();
        this.processReadys(node);
      }
    }
    if (faulty) {
      this.injector.onTick(this);
      this.client.onTick(this);
    } else {
      this.injector.runRetirements(this, this.now);
    }
    for (const node of this.liveNodes()) this.processReadys(node);
  }

  private deliver(message: Message): void {
    const node = this.byId.get(message.to);
    if (node === undefined || !node.isUp()) {
      this.stats.messagesDropped++;
      return;
    }
    if (node.isPaused(this.now)) {
      this.network.defer(message, node.pausedUntil);
      return;
    }
    if (!node.raft!.step(message)) this.stats.messagesRejected++;
    this.processReadys(node);
  }

  // ------------------------------------------------------------------ Ready processing

  private processReadys(node: SimNode): void {
    for (let round = 0; node.isUp() && node.raft!.hasReady(); round++) {
      if (round >= simLimits.readyRoundsMax) {
        throw new InvariantViolation('liveness',
          `node ${node.id} still has a Ready after ${round} rounds (livelock)`, this.stepCount);
      }
      this.processReady(node);
    }
  }

  private processReady(node: SimNode): void {
    const raft = node.raft!;
    const ready = raft.ready();
    this.observeReady(node, ready);
    if (this.maybeCrashAt(node, 'before-persist')) return;
    node.storage.persistReady(ready);
    if (this.maybeCrashAt(node, 'after-persist')) return;
    for (const message of ready.messages) this.send(message);
    if (this.maybeCrashAt(node, 'after-send')) return;
    this.applyReady(node, ready);
    if (this.maybeCrashAt(node, 'after-apply')) return;
    raft.advance(ready);
    if (node.maybeCompact(this.parameters.compactionEntries) !== null) this.stats.compactions++;
    this.client.completeReads(this, node);
  }

  private at(node: SimNode): Observer {
    return { step: this.stepCount, nodeId: node.id };
  }

  private maybeCrashAt(node: SimNode, point: SimNode['crashArmed']): boolean {
    if (node.crashArmed !== point) return false;
    this.crashNode(node, `crashed ${String(point)} of a Ready`);
    return true;
  }

  private send(message: Message): void {
    if (message.type === MessageType.Snapshot && message.snapshot?.offset === 0) {
      this.stats.snapshotsSent++;
    }
    this.network.send(message, this.now);
  }

  private observeReady(node: SimNode, ready: Ready): void {
    const raft = node.raft!;
    this.observeSoftState(node, ready);
    if (ready.entries.length > 0) {
      const prevTerm = raft.termAt(ready.entries[0]!.index - 1);
      this.safety.observeAppended(this.at(node), ready.entries, prevTerm);
    }
    const hardState = ready.hardState;
    if (hardState !== null && hardState.commit > node.observedCommit) {
      for (let index = node.observedCommit + 1; index <= hardState.commit; index++) {
        this.safety.observeCommitted(this.at(node),
          { index, nodeTerm: hardState.term, entry: raft.entry(index) });
      }
      node.observedCommit = hardState.commit;
    }
  }

  private observeSoftState(node: SimNode, ready: Ready): void {
    const soft = ready.softState;
    const raft = node.raft!;
    const becameLeader = soft.role === Role.Leader &&
      (node.role !== Role.Leader || node.term !== soft.term);
    if (becameLeader) {
      this.safety.observeLeader(this.at(node), soft.term);
      const meta = raft.snapshotMeta();
      this.safety.checkLeaderLog({ ...this.at(node), term: soft.term }, {
        snapshotIndex: meta.index, snapshotTerm: meta.term,
        entry: (index) => raft.entry(index),
      });
      this.stats.elections++;
      if (this.lastLeader !== node.id) this.stats.leaderChanges++;
      this.lastLeader = node.id;
      this.trace('role', `node ${node.id} became leader of term ${soft.term}`);
    } else if (node.role === Role.Leader && soft.role !== Role.Leader) {
      this.trace('role', `node ${node.id} stepped down to ${soft.role} (term ${soft.term})`);
    }
    node.role = soft.role;
    node.term = soft.term;
  }

  private applyReady(node: SimNode, ready: Ready): void {
    if (ready.snapshot !== null) {
      const meta = ready.snapshot.meta;
      const data = ready.snapshot.data;
      node.app = SimApp.fromSnapshot(meta.index, data.subarray(0, data.byteLength));
      this.stats.snapshotsInstalled++;
      this.trace('snapshot', `node ${node.id} installed snapshot ${meta.index}/${meta.term}`);
      this.client.onSnapshotRestored(this, node);
    }
    for (const entry of ready.committedEntries) this.applyEntry(node, entry);
    for (const readState of ready.readStates) node.queueReadState(readState);
  }

  private applyEntry(node: SimNode, entry: Entry): void {
    const app = node.app!;
    if (entry.index !== app.appliedIndex + 1) {
      throw new InvariantViolation('ready-contract', `node ${node.id} was handed entry ` +
        `${entry.index} to apply after applied index ${app.appliedIndex}`, this.stepCount);
    }
    const outcome = app.apply(entry);
    this.safety.observeApplied(this.at(node), entry);
    if (outcome.value !== null && !outcome.fresh && !this.options.faults.includes('dup')) {
      throw new InvariantViolation('exactly-once', `node ${node.id} applied ${outcome.value} ` +
        `again at index ${entry.index} although no message was duplicated`, this.stepCount);
    }
    if (outcome.value !== null) {
      this.history.observeApplied(outcome.value, entry.index);
      if (outcome.fresh) this.client.onApplied(this, node, outcome.value);
    }
    if (entry.type === EntryType.ConfChange) this.onConfChangeApplied(entry);
  }

  private onConfChangeApplied(entry: Entry): void {
    if (this.confIndexesSeen.has(entry.index)) return;
    this.confIndexesSeen.add(entry.index);
    const change = decodeConfChange(entry.data);
    if (change === null) {
      throw new InvariantViolation('ready-contract',
        `undecodable conf change at index ${entry.index}`, this.stepCount);
    }
    this.stats.confChanges++;
    this.trace('membership', `applied ${ConfChangeType[change.type]} ${change.nodeId} at ` +
      `index ${entry.index}`);
    if (change.type === ConfChangeType.RemoveNode) {
      this.injector.scheduleRetire(this, change.nodeId);
    }
  }

  // ------------------------------------------------------------------ healing phase

  private finalPhase(): void {
    this.trace('final', 'healing every fault; checking liveness and convergence');
    this.injector.healAll(this);
    this.network.faults = {
      dropProbability: 0, duplicateProbability: 0, delayProbability: 0,
      delayTicksMax: 1, reorderProbability: 0,
    };
    const electionTicks = this.parameters.electionTicks;
    const electedBy = this.now + 20 * electionTicks;
    while (this.leader() === null) {
      if (this.now > electedBy) {
        throw new InvariantViolation('liveness', `no leader within ${20 * electionTicks} ` +
          `ticks after every fault healed`, this.stepCount);
      }
      this.stepOnce(false);
    }
    const healedAt = this.now;
    while (!this.converged()) {
      // NB: the budget is re-evaluated as we go: catching up applies a backlog, compacts,
      // and may grow the snapshot a lagging member must receive (no new writes arrive now).
      const budgetTicks = this.convergenceBudgetTicks();
      if (this.now > healedAt + budgetTicks) {
        throw new InvariantViolation('liveness', `members did not converge within ` +
          `${budgetTicks} ticks after every fault healed: ${this.lagReport()}`,
          this.stepCount);
      }
      this.stepOnce(false);
    }
    this.history.checkFinal(this.stepCount, this.members().map((node) => ({
      nodeId: node.id, appliedIndex: node.app!.appliedIndex, values: node.app!.values,
    })));
    this.trace('final', `converged at commit ${this.leader()!.raft!.status().commit}`);
  }

  /**
   * Returns the ticks members get to converge once healed: 200 election timeouts, plus four
   * ticks per chunk of the largest snapshot on any disk (the core sends one chunk per round
   * trip, and a lagging member may need a whole snapshot) for each member that may need it.
   */
  private convergenceBudgetTicks(): number {
    let snapshotBytes = 0;
    for (const node of this.allNodes) {
      const persisted = node.storage.persistedSnapshot();
      snapshotBytes = Math.max(snapshotBytes, persisted?.data.byteLength ?? 0);
    }
    const chunks = Math.ceil(snapshotBytes / this.parameters.snapshotChunkBytes);
    return 200 * this.parameters.electionTicks + 4 * chunks * this.allNodes.length;
  }

  private members(): SimNode[] {
    const leader = this.leader();
    if (leader === null) return [];
    const membership = leader.raft!.membership();
    const ids = [...membership.voters, ...membership.learners];
    return this.allNodes.filter((node) => ids.includes(node.id) && !node.retired);
  }

  private converged(): boolean {
    const leader = this.leader();
    if (leader === null) return false;
    const status = leader.raft!.status();
    if (status.commit !== status.lastIndex || status.applied !== status.commit) return false;
    if (this.members().length === 0) return false;
    return this.members().every((node) =>
      node.isUp() && node.app!.appliedIndex === status.commit &&
      node.raft!.status().commit === status.commit);
  }

  private lagReport(): string {
    const leader = this.leader();
    const commit = leader?.raft?.status().commit ?? 0;
    const lags = this.allNodes.filter((node) => !node.retired).map((node) =>
      `${node.id}:${node.isUp() ? `${node.role}/t${node.term}/applied ${node.app!.appliedIndex}`
        : 'down'}`);
    return `leader ${leader?.id ?? 'none'} commit ${commit}; ${lags.join(' ')}`;
  }

  private result(failure: SimFailure | undefined): SimResult {
    const net = this.network.stats;
    this.stats.messagesDelivered = net.delivered;
    this.stats.messagesDropped += net.dropped + net.blocked + net.overflowed;
    this.stats.messagesDuplicated = net.duplicated;
    const faults = { ...this.injector.counts, drop: net.dropped, dup: net.duplicated,
      delay: net.delayed };
    const base = {
      seed: this.options.seed, options: this.options, ok: failure === undefined,
      steps: this.stepCount,
      stats: { ...this.stats }, faults, trace: this.traceRing.list(),
      replay: replayCommand(this.options),
    };
    return failure === undefined ? base : { ...base, failure };
  }
}

function toFailure(error: unknown, step: number): SimFailure {
  if (error instanceof InvariantViolation) return error.toFailure();
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  const lines = text.split('\n').slice(0, 6).map((line) => line.trim());
  return { invariant: 'core-exception', message: lines.join(' | '), step };
}
