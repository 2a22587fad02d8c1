/**
 * @module server/peer
 * The IO shell around the Raft core: ONE async loop owns the RaftNode and runs the Ready
 * contract (shared/STYLE.md §2): persist (fsync), then send, then apply, then advance.
 *
 * ```
 *  transport ──► inbox ─┐                      ┌─► storage.writeReady (ONE synced append)
 *  clients ──► proposals ├─► loop: step/tick/propose ─► ready() ─┼─► transport.send
 *  timer ──► ticks ─────┘                      └─► state machine (in memory)
 * ```
 * Inputs arriving while the loop awaits the disk wait in bounded queues and are stepped
 * together before the next Ready, so one fsync covers all of them (group commit). No
 * client is answered before its entry is committed on a quorum and applied here.
 *
 * The state machine is not written per Ready: it is rebuilt on restart from the last
 * snapshot plus the durable log after it (snapshots are taken every `snapshotEntries`
 * applied entries, so a restart re-applies at most that many). Writing every applied row
 * to LevelDB as well cost a fifth of the put throughput (measured: 64 in flight 4,300 →
 * 5,300/s without it) and made nothing more durable: the log is the durable record.
 */
import { RaftNode } from '../raft/raft.js';
import type { PersistedState, RaftStatus } from '../raft/raft.js';
import { makeRaftConfig } from '../raft/config.js';
import { ConfChangeType, DropReason, MessageType, Role } from '../raft/types.js';
import type { ConfChange, Message, NodeId, Ready, SnapshotData } from '../raft/types.js';
import { StorageError } from '../storage/errors.js';
import type { ValueStore } from '../store/value-store.js';
import { closeSnapshotData } from '../storage/raft-storage.js';
import type { RaftStorage, LoadedState } from '../storage/raft-storage.js';
import type { Logger } from '../util/logger.js';
import { SeededRandom } from '../util/prng.js';
import { SlabCopier } from '../util/slab.js';
import { encodeCommand } from './command-codec.js';
import type { ReplicatedOp } from './command-codec.js';
import { etcdError } from './etcd-api/errors.js';
import type { EtcdError } from './etcd-api/errors.js';
import { LeaderLoss } from './leader-loss.js';
import { ReadBarrier } from './read-barrier.js';
import { StateMachine } from './state-machine.js';

/** PeerTransport is the part of the transport the loop uses. */
export interface PeerTransport {
  send(messages: readonly Message[]): void;
  setPeer(id: NodeId, address: string): void;
  removePeer(id: NodeId): void;
}

/** PeerOptions configure the loop; every queue is bounded. */
export interface PeerOptions {
  readonly memberId: NodeId;
  readonly storage: RaftStorage;
  readonly transport: PeerTransport;
  readonly logger: Logger;
  /** Tick length in ms (default 100); election timeout = electionTicks ticks. */
  readonly tickMs: number;
  readonly electionTicks: number;
  /** Take a snapshot and compact the log every this many applied entries (default 10,000). */
  readonly snapshotEntries: number;
  /** How long a client request waits before "request timed out" (default 7,000 ms). */
  readonly requestTimeoutMs: number;
  /** Proposals waiting for apply at most (default 10,000); beyond: "too many requests". */
  readonly proposalsPendingMax: number;
  /** Messages waiting in the inbox at most (default 100,000); beyond: dropped. */
  readonly inboxMessagesMax: number;
  /** Where the store keeps its values (storage/value-file); default: in memory. */
  readonly values?: ValueStore;
  /** Called after each applied batch and role change (for controllers, status, leases). */
  readonly onStateChange?: () => void;
  /**
   * DEBUG ONLY (proves the chaos checker bites): send, apply and answer BEFORE the disk
   * write, which is deferred by a second, like a write-back cache that was never flushed.
   * A power cut then loses acknowledged writes. Never set in production.
   */
  readonly unsafeAckBeforeFsync?: boolean;
}

interface PendingProposal {
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: EtcdError) => void;
  readonly timer: NodeJS.Timeout;
  /** The term in which it was handed to Raft (0 while still queued). */
  term: number;
}

/**
 * Ticks within which a survivor campaigns, once its turn came, after the transport reported
 * its leader's stream broken (forgetLeader's `campaignWithinTicks`), and ticks between two
 * survivors' turns (server/leader-loss). Measured on 10 clusters × 4 kill -9 failovers
 * (kill to first successful put): 1 tick, median 105 ms, max 307 ms; 2 ticks, median 163
 * ms. A longer wait would give a live leader whose every connection was reset at once
 * (not a death) more time to be heard again before the survivors elect another one.
 */
export const forgetLeaderCampaignTicks = 1;
const forgetLeaderStaggerTicks = forgetLeaderCampaignTicks + 1;

/** Entries kept behind a snapshot at most (etcd's SnapshotCatchUpEntries). */
export const snapshotCatchUpEntriesMax = 5000;

/** Messages only a leader sends, which never depend on its own pending write. */
const leaderOnlyTypes: ReadonlySet<MessageType> = new Set([
  MessageType.Append, MessageType.Heartbeat, MessageType.Snapshot,
]);

/** Most leadership transfers waiting for the loop (each is one MoveLeader call). */
const transferQueueMax = 64;

function dropError(reason: DropReason): EtcdError {
  switch (reason) {
    case DropReason.NoLeader: return etcdError('ETCD_ERR_NO_LEADER');
    case DropReason.TransferInProgress: return etcdError('ETCD_ERR_LEADER_CHANGED');
    case DropReason.TooManyUncommitted: return etcdError('ETCD_ERR_TOO_MANY_REQUESTS');
    case DropReason.ConfChangePending:
      return etcdError('ETCD_ERR_UNHEALTHY', { detail: 'a membership change is in progress' });
    case DropReason.InvalidConfChange: return etcdError('ETCD_ERR_MEMBER_NOT_FOUND');
    case DropReason.Removed: return etcdError('ETCD_ERR_STOPPED');
    case DropReason.Invalid: return etcdError('ETCD_ERR_MALFORMED_REQUEST');
    case DropReason.InvalidTransferTarget: return etcdError('ETCD_ERR_BAD_LEADER_TRANSFEREE');
  }
}

/**
 * Commit-only hard-state changes are not written, so the persisted commit index may trail
 * the applied index; everything applied was committed, so the applied index is a safe
 * floor (capped at the last persisted entry).
 */
function withCommitAtLeast(persisted: PersistedState, appliedIndex: number): PersistedState {
  const lastIndex = persisted.entries.at(-1)?.index ?? persisted.snapshot?.meta.index ?? 0;
  const commit = Math.min(Math.max(persisted.hardState.commit, appliedIndex), lastIndex);
  if (commit <= persisted.hardState.commit) return persisted;
  return { ...persisted, hardState: { ...persisted.hardState, commit } };
}

/** Peer runs one control-plane peer's Raft loop (see the module comment). */
export class Peer {
  readonly raft: RaftNode;
  readonly stateMachine: StateMachine;
  readonly reads: ReadBarrier;
  private readonly inbox: Message[] = [];
  private readonly proposalQueue: Array<{ requestId: number; data: Uint8Array;
    conf: ConfChange | null }> = [];
  private readonly pending = new Map<number, PendingProposal>();
  /**
   * Leadership transfers asked for by the API, handed to Raft by the loop between Readies
   * (the core refuses calls while a Ready is out, and the loop awaits the disk then).
   */
  private readonly transferQueue: Array<{ target: NodeId;
    done: (result: ReturnType<RaftNode['transferLeadership']>) => void }> = [];
  /** Where proposed entries' data is copied (util/slab). */
  private readonly entrySlabs = new SlabCopier();
  private requestIdNext = 1;
  private pendingTicks = 0;
  /** Reports of unreachable peers, turned into forgetLeader by the loop. */
  private readonly leaderLoss: LeaderLoss;
  private wake: (() => void) | null = null;
  /** True while a snapshot's disk write is in flight (one at a time). */
  private snapshotInFlight = false;
  /** A snapshot now on disk whose in-memory compaction is due (see maybeCompact). */
  private snapshotWritten: { index: number; data: SnapshotData; retain: number } | null = null;
  /**
   * The snapshot data the Raft core holds, as this loop handed it over: stored data (a file
   * read a piece at a time) is closed once the core no longer holds it.
   */
  private heldSnapshot: SnapshotData | null;
  /** A snapshot received from the leader and stored, whose in-memory data may now go. */
  private installedSnapshotIndex: number | null = null;
  private stopped = false;
  private loopDone: Promise<void> = Promise.resolve();
  private tickTimer: NodeJS.Timeout | null = null;
  private lastLeader: NodeId = 0;
  private lastRole: Role = Role.Follower;
  /** Membership changes waiting to be applied: request id → the change. */
  private readonly confWaiters = new Map<number, ConfChange>();
  /** The chain of deferred writes of the DEBUG-ONLY unsafeAckBeforeFsync mode. */
  private deferredWrites: Promise<void> = Promise.resolve();
  /** Set when a synced write failed: the peer stops acknowledging anything (crash-stop). */
  private fatalError: Error | null = null;

  /** Builds the peer from loaded durable state. */
  constructor(private readonly options: PeerOptions, loaded: LoadedState) {
    const snapshot = loaded.persisted.snapshot;
    const appliedIndex = snapshot?.meta.index ?? 0;
    const persisted = withCommitAtLeast(loaded.persisted, appliedIndex);
    // The state as of the snapshot; Raft hands the committed entries after it back to the
    // loop as committed entries, which re-applies them (see the module comment).
    this.stateMachine = new StateMachine(options.memberId,
      options.values === undefined ? {} : { values: options.values });
    if (snapshot !== null) this.stateMachine.restore(snapshot.data);
    this.heldSnapshot = snapshot?.data ?? null;
    this.raft = new RaftNode(makeRaftConfig({
      id: options.memberId, electionTicks: options.electionTicks, heartbeatTicks: 1,
      random: new SeededRandom(options.memberId ^ Date.now()), logger: options.logger,
      appliedIndex,
    }), persisted);
    this.leaderLoss = new LeaderLoss({
      memberId: options.memberId, campaignWithinTicks: forgetLeaderCampaignTicks,
      staggerTicks: forgetLeaderStaggerTicks, logger: options.logger,
    });
    this.reads = new ReadBarrier({
      requestTimeoutMs: options.requestTimeoutMs,
      appliedIndex: () => this.raft.appliedIndex(),
      wake: () => this.poke(),
    });
  }

  /** Starts ticking and the loop. */
  start(): void {
    // Like etcd's initial-election-tick-advance: a freshly started peer fast-forwards its
    // election clock, so a new cluster elects a leader in a fraction of a timeout. Pre-vote
    // keeps a restarted peer from disturbing a cluster that already has a leader.
    this.pendingTicks = this.options.electionTicks - 1;
    this.tickTimer = setInterval(() => {
      this.pendingTicks = Math.min(this.pendingTicks + 1, this.options.electionTicks);
      this.poke();
    }, this.options.tickMs);
    this.loopDone = this.run();
  }

  /** Stops the loop; pending requests fail with "server stopped". */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    this.poke();
    await this.loopDone;
    this.failTransfers();
    for (const [requestId, proposal] of this.pending) {
      clearTimeout(proposal.timer);
      proposal.reject(etcdError('ETCD_ERR_STOPPED'));
      this.pending.delete(requestId);
    }
    this.reads.failAll(etcdError('ETCD_ERR_STOPPED'));
    this.failTransfers();
    closeSnapshotData(this.heldSnapshot);
    closeSnapshotData(this.snapshotWritten?.data);
    this.heldSnapshot = null;
    this.snapshotWritten = null;
  }

  /** Queues messages from peers (dropped beyond the bound: Raft re-sends). */
  receive(messages: readonly Message[]): void {
    for (const message of messages) {
      if (this.inbox.length >= this.options.inboxMessagesMax) break;
      this.inbox.push(message);
    }
    this.poke();
  }

  /**
   * Takes the transport's hint that peer `id` looks dead (a stream to or from it broke).
   * When `id` is this follower's leader, the loop makes Raft forget it, and the survivors
   * campaign in turn within a few ticks instead of waiting out the election timeout
   * (server/leader-loss); any other hint is dropped. A wrong hint is harmless.
   */
  reportUnreachable(id: NodeId): void {
    this.leaderLoss.report(id);
    this.poke();
  }

  /** Proposes a command; resolves with its apply result once applied on this peer. */
  propose(op: ReplicatedOp): Promise<unknown> {
    const requestId = this.requestIdNext++;
    // NB: encoded straight into a slab of entries (util/slab), never into Node's shared 8 KB
    // pool, where protobufjs encodes: the Raft log keeps the entry long enough to pin a
    // whole pool slab per entry, and an ArrayBuffer of its own costs more.
    const data = encodeCommand({
      memberId: this.options.memberId, requestId, nowMs: Date.now(), op,
    }, (length) => this.entrySlabs.allocate(length));
    return this.enqueueProposal(requestId, data, null);
  }

  /** Proposes a membership change; resolves once it is applied on this peer. */
  proposeConfChange(change: ConfChange): Promise<unknown> {
    return this.enqueueProposal(this.requestIdNext++, new Uint8Array(0), change);
  }

  /** Resolves once every write committed before the call is applied here (ReadIndex). */
  readBarrier(): Promise<void> {
    if (this.fatalError !== null) return Promise.reject(etcdError('ETCD_ERR_STOPPED'));
    return this.reads.enqueue();
  }

  /** Asks Raft to hand leadership to `target`; resolves once it moved (or rejects). */
  async transferLeadership(target: NodeId, timeoutMs = this.options.requestTimeoutMs):
    Promise<void> {
    if (this.stopped) throw etcdError('ETCD_ERR_STOPPED');
    if (this.transferQueue.length >= transferQueueMax) throw etcdError('ETCD_ERR_TOO_MANY_REQUESTS');
    const result = await new Promise<ReturnType<RaftNode['transferLeadership']>>((done) => {
      this.transferQueue.push({ target, done });
      this.poke();
    });
    if (result.kind === 'dropped') throw dropError(result.reason);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const status = this.raft.status();
      if (status.leaderId === target) return;
      await new Promise((resolve) => setTimeout(resolve, this.options.tickMs));
    }
    throw etcdError('ETCD_ERR_TIMEOUT');
  }

  /** Returns the election timeout in ms (ticks × tick length). */
  electionTimeoutMs(): number {
    return this.options.electionTicks * this.options.tickMs;
  }

  /** Returns the Raft status. */
  status(): RaftStatus {
    return this.raft.status();
  }

  /** Returns the error that stopped this peer, if a synced write failed. */
  failure(): Error | null {
    return this.fatalError;
  }

  private enqueueProposal(requestId: number, data: Uint8Array, conf: ConfChange | null):
    Promise<unknown> {
    if (this.fatalError !== null || this.stopped) {
      return Promise.reject(etcdError('ETCD_ERR_STOPPED'));
    }
    if (this.pending.size >= this.options.proposalsPendingMax) {
      return Promise.reject(etcdError('ETCD_ERR_TOO_MANY_REQUESTS'));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(requestId)) reject(etcdError('ETCD_ERR_TIMEOUT'));
        this.confWaiters.delete(requestId);
      }, this.options.requestTimeoutMs);
      this.pending.set(requestId, { resolve, reject, timer, term: 0 });
      this.proposalQueue.push({ requestId, data, conf });
      this.poke();
    });
  }

  private settle(requestId: number, outcome: { result: unknown } | { error: EtcdError }): void {
    const proposal = this.pending.get(requestId);
    if (proposal === undefined) return;
    this.pending.delete(requestId);
    clearTimeout(proposal.timer);
    if ('error' in outcome) proposal.reject(outcome.error);
    else proposal.resolve(outcome.result);
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.processInputs();
      if (!this.raft.hasReady()) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      const ready = this.raft.ready();
      try {
        await this.handleReady(ready);
      } catch (error) {
        this.crashStop(error);
        return;
      }
      this.raft.advance(ready);
      this.afterAdvance(ready);
      this.maybeSnapshot();
    }
  }

  private crashStop(error: unknown): void {
    if (!(error instanceof StorageError) || error.code === 'STORAGE_ERR_VALUE_FILE') {
      // A bug (an assertion or anything unexpected), or a failed value cache, which the
      // restart rebuilds: crash-only, with the stack, so the process restarts from its
      // durable state instead of limping on (STYLE §4).
      setImmediate(() => {
        throw error;
      });
    }
    // A failed fsync leaves the disk state unknown: acknowledging anything more could lose
    // acknowledged writes, so this peer stops taking part (fail-stop) and says why.
    this.fatalError = error instanceof Error ? error : new Error(String(error));
    this.stopped = true;
    this.options.logger.error({ err: this.fatalError.message }, 'storage failed: peer stopped');
    for (const requestId of [...this.pending.keys()]) {
      this.settle(requestId, { error: etcdError('ETCD_ERR_STOPPED') });
    }
    this.reads.failAll(etcdError('ETCD_ERR_STOPPED'));
  }

  /** Answers every queued leadership transfer with "stopped" (the loop has ended). */
  private failTransfers(): void {
    for (const transfer of this.transferQueue.splice(0)) {
      transfer.done({ kind: 'dropped', reason: DropReason.Removed });
    }
  }

  private processInputs(): void {
    this.maybeCompact();
    this.maybeReleaseInstalledSnapshot();
    for (const message of this.inbox.splice(0)) this.raft.step(message);
    this.leaderLoss.handleReports(this.raft);
    for (; this.pendingTicks > 0; this.pendingTicks--) {
      this.raft.tick();
      this.leaderLoss.tick(this.raft);
    }
    for (const transfer of this.transferQueue.splice(0)) {
      transfer.done(this.raft.transferLeadership(transfer.target));
    }
    for (const queued of this.proposalQueue.splice(0)) {
      const result = queued.conf === null
        ? this.raft.propose(queued.data) : this.raft.proposeConfChange(queued.conf);
      if (result.kind === 'dropped') {
        this.settle(queued.requestId, { error: dropError(result.reason) });
      } else if (queued.conf !== null) {
        this.confWaiters.set(queued.requestId, queued.conf);
      } else {
        const proposal = this.pending.get(queued.requestId);
        if (proposal !== undefined) proposal.term = this.raft.currentTerm();
      }
    }
    this.reads.issue(this.raft);
  }

  private settleConfChanges(): void {
    // A conf change carries no request id (followers forward it to the leader): it is done
    // once the applied membership shows it.
    const membership = this.raft.membership();
    for (const [requestId, change] of this.confWaiters) {
      const voter = membership.voters.includes(change.nodeId);
      const learner = membership.learners.includes(change.nodeId);
      const done = change.type === ConfChangeType.RemoveNode ? !voter && !learner
        : change.type === ConfChangeType.AddLearner ? learner : voter;
      if (!done) continue;
      this.confWaiters.delete(requestId);
      this.settle(requestId, { result: null });
    }
  }

  private async handleReady(ready: Ready): Promise<void> {
    const storage = this.options.storage;
    // A leader's appends and heartbeats depend on nothing it has yet to persist (it counts
    // itself towards a quorum only for entries already durable), so they leave at once and
    // the followers' fsyncs overlap the leader's (etcd does the same). Everything else, votes
    // and acknowledgements above all, waits for the write below.
    const early = ready.softState.role === Role.Leader
      ? ready.messages.filter((message) => leaderOnlyTypes.has(message.type)) : [];
    const late = early.length === 0 ? ready.messages
      : ready.messages.filter((message) => !leaderOnlyTypes.has(message.type));
    this.options.transport.send(early);
    // A Ready that only moves the commit index needs no write at all: the commit index is
    // re-learned from the leader after a restart, and the applied index (persisted with the
    // state machine's rows) bounds it from below (see the constructor).
    if (ready.snapshot !== null || ready.entries.length > 0 || ready.mustSync) {
      const write = {
        hardState: ready.hardState, entries: ready.entries, snapshot: ready.snapshot,
        sync: ready.mustSync,
      };
      if (this.options.unsafeAckBeforeFsync === true) {
        this.deferWrite(() => storage.writeReady(write));
      } else {
        await storage.writeReady(write);
      }
    }
    this.options.transport.send(late);
    if (ready.snapshot !== null) {
      this.stateMachine.restore(ready.snapshot.data);
      // The core now holds the received bytes (in memory) instead of what it held before.
      closeSnapshotData(this.heldSnapshot);
      this.heldSnapshot = ready.snapshot.data;
      this.installedSnapshotIndex = ready.snapshot.meta.index;
    }
    if (ready.committedEntries.length > 0) {
      const batch = this.stateMachine.applyEntries(ready.committedEntries, this.raft.membership());
      for (const [requestId, result] of batch.results) this.settle(requestId, { result });
    }
    this.reads.onReadStates(ready.readStates);
  }

  private deferWrite(write: () => Promise<void>): void {
    // Each write lands about a second after its Ready, in order (a lagging write-back cache).
    const dueMs = Date.now() + 1000;
    this.deferredWrites = this.deferredWrites
      .then(() => new Promise((resolve) => setTimeout(resolve, Math.max(0, dueMs - Date.now()))))
      .then(write)
      .catch((error: unknown) => this.crashStop(error));
  }

  private afterAdvance(ready: Ready): void {
    const soft = ready.softState;
    if (soft.leaderId !== this.lastLeader || soft.role !== this.lastRole) {
      if (soft.leaderId !== this.lastLeader) this.failOnLeaderChange();
      this.lastLeader = soft.leaderId;
      this.lastRole = soft.role;
      this.options.logger.info({ leader: soft.leaderId, role: soft.role, term: soft.term },
        'raft state changed');
    }
    this.reads.onApplied();
    this.settleConfChanges();
    this.options.onStateChange?.();
  }

  private failOnLeaderChange(): void {
    // Proposals handed to a previous leader may be lost; their outcome is unknown, so the
    // clients get "leader changed" (retryable) instead of waiting for the full timeout.
    for (const [requestId, proposal] of this.pending) {
      if (proposal.term !== 0) this.settle(requestId, { error: etcdError('ETCD_ERR_LEADER_CHANGED') });
    }
    this.reads.retryInFlight();
  }

  /**
   * Takes a snapshot every `snapshotEntries` applied entries. The disk write is NOT awaited
   * by the Raft loop: a whole-store snapshot is megabytes, and a loop blocked on it sends no
   * heartbeats, so a leader would lose its followers to an election under load (found by
   * `bench api`: leader changes at every 10,000th entry). The in-memory log is compacted
   * only once the snapshot is on disk, between Readys (see maybeCompact). One at a time.
   */
  private maybeSnapshot(): void {
    if (this.snapshotInFlight) return;
    const applied = this.raft.appliedIndex();
    if (applied - this.raft.snapshotMeta().index < this.options.snapshotEntries) return;
    const meta = this.raft.snapshotMetaFor(applied);
    // Encoded straight into the storage's file, a chunk at a time: never one array in memory.
    let data: SnapshotData;
    try {
      data = this.options.storage.stageSnapshot((write) => {
        this.stateMachine.snapshotTo(write);
      });
    } catch (error) {
      this.crashStop(error);
      return;
    }
    // Entries just behind the snapshot stay, so a follower a little behind catches up from
    // the log rather than by a whole snapshot (etcd keeps 5,000: SnapshotCatchUpEntries).
    const retain = Math.min(snapshotCatchUpEntriesMax,
      Math.floor(this.options.snapshotEntries / 2));
    this.snapshotInFlight = true;
    // NB: the storage writes batches in issue order, so this lands after every earlier
    // Ready and before every later one, as if it had been awaited here.
    this.options.storage.writeSnapshot({ meta, data }, Math.max(0, meta.index - retain)).then(
      () => {
        this.snapshotWritten = { index: meta.index, data, retain };
        this.poke();
      },
      (error: unknown) => {
        closeSnapshotData(data);
        this.crashStop(error);
      });
  }

  /** Compacts the in-memory log to the snapshot written last, if any (between Readys). */
  private maybeCompact(): void {
    const written = this.snapshotWritten;
    if (written === null) return;
    this.snapshotWritten = null;
    this.snapshotInFlight = false;
    // A snapshot installed from the leader meanwhile supersedes ours (storage holds it, as
    // it was written later); the in-memory log is already compacted past ours then.
    if (written.index <= this.raft.snapshotMeta().index) {
      closeSnapshotData(written.data);
      return;
    }
    this.raft.compact(written.index, written.data, written.retain);
    closeSnapshotData(this.heldSnapshot);
    this.heldSnapshot = written.data;
    this.options.logger.info({ index: written.index, bytes: written.data.byteLength },
      'snapshot taken');
  }

  /**
   * Once a snapshot received from the leader is stored, hands the core the stored copy
   * (read from disk a piece at a time) in place of the received bytes, which then go.
   */
  private maybeReleaseInstalledSnapshot(): void {
    const index = this.installedSnapshotIndex;
    if (index === null) return;
    this.installedSnapshotIndex = null;
    const stored = this.options.storage.openSnapshot();
    if (stored === null) return;
    if (stored.meta.index === index && this.raft.replaceSnapshotData(index, stored.data)) {
      this.heldSnapshot = stored.data;
    } else {
      stored.data.close();
    }
  }

}
