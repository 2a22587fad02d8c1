/**
 * @module raft/raft
 * The Raft core: a pure, synchronous state machine (Ongaro, "Consensus: Bridging Theory and
 * Practice", 2014; shaped like etcd-io/raft). Inputs: `tick`, `step`, `propose`,
 * `proposeConfChange`, `readIndex`, `transferLeadership`, `forgetLeader`, `compact`.
 * Output: a `Ready` batch acknowledged by `advance`. It never performs IO, reads a clock or
 * draws randomness other than from the injected PRNG, so a whole cluster replays exactly
 * from one seed.
 *
 * Contract with the shell (see `Ready` in types.ts): call `ready()` when `hasReady()`,
 * persist, then send, then apply, then `advance()`. Between `ready()` and `advance()` the
 * shell MUST NOT call any other input (it queues incoming messages instead); the core
 * asserts this, so the order of effects can never be broken by accident.
 */
import { assert, assertNever, assertSafeIndex } from '../util/assert.js';
import type { RaftConfig } from './config.js';
import { RaftLog } from './log.js';
import {
  applyConfChange, decodeConfChange, encodeConfChange, isMember, members, quorumSize,
} from './membership.js';
import type { PersistedState } from './membership.js';
import { Progress, ProgressState } from './progress.js';
import { ReadOnlyQueue } from './read-only.js';
import {
  DropReason, EntryType, MessageType, NONE, Role,
} from './types.js';
import type {
  ConfChange, Entry, HardState, Membership, Message, NodeId, ProposeResult, ReadState, Ready,
  Snapshot, SnapshotChunk, SnapshotData, SoftState,
} from './types.js';
import { isValidMessage } from './validate.js';

export {
  bootstrapState, decodeConfChange, encodeConfChange, joinerState,
} from './membership.js';
export type { PersistedState } from './membership.js';

/** Committed entries handed out in one Ready at most; the rest follow in the next one. */
export const committedEntriesPerReadyMax = 4096;
/** Largest snapshot a follower accepts over InstallSnapshot, in bytes (1 GiB). */
export const snapshotBytesMax = 1024 * 1024 * 1024;

/** ProgressStatus is the leader's view of one follower, for status and tests. */
export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly isLearner: boolean;
}

/** RaftStatus is a read-only report of the core's state. */
export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly role: Role;
  readonly leaderId: NodeId;
  readonly membership: Membership;
  readonly leadTransferee: NodeId;
  readonly progress: ReadonlyMap<NodeId, ProgressStatus>;
}

/** ForgetLeaderOptions tune `forgetLeader`. */
export interface ForgetLeaderOptions {
  /**
   * Campaign after a random 1..n ticks instead of the rest of the election timeout (range
   * 1..2×electionTicks; never lengthens the wait). Default: the wait is left unchanged.
   */
  readonly campaignWithinTicks?: number;
}

type MessageFields = Partial<Omit<Message, 'type' | 'from' | 'to'>>;

interface IncomingSnapshot {
  readonly meta: Snapshot['meta'];
  readonly totalBytes: number;
  readonly chunks: Uint8Array[];
  received: number;
}

interface ReadRequest {
  readonly from: NodeId;
  readonly requestId: number;
}

/** RaftNode is one peer's Raft state machine. */
export class RaftNode {
  readonly id: NodeId;
  private readonly config: RaftConfig;
  private readonly log: RaftLog;
  private term = 0;
  private vote: NodeId = NONE;
  private leaderId: NodeId = NONE;
  private role: Role = Role.Follower;
  private currentMembership: Membership;
  private membershipHistory: Array<{ index: number; membership: Membership }>;
  private readonly removed = new Set<NodeId>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTicks = 0;
  private readonly votes = new Map<NodeId, boolean>();
  private readonly progress = new Map<NodeId, Progress>();
  private leadTransferee: NodeId = NONE;
  private pendingConfIndex = 0;
  private uncommittedBytes = 0;
  private readonly readOnly: ReadOnlyQueue;
  private readRequests: ReadRequest[] = [];
  private incomingSnapshot: IncomingSnapshot | null = null;
  private messages: Message[] = [];
  private readStates: ReadState[] = [];
  private previousHardState: HardState;
  private previousSoftState: SoftState;
  private inReady: Ready | null = null;
  /**
   * Set when proposals or a commit advance wait to be broadcast: appends go out once per
   * Ready, from `ready()`, instead of once per proposal and once per acknowledgement (see
   * `flushAppends`).
   */
  private appendsPending = false;

  /** Restores a core from persisted state (use `bootstrapState` or `joinerState` at first). */
  constructor(config: RaftConfig, persisted: PersistedState) {
    this.id = config.id;
    this.config = config;
    this.log = new RaftLog(persisted.snapshot, persisted.entries);
    this.readOnly = new ReadOnlyQueue(config.pendingReadsMax);
    const hardState = persisted.hardState;
    assertSafeIndex(hardState.term, 'term');
    assert(hardState.commit <= this.log.lastIndex(), 'persisted commit beyond the log');
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.log.commitTo(Math.max(hardState.commit, this.log.snapshotMeta.index));
    const applied = config.appliedIndex ?? this.log.snapshotMeta.index;
    assert(applied >= this.log.snapshotMeta.index, 'applied index below the snapshot');
    assert(applied <= this.log.committed, 'applied index beyond the commit index');
    this.currentMembership = this.log.snapshotMeta.membership;
    this.membershipHistory = [
      { index: this.log.snapshotMeta.index, membership: this.currentMembership },
    ];
    for (let index = this.log.applied + 1; index <= applied; index++) {
      this.applyEntryMembership(this.log.entry(index)!);
    }
    this.log.applied = applied;
    this.previousHardState = this.hardState();
    this.becomeFollower(this.term, NONE);
    this.previousSoftState = this.softState();
  }

  // ------------------------------------------------------------------ public inputs

  /** Advances logical time by one tick: elections on followers, heartbeats on leaders. */
  tick(): void {
    this.assertNotInReady();
    if (this.role === Role.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  /**
   * Steps one message received from a peer. Returns false when it was rejected without any
   * state change: malformed, stale, misaddressed or from a removed peer. Never throws on
   * bad input.
   */
  step(message: Message): boolean {
    this.assertNotInReady();
    if (!isValidMessage(message, this.id) || this.removed.has(message.from)) return false;
    if (!this.stepTerm(message)) return false;
    switch (this.role) {
      case Role.Leader:
        return this.stepLeader(message);
      case Role.Candidate:
      case Role.PreCandidate:
        return this.stepCandidate(message);
      case Role.Follower:
        return this.stepFollower(message);
    }
  }

  /** Proposes application data. Leaders append it; followers forward it to the leader. */
  propose(data: Uint8Array): ProposeResult {
    this.assertNotInReady();
    return this.proposeEntry(EntryType.Normal, data);
  }

  /** Proposes one membership change; at most one may be in flight. */
  proposeConfChange(change: ConfChange): ProposeResult {
    this.assertNotInReady();
    if (!Number.isSafeInteger(change.nodeId) || change.nodeId <= 0) {
      return { kind: 'dropped', reason: DropReason.Invalid };
    }
    if (applyConfChange(this.currentMembership, change) === null) {
      return { kind: 'dropped', reason: DropReason.InvalidConfChange };
    }
    return this.proposeEntry(EntryType.ConfChange, encodeConfChange(change));
  }

  /**
   * Requests a linearizable read. The result arrives later as a ReadState with this
   * `requestId`: the read may be served once the application has applied its index.
   */
  readIndex(requestId: number): ProposeResult {
    this.assertNotInReady();
    if (!Number.isSafeInteger(requestId) || requestId < 0) {
      return { kind: 'dropped', reason: DropReason.Invalid };
    }
    if (this.role !== Role.Leader) {
      if (this.leaderId === NONE) return { kind: 'dropped', reason: DropReason.NoLeader };
      this.send(MessageType.ReadIndex, this.leaderId, { context: requestId });
      return { kind: 'forwarded', leaderId: this.leaderId };
    }
    if (this.readRequests.length + this.readOnly.size() >= this.config.pendingReadsMax) {
      return { kind: 'dropped', reason: DropReason.TooManyUncommitted };
    }
    this.readRequests.push({ from: this.id, requestId });
    return { kind: 'accepted', index: this.log.committed, term: this.term };
  }

  /** Asks the leader to hand leadership to `target` (Raft thesis §3.10). */
  transferLeadership(target: NodeId): ProposeResult {
    this.assertNotInReady();
    const toSelf = target === this.id && this.role === Role.Leader;
    if (!this.currentMembership.voters.includes(target) || toSelf) {
      return { kind: 'dropped', reason: DropReason.InvalidTransferTarget };
    }
    if (this.role !== Role.Leader) {
      if (this.leaderId === NONE) return { kind: 'dropped', reason: DropReason.NoLeader };
      if (this.leaderId === target) return { kind: 'forwarded', leaderId: this.leaderId };
      this.send(MessageType.TransferLeader, this.leaderId, { index: target });
      return { kind: 'forwarded', leaderId: this.leaderId };
    }
    this.startTransfer(target);
    return { kind: 'accepted', index: this.log.lastIndex(), term: this.term };
  }

  /**
   * Forgets a follower's current leader, as etcd-raft's `RawNode.ForgetLeader` (raft 3.6):
   * the follower stays a follower in the same term and does not campaign, but, leaderless,
   * it is no longer "in lease" (see `stepHigherTerm`), so it grants pre-votes and votes at
   * once instead of ignoring them until an election timeout has passed. It returns to a
   * normal follower when it hears from the leader again (an append or heartbeat sets the
   * leader). An external failure detector calls this when it has strong reason to believe
   * the leader died: once a quorum of followers forgot it, a new leader is elected without
   * waiting out the election timeout. Ignored on leaders, candidates and pre-candidates.
   *
   * `campaignWithinTicks` (1..2×electionTicks) also shortens this follower's own wait: it
   * campaigns, through the usual pre-vote and `promotable` checks, after a random 1..n ticks
   * drawn from the injected PRNG, or sooner if it was due sooner; the wait never grows.
   *
   * NB: Raft safety never depends on timing, and one follower that forgets a live leader
   * cannot elect anyone: the leader and the followers still in lease ignore its pre-vote,
   * and the leader's next heartbeat restores it. etcd refuses ForgetLeader under
   * ReadOnlyLeaseBased reads, whose leader assumes no follower votes before its lease ends;
   * this core serves reads by ReadIndex only, confirmed by a quorum round (read-only.ts),
   * so no read relies on the followers' lease.
   */
  forgetLeader(options: ForgetLeaderOptions = {}): void {
    this.assertNotInReady();
    const within = options.campaignWithinTicks;
    if (within !== undefined) {
      assert(Number.isSafeInteger(within) && within >= 1, 'campaignWithinTicks must be >= 1');
      assert(within <= 2 * this.config.electionTicks, 'campaignWithinTicks beyond the timeout');
    }
    if (this.role !== Role.Follower) return;
    if (this.leaderId !== NONE) {
      this.config.logger.info({ nodeId: this.id, leaderId: this.leaderId, term: this.term },
        'forgetting leader');
      this.leaderId = NONE;
    }
    if (within === undefined) return;
    const remainingTicks = 1 + this.config.random.int(within);
    this.electionElapsed = Math.max(this.electionElapsed,
      this.randomizedElectionTicks - remainingTicks);
    assert(this.randomizedElectionTicks - this.electionElapsed <= within,
      'the campaign must be due within campaignWithinTicks');
  }

  /**
   * Records that the application took a snapshot of its state at `index` (at or below the
   * applied index) and drops the log below it, keeping the last `retainEntries` entries
   * before it so that slightly lagging followers still catch up from the log. The shell
   * MUST have persisted the snapshot BEFORE calling this; followers that fall behind the
   * kept entries receive the snapshot through InstallSnapshot.
   */
  compact(index: number, data: SnapshotData, retainEntries = 0): void {
    this.assertNotInReady();
    assertSafeIndex(index, 'compact index');
    assert(index <= this.log.applied, 'compact beyond the applied index');
    assert(Number.isSafeInteger(retainEntries) && retainEntries >= 0, 'retainEntries >= 0');
    if (index <= this.log.snapshotMeta.index) return;
    this.log.compact(this.snapshotMetaFor(index), data, Math.max(0, index - retainEntries));
    const keep = this.membershipHistory.filter((record) => record.index > index);
    this.membershipHistory = [{ index, membership: this.membershipAt(index) }, ...keep];
  }

  /**
   * Replaces the data held for the current snapshot, at `index`, with `data`: the same bytes
   * in another form, typically a stand-in that reads the copy the shell stored on disk once
   * a received snapshot is durable (see SnapshotData). Returns false, changing nothing, when
   * the current snapshot is no longer the one at `index`.
   */
  replaceSnapshotData(index: number, data: SnapshotData): boolean {
    this.assertNotInReady();
    assertSafeIndex(index, 'snapshot index');
    const current = this.log.snapshotData;
    if (this.log.snapshotMeta.index !== index || current === null) return false;
    assert(current.byteLength === data.byteLength, 'replacement snapshot data has its size');
    this.log.snapshotData = data;
    return true;
  }

  // ------------------------------------------------------------------ Ready

  /** Returns true when `ready()` has something for the shell to do. */
  hasReady(): boolean {
    if (this.inReady !== null) return false;
    if (this.appendsPending && this.role === Role.Leader) return true;
    if (this.messages.length > 0 || this.readStates.length > 0) return true;
    if (this.log.pendingSnapshot !== null) return true;
    if (this.log.lastIndex() > this.log.stableIndex) return true;
    if (this.log.committed > this.log.applied) return true;
    if (this.readRequests.length > 0 && this.committedInTerm()) return true;
    if (!sameHardState(this.hardState(), this.previousHardState)) return true;
    return !sameSoftState(this.softState(), this.previousSoftState);
  }

  /** Returns the next batch of effects; the shell MUST follow the order documented on Ready. */
  ready(): Ready {
    this.assertNotInReady();
    this.flushAppends();
    this.flushReadRequests();
    const hardState = this.hardState();
    const changed = !sameHardState(hardState, this.previousHardState);
    const snapshot = this.log.pendingSnapshot;
    const entries = this.log.unstableEntries();
    const ready: Ready = {
      softState: this.softState(),
      hardState: changed ? hardState : null,
      entries,
      snapshot,
      committedEntries: snapshot === null
        ? this.log.nextCommittedEntries(committedEntriesPerReadyMax) : [],
      messages: this.messages,
      readStates: this.readStates,
      mustSync: entries.length > 0 || snapshot !== null ||
        hardState.term !== this.previousHardState.term ||
        hardState.vote !== this.previousHardState.vote,
    };
    this.messages = [];
    this.readStates = [];
    this.inReady = ready;
    return ready;
  }

  /** Acknowledges that the shell persisted, sent and applied everything in `ready`. */
  advance(ready: Ready): void {
    assert(this.inReady === ready, 'advance must acknowledge the last Ready');
    this.inReady = null;
    if (ready.hardState !== null) this.previousHardState = ready.hardState;
    this.previousSoftState = ready.softState;
    if (ready.snapshot !== null) {
      this.log.applied = Math.max(this.log.applied, ready.snapshot.meta.index);
      if (this.log.pendingSnapshot === ready.snapshot) this.log.pendingSnapshot = null;
    }
    const lastPersisted = ready.entries.at(-1);
    if (lastPersisted !== undefined &&
      this.log.matchTerm(lastPersisted.index, lastPersisted.term)) {
      this.log.stableIndex = Math.max(this.log.stableIndex, lastPersisted.index);
    }
    for (const entry of ready.committedEntries) {
      assert(entry.index === this.log.applied + 1, 'committed entries must apply in order');
      this.log.applied = entry.index;
      this.applyEntryMembership(entry);
    }
    if (this.role === Role.Leader) {
      this.progress.get(this.id)?.maybeUpdate(this.log.stableIndex);
      if (this.maybeCommit()) this.appendsPending = true;
    }
  }

  // ------------------------------------------------------------------ observation

  /** Returns a snapshot of the core's state for status pages, tests and checkers. */
  status(): RaftStatus {
    const progress = new Map<NodeId, ProgressStatus>();
    for (const [id, pr] of this.progress) {
      progress.set(id, { match: pr.match, next: pr.next, state: pr.state,
        isLearner: pr.isLearner });
    }
    return {
      id: this.id, term: this.term, vote: this.vote, commit: this.log.committed,
      applied: this.log.applied, firstIndex: this.log.firstIndex(),
      lastIndex: this.log.lastIndex(), role: this.role, leaderId: this.leaderId,
      membership: this.currentMembership, leadTransferee: this.leadTransferee, progress,
    };
  }

  /** Returns the current term (cheap, unlike `status()`). */
  currentTerm(): number {
    return this.term;
  }

  /** Returns the applied index (cheap, unlike `status()`). */
  appliedIndex(): number {
    return this.log.applied;
  }

  /** Returns the membership in force (as of the applied index). */
  membership(): Membership {
    return this.currentMembership;
  }

  /** Returns the entry at `index`, or null when compacted or absent. */
  entry(index: number): Entry | null {
    return this.log.entry(index);
  }

  /** Returns the term of the entry at `index`, or null when compacted or absent. */
  termAt(index: number): number | null {
    return this.log.termAt(index);
  }

  /**
   * Returns the metadata a snapshot taken at `index` (at or below the applied index) must
   * carry, so the shell can persist it BEFORE calling `compact(index, data)`.
   */
  snapshotMetaFor(index: number): Snapshot['meta'] {
    assert(index <= this.log.applied, 'snapshot beyond the applied index');
    const term = this.log.termAt(index);
    assert(term !== null, 'snapshot index must be in the log');
    return { index, term, membership: this.membershipAt(index) };
  }

  /** Returns the snapshot the log starts after (index 0 when there is none). */
  snapshotMeta(): Snapshot['meta'] {
    return this.log.snapshotMeta;
  }

  // ------------------------------------------------------------------ roles

  private becomeFollower(term: number, leaderId: NodeId): void {
    const wasLeader = this.role === Role.Leader;
    this.reset(term);
    this.role = Role.Follower;
    this.leaderId = leaderId;
    if (wasLeader) this.config.logger.info({ nodeId: this.id, term }, 'stepped down');
  }

  private becomePreCandidate(): void {
    assert(this.role !== Role.Leader, 'a leader cannot become pre-candidate');
    // NB: pre-vote changes neither term nor vote (Raft thesis §9.6).
    this.votes.clear();
    this.role = Role.PreCandidate;
    this.leaderId = NONE;
  }

  private becomeCandidate(): void {
    assert(this.role !== Role.Leader, 'a leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = Role.Candidate;
  }

  private becomeLeader(): void {
    assert(this.role === Role.Candidate, 'only a candidate can become leader');
    this.reset(this.term);
    this.role = Role.Leader;
    this.leaderId = this.id;
    for (const id of members(this.currentMembership)) this.addProgress(id);
    this.progress.get(this.id)?.maybeUpdate(this.log.stableIndex);
    // Conf changes wait until the whole log, including this term's no-op, is applied.
    this.pendingConfIndex = this.log.lastIndex();
    const noop: Entry = {
      term: this.term, index: this.log.lastIndex() + 1, type: EntryType.Normal,
      data: new Uint8Array(0),
    };
    this.log.append([noop]);
    this.config.logger.info({ nodeId: this.id, term: this.term }, 'became leader');
    this.bcastAppend();
  }

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NONE;
    }
    this.leaderId = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTicks = this.config.electionTicks +
      this.config.random.int(this.config.electionTicks);
    this.votes.clear();
    this.progress.clear();
    this.leadTransferee = NONE;
    this.uncommittedBytes = 0;
    this.readOnly.reset();
    this.readRequests = [];
    this.appendsPending = false;
  }

  private addProgress(id: NodeId): void {
    const learner = this.currentMembership.learners.includes(id);
    const pr = new Progress(this.log.lastIndex() + 1, this.config.inflightMessagesMax, learner);
    pr.recentActive = true;
    this.progress.set(id, pr);
  }

  // ------------------------------------------------------------------ ticks

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTicks) {
      this.electionElapsed = 0;
      this.campaign(this.config.preVote ? 'pre-vote' : 'vote', false);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTicks) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum && !this.quorumActive()) {
        this.config.logger.info({ nodeId: this.id, term: this.term }, 'lost quorum contact');
        this.becomeFollower(this.term, NONE);
        return;
      }
      this.leadTransferee = NONE;
    }
    for (const pr of this.progress.values()) {
      if (pr.state !== ProgressState.Snapshot) continue;
      pr.snapshotStallTicks++;
      if (pr.snapshotStallTicks > 2 * this.config.electionTicks) pr.becomeProbe();
    }
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.currentRound());
    }
  }

  private quorumActive(): boolean {
    let active = 0;
    for (const id of this.currentMembership.voters) {
      const pr = this.progress.get(id);
      if (id === this.id || pr?.recentActive === true) active++;
      if (pr !== undefined && id !== this.id) pr.recentActive = false;
    }
    return active >= quorumSize(this.currentMembership);
  }

  private promotable(): boolean {
    return this.currentMembership.voters.includes(this.id) && this.log.pendingSnapshot === null;
  }

  // ------------------------------------------------------------------ elections

  private campaign(kind: 'pre-vote' | 'vote', transfer: boolean): void {
    if (kind === 'pre-vote') this.becomePreCandidate();
    else this.becomeCandidate();
    const voteTerm = kind === 'pre-vote' ? this.term + 1 : this.term;
    if (this.poll(this.id, true) === 'won') {
      if (kind === 'pre-vote') this.campaign('vote', false);
      else this.becomeLeader();
      return;
    }
    const type = kind === 'pre-vote' ? MessageType.PreVote : MessageType.Vote;
    for (const id of this.currentMembership.voters) {
      if (id === this.id) continue;
      this.send(type, id, {
        term: voteTerm, index: this.log.lastIndex(), logTerm: this.log.lastTerm(),
        context: transfer ? 1 : 0,
      });
    }
  }

  private poll(id: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    if (this.currentMembership.voters.includes(id) && !this.votes.has(id)) {
      this.votes.set(id, granted);
    }
    let yes = 0;
    let no = 0;
    for (const vote of this.votes.values()) {
      if (vote) yes++;
      else no++;
    }
    const quorum = quorumSize(this.currentMembership);
    if (yes >= quorum) return 'won';
    if (no > this.currentMembership.voters.length - quorum) return 'lost';
    return 'pending';
  }

  /**
   * Applies the term rules common to every role (Figure 2, plus pre-vote and leader
   * stickiness from §9.6). Returns false when the message must be dropped.
   */
  private stepTerm(message: Message): boolean {
    const type = message.type;
    if (type === MessageType.Propose || type === MessageType.ReadIndex ||
      type === MessageType.TransferLeader) return true;
    if (message.term > this.term) return this.stepHigherTerm(message);
    if (message.term < this.term) {
      if (type === MessageType.Append || type === MessageType.Heartbeat) {
        // A stale leader learns the newer term from this reply and steps down.
        this.send(MessageType.AppendResponse, message.from, { term: this.term });
      } else if (type === MessageType.PreVote) {
        this.send(MessageType.PreVoteResponse, message.from, { term: this.term, reject: true });
      }
      return false;
    }
    return true;
  }

  private stepHigherTerm(message: Message): boolean {
    const type = message.type;
    if (type === MessageType.Vote || type === MessageType.PreVote) {
      const forced = message.context === 1;
      const inLease = this.config.checkQuorum && this.leaderId !== NONE &&
        this.electionElapsed < this.config.electionTicks;
      // Leader stickiness: a peer that recently heard from a leader ignores disruptors
      // (a follower told to forgetLeader is leaderless, so out of lease at once).
      if (!forced && inLease) return false;
      if (type === MessageType.PreVote) return true;
    }
    if (type === MessageType.PreVoteResponse && !message.reject) return true;
    const fromLeader = type === MessageType.Append || type === MessageType.Heartbeat ||
      type === MessageType.Snapshot;
    this.becomeFollower(message.term, fromLeader ? message.from : NONE);
    return true;
  }

  private handleVoteRequest(message: Message): boolean {
    const preVote = message.type === MessageType.PreVote;
    const canVote = this.vote === message.from ||
      (this.vote === NONE && this.leaderId === NONE) || (preVote && message.term > this.term);
    const responseType = preVote ? MessageType.PreVoteResponse : MessageType.VoteResponse;
    if (canVote && this.log.isUpToDate(message.index, message.logTerm)) {
      this.send(responseType, message.from, { term: message.term });
      if (!preVote) {
        this.electionElapsed = 0;
        this.vote = message.from;
      }
      return true;
    }
    this.send(responseType, message.from, { term: this.term, reject: true });
    return true;
  }

  // ------------------------------------------------------------------ per-role steps

  private stepFollower(message: Message): boolean {
    switch (message.type) {
      case MessageType.Append:
      case MessageType.Heartbeat:
      case MessageType.Snapshot:
        this.electionElapsed = 0;
        this.leaderId = message.from;
        return this.handleLeaderMessage(message);
      case MessageType.Vote:
      case MessageType.PreVote:
        return this.handleVoteRequest(message);
      case MessageType.ReadIndexResponse:
        if (message.from !== this.leaderId) return false;
        this.readStates.push({ requestId: message.context, index: message.index });
        return true;
      case MessageType.TimeoutNow:
        if (message.from !== this.leaderId || !this.promotable()) return false;
        this.config.logger.info({ nodeId: this.id, term: this.term }, 'transfer: campaigning');
        this.campaign('vote', true);
        return true;
      default:
        // Responses, forwarded requests (we are not the leader) and stray messages.
        return false;
    }
  }

  private stepCandidate(message: Message): boolean {
    switch (message.type) {
      case MessageType.Append:
      case MessageType.Heartbeat:
      case MessageType.Snapshot:
        this.becomeFollower(message.term, message.from);
        return this.handleLeaderMessage(message);
      case MessageType.Vote:
      case MessageType.PreVote:
        return this.handleVoteRequest(message);
      case MessageType.VoteResponse:
      case MessageType.PreVoteResponse:
        return this.handleVoteResponse(message);
      default:
        return false;
    }
  }

  private handleVoteResponse(message: Message): boolean {
    const expected = this.role === Role.PreCandidate
      ? MessageType.PreVoteResponse : MessageType.VoteResponse;
    if (message.type !== expected) return false;
    const result = this.poll(message.from, !message.reject);
    if (result === 'won') {
      if (this.role === Role.PreCandidate) this.campaign('vote', false);
      else this.becomeLeader();
    } else if (result === 'lost') {
      this.becomeFollower(this.term, NONE);
    }
    return true;
  }

  private stepLeader(message: Message): boolean {
    switch (message.type) {
      case MessageType.AppendResponse:
        return this.handleAppendResponse(message);
      case MessageType.HeartbeatResponse:
        return this.handleHeartbeatResponse(message);
      case MessageType.SnapshotResponse:
        return this.handleSnapshotResponse(message);
      case MessageType.Propose:
        return this.handleForwardedProposal(message);
      case MessageType.ReadIndex:
        if (!isMember(this.currentMembership, message.from)) return false;
        if (this.readRequests.length + this.readOnly.size() >= this.config.pendingReadsMax) {
          return false;
        }
        this.readRequests.push({ from: message.from, requestId: message.context });
        return true;
      case MessageType.TransferLeader:
        if (!this.currentMembership.voters.includes(message.index)) return false;
        if (message.index === this.id) return false;
        this.startTransfer(message.index);
        return true;
      case MessageType.Vote:
      case MessageType.PreVote:
        return this.handleVoteRequest(message);
      default:
        return false;
    }
  }

  // ------------------------------------------------------------------ follower side

  private handleLeaderMessage(message: Message): boolean {
    switch (message.type) {
      case MessageType.Append:
        this.handleAppend(message);
        return true;
      case MessageType.Heartbeat:
        this.log.commitTo(Math.min(message.commit, this.log.lastIndex()));
        this.send(MessageType.HeartbeatResponse, message.from, { context: message.context });
        return true;
      case MessageType.Snapshot:
        return this.handleSnapshotChunk(message, message.snapshot!);
      default:
        return false;
    }
  }

  private handleAppend(message: Message): void {
    if (message.index < this.log.committed) {
      this.send(MessageType.AppendResponse, message.from, { index: this.log.committed });
      return;
    }
    if (!this.log.matchTerm(message.index, message.logTerm)) {
      // Fast backtracking: tell the leader the last index whose term is not beyond its own.
      const hint = this.log.findConflictByTerm(
        Math.min(message.index, this.log.lastIndex()), message.logTerm);
      this.send(MessageType.AppendResponse, message.from, {
        index: message.index, reject: true, rejectHint: hint.index, logTerm: hint.term,
      });
      return;
    }
    const conflict = this.log.findConflict(message.entries);
    if (conflict !== 0) {
      assert(conflict > this.log.committed, 'leader sent a conflict below the commit index');
      if (conflict <= this.log.lastIndex()) this.log.truncateFrom(conflict);
      this.log.append(message.entries.slice(conflict - message.index - 1));
    }
    const lastNewIndex = message.index + message.entries.length;
    this.log.commitTo(Math.min(message.commit, lastNewIndex));
    this.send(MessageType.AppendResponse, message.from, { index: lastNewIndex });
  }

  private handleSnapshotChunk(message: Message, chunk: SnapshotChunk): boolean {
    if (chunk.totalBytes > snapshotBytesMax) return false;
    let incoming = this.incomingSnapshot;
    if (chunk.offset === 0) {
      incoming = { meta: chunk.meta, totalBytes: chunk.totalBytes, chunks: [], received: 0 };
      this.incomingSnapshot = incoming;
    }
    const matches = incoming !== null && incoming.meta.index === chunk.meta.index &&
      incoming.meta.term === chunk.meta.term && incoming.totalBytes === chunk.totalBytes;
    if (incoming === null || !matches || chunk.offset !== incoming.received) {
      // Out of order or from another transfer: ask the leader for the offset we need.
      this.send(MessageType.SnapshotResponse, message.from, {
        index: chunk.meta.index, rejectHint: matches ? incoming!.received : 0,
      });
      return true;
    }
    incoming.chunks.push(chunk.data);
    incoming.received += chunk.data.length;
    if (!chunk.done) {
      this.send(MessageType.SnapshotResponse, message.from, {
        index: chunk.meta.index, rejectHint: incoming.received,
      });
      return true;
    }
    this.incomingSnapshot = null;
    this.installSnapshot(message.from, { meta: incoming.meta, data: concat(incoming.chunks) });
    return true;
  }

  private installSnapshot(from: NodeId, snapshot: Snapshot): void {
    const meta = snapshot.meta;
    if (meta.index <= this.log.committed) {
      this.send(MessageType.AppendResponse, from, { index: this.log.committed });
      return;
    }
    if (this.log.matchTerm(meta.index, meta.term)) {
      // Our log already holds the snapshot's last entry: just move the commit index.
      this.log.commitTo(meta.index);
      this.send(MessageType.AppendResponse, from, { index: meta.index });
      return;
    }
    this.config.logger.info({ nodeId: this.id, index: meta.index, term: meta.term },
      'installing snapshot');
    this.log.restore(snapshot);
    this.currentMembership = meta.membership;
    this.membershipHistory = [{ index: meta.index, membership: meta.membership }];
    this.send(MessageType.AppendResponse, from, { index: this.log.lastIndex() });
  }

  // ------------------------------------------------------------------ leader side

  private proposeEntry(type: EntryType, data: Uint8Array): ProposeResult {
    if (this.role !== Role.Leader) {
      if (this.leaderId === NONE) return { kind: 'dropped', reason: DropReason.NoLeader };
      const entry: Entry = { term: 0, index: 0, type, data };
      this.send(MessageType.Propose, this.leaderId, { entries: [entry] });
      return { kind: 'forwarded', leaderId: this.leaderId };
    }
    const reason = this.checkProposal(type, data);
    if (reason !== null) return { kind: 'dropped', reason };
    const entry: Entry = { term: this.term, index: this.log.lastIndex() + 1, type, data };
    this.log.append([entry]);
    this.uncommittedBytes += data.length;
    if (type === EntryType.ConfChange) this.pendingConfIndex = entry.index;
    this.appendsPending = true;
    return { kind: 'accepted', index: entry.index, term: entry.term };
  }

  private checkProposal(type: EntryType, data: Uint8Array): DropReason | null {
    if (!this.currentMembership.voters.includes(this.id)) return DropReason.Removed;
    if (this.leadTransferee !== NONE) return DropReason.TransferInProgress;
    if (this.uncommittedBytes > 0 &&
      this.uncommittedBytes + data.length > this.config.uncommittedBytesMax) {
      return DropReason.TooManyUncommitted;
    }
    if (type === EntryType.ConfChange) {
      if (this.pendingConfIndex > this.log.applied) return DropReason.ConfChangePending;
      const change = decodeConfChange(data);
      if (change === null) return DropReason.Invalid;
      if (applyConfChange(this.currentMembership, change) === null) {
        return DropReason.InvalidConfChange;
      }
    }
    return null;
  }

  private handleForwardedProposal(message: Message): boolean {
    if (!isMember(this.currentMembership, message.from)) return false;
    for (const entry of message.entries) {
      // Forwarded proposals that cannot be accepted are dropped; their clients time out.
      this.proposeEntry(entry.type, entry.data);
    }
    return true;
  }

  private handleAppendResponse(message: Message): boolean {
    const pr = this.progress.get(message.from);
    if (pr === undefined) return false;
    pr.recentActive = true;
    if (message.reject) {
      const probe = this.log.findConflictByTerm(message.rejectHint, message.logTerm);
      if (pr.maybeDecreaseTo(message.index, probe.index)) {
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        this.sendAppend(message.from, true);
      }
      return true;
    }
    if (message.index > this.log.lastIndex()) return false;
    const oldPaused = pr.isPaused();
    if (!pr.maybeUpdate(message.index)) {
      if (oldPaused && !pr.isPaused()) this.sendAppend(message.from, false);
      return true;
    }
    if (pr.state === ProgressState.Probe) pr.becomeReplicate();
    else if (pr.state === ProgressState.Snapshot && pr.match >= pr.pendingSnapshotIndex) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === ProgressState.Replicate) pr.inflights.freeLE(message.index);
    if (this.maybeCommit()) this.appendsPending = true;
    else while (this.sendAppend(message.from, false)) { /* fill the pipeline */ }
    if (message.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send(MessageType.TimeoutNow, message.from, {});
    }
    return true;
  }

  private handleHeartbeatResponse(message: Message): boolean {
    const pr = this.progress.get(message.from);
    if (pr === undefined) return false;
    pr.recentActive = true;
    pr.probeSent = false;
    if (pr.state === ProgressState.Replicate && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.log.lastIndex() && pr.state !== ProgressState.Snapshot) {
      this.sendAppend(message.from, true);
    }
    if (pr.isLearner) return true;
    this.readOnly.acknowledge(message.from, message.context);
    this.releaseReads();
    return true;
  }

  private handleSnapshotResponse(message: Message): boolean {
    const pr = this.progress.get(message.from);
    if (pr === undefined) return false;
    pr.recentActive = true;
    if (pr.state !== ProgressState.Snapshot || message.index !== pr.pendingSnapshotIndex) {
      return false;
    }
    if (message.reject) {
      pr.becomeProbe();
      return true;
    }
    pr.snapshotOffset = message.rejectHint;
    pr.snapshotStallTicks = 0;
    this.sendSnapshotChunk(message.from, pr);
    return true;
  }

  private startTransfer(target: NodeId): void {
    if (this.leadTransferee === target) return;
    this.leadTransferee = target;
    this.electionElapsed = 0;
    this.config.logger.info({ nodeId: this.id, target, term: this.term }, 'transferring leadership');
    const pr = this.progress.get(target);
    if (pr !== undefined && pr.match === this.log.lastIndex()) {
      this.send(MessageType.TimeoutNow, target, {});
    } else {
      this.sendAppend(target, true);
    }
  }

  private maybeCommit(): boolean {
    const quorumIndex = this.quorumMatchIndex();
    // Figure 8: only entries of the current term are committed by counting replicas.
    if (quorumIndex <= this.log.committed || this.log.termAt(quorumIndex) !== this.term) {
      return false;
    }
    for (let index = this.log.committed + 1; index <= quorumIndex; index++) {
      this.uncommittedBytes -= this.log.entry(index)?.data.length ?? 0;
    }
    this.uncommittedBytes = Math.max(0, this.uncommittedBytes);
    this.log.commitTo(quorumIndex);
    return true;
  }

  /**
   * Returns the highest index that a quorum of voters has matched: the largest match index
   * at least `quorumSize` voters have reached. NB: no sorting and no arrays, as it runs on
   * every append response (it was ~3% of the leader's allocations, issue 5); voters are few.
   */
  private quorumMatchIndex(): number {
    const voters = this.currentMembership.voters;
    const quorum = quorumSize(this.currentMembership);
    let best = 0;
    for (const candidate of voters) {
      const index = this.progress.get(candidate)?.match ?? 0;
      if (index <= best) continue;
      let reached = 0;
      for (const voter of voters) {
        if ((this.progress.get(voter)?.match ?? 0) >= index) reached++;
      }
      if (reached >= quorum) best = index;
    }
    assert(best >= 0, 'a quorum index is never negative');
    return best;
  }

  /**
   * Sends what `appendsPending` held back: to each follower every entry it lacks, within its
   * inflight window and `messageBytesMax` per Append, or one empty Append carrying the commit
   * index. Proposals stepped together thus leave as ONE Append per follower, as etcd's
   * MsgProp with many entries does, and so does the commit advance of several responses:
   * per-proposal appends cost a message, a response and a step each on every peer (measured
   * at 256 puts in flight: ~2 Appends per entry per follower before this batching).
   */
  private flushAppends(): void {
    if (!this.appendsPending) return;
    this.appendsPending = false;
    if (this.role !== Role.Leader) return;
    for (const id of this.progress.keys()) {
      if (id === this.id) continue;
      let sent = false;
      while (this.sendAppend(id, false)) sent = true;
      if (!sent) this.sendAppend(id, true);
    }
    assert(!this.appendsPending, 'sending appends queues no further broadcast');
  }

  private bcastAppend(): void {
    for (const id of this.progress.keys()) {
      if (id !== this.id) this.sendAppend(id, true);
    }
  }

  private bcastHeartbeat(round: number): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      this.send(MessageType.Heartbeat, id, {
        commit: Math.min(pr.match, this.log.committed), context: round,
      });
    }
  }

  /** Sends the next append to `to` if its progress allows; returns true when one was sent. */
  private sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    assert(pr.next <= this.log.lastIndex() + 1, 'next index beyond the log');
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.termAt(prevIndex);
    const entries = prevTerm === null ? null
      : this.log.slice(pr.next, this.log.lastIndex() + 1, this.config.messageBytesMax);
    if (prevTerm === null || entries === null) {
      pr.becomeSnapshot(this.log.snapshotMeta.index);
      this.sendSnapshotChunk(to, pr);
      return false;
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send(MessageType.Append, to, {
      index: prevIndex, logTerm: prevTerm, entries, commit: this.log.committed,
    });
    const last = entries.at(-1);
    if (pr.state === ProgressState.Replicate && last !== undefined) {
      pr.next = last.index + 1;
      pr.inflights.add(last.index);
    } else if (pr.state === ProgressState.Probe) {
      pr.probeSent = true;
    }
    return entries.length > 0;
  }

  private sendSnapshotChunk(to: NodeId, pr: Progress): void {
    const data = this.log.snapshotData;
    assert(data !== null, 'a compacted log must have snapshot data');
    if (pr.pendingSnapshotIndex !== this.log.snapshotMeta.index) {
      // A newer snapshot replaced the one in transfer: start over with it.
      pr.becomeSnapshot(this.log.snapshotMeta.index);
    }
    const offset = Math.min(pr.snapshotOffset, data.byteLength);
    const end = Math.min(offset + this.config.snapshotChunkBytes, data.byteLength);
    const chunk = data.subarray(offset, end);
    assert(chunk.length === end - offset, 'snapshot data returns the piece asked for');
    this.send(MessageType.Snapshot, to, {
      snapshot: {
        meta: this.log.snapshotMeta, offset, totalBytes: data.byteLength,
        data: chunk, done: end === data.byteLength,
      },
    });
  }

  // ------------------------------------------------------------------ reads

  private committedInTerm(): boolean {
    return this.log.termAt(this.log.committed) === this.term;
  }

  private flushReadRequests(): void {
    if (this.role !== Role.Leader || this.readRequests.length === 0) return;
    // Thesis §6.4 step 1: a new leader serves reads only after committing in its term.
    if (!this.committedInTerm()) return;
    const requests = this.readRequests;
    this.readRequests = [];
    const round = this.readOnly.startRound(requests, this.log.committed);
    if (this.currentMembership.voters.length > 1) this.bcastHeartbeat(round);
    this.releaseReads();
  }

  private releaseReads(): void {
    const released = this.readOnly.release(this.id, this.currentMembership.voters,
      quorumSize(this.currentMembership));
    for (const read of released) {
      if (read.from === this.id) {
        this.readStates.push({ requestId: read.requestId, index: read.index });
      } else {
        this.send(MessageType.ReadIndexResponse, read.from, {
          context: read.requestId, index: read.index,
        });
      }
    }
  }

  // ------------------------------------------------------------------ membership

  private membershipAt(index: number): Membership {
    let result = this.membershipHistory[0]!.membership;
    for (const record of this.membershipHistory) {
      if (record.index <= index) result = record.membership;
    }
    return result;
  }

  private applyEntryMembership(entry: Entry): void {
    if (entry.type !== EntryType.ConfChange) return;
    const change = decodeConfChange(entry.data);
    const next = change === null ? null : applyConfChange(this.currentMembership, change);
    if (change === null || next === null) return;
    this.currentMembership = next;
    this.membershipHistory.push({ index: entry.index, membership: next });
    assert(this.membershipHistory.length < 100_000, 'membership history grows without bound');
    if (!isMember(next, change.nodeId)) this.removed.add(change.nodeId);
    this.config.logger.info({ nodeId: this.id, change: change.type, target: change.nodeId,
      index: entry.index }, 'membership changed');
    if (this.role === Role.Leader) this.applyLeaderMembership(next);
  }

  private applyLeaderMembership(next: Membership): void {
    if (!next.voters.includes(this.id)) {
      // The leader removed itself: it steps down once the removal is applied (§4.2.2).
      this.becomeFollower(this.term, NONE);
      return;
    }
    for (const id of [...this.progress.keys()]) {
      if (!isMember(next, id)) this.progress.delete(id);
    }
    for (const id of members(next)) {
      const existing = this.progress.get(id);
      if (existing === undefined) this.addProgress(id);
      else if (existing.isLearner !== next.learners.includes(id)) {
        const promoted = new Progress(existing.next, this.config.inflightMessagesMax, false);
        promoted.match = existing.match;
        promoted.recentActive = true;
        this.progress.set(id, promoted);
      }
    }
    if (this.leadTransferee !== NONE && !next.voters.includes(this.leadTransferee)) {
      this.leadTransferee = NONE;
    }
    // A smaller quorum may commit at once; either way members learn the new state.
    this.maybeCommit();
    this.bcastAppend();
  }

  // ------------------------------------------------------------------ helpers

  private send(type: MessageType, to: NodeId, fields: MessageFields): void {
    this.messages.push({
      type, from: this.id, to,
      term: fields.term ?? (isForwardedRequest(type) ? 0 : this.term),
      logTerm: fields.logTerm ?? 0, index: fields.index ?? 0, entries: fields.entries ?? [],
      commit: fields.commit ?? 0, reject: fields.reject ?? false,
      rejectHint: fields.rejectHint ?? 0, context: fields.context ?? 0,
      snapshot: fields.snapshot ?? null,
    });
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private softState(): SoftState {
    return { leaderId: this.leaderId, role: this.role, term: this.term };
  }

  private assertNotInReady(): void {
    assert(this.inReady === null, 'inputs are not allowed between ready() and advance()');
  }
}

function isForwardedRequest(type: MessageType): boolean {
  switch (type) {
    case MessageType.Propose:
    case MessageType.ReadIndex:
    case MessageType.TransferLeader:
      return true;
    case MessageType.Append:
    case MessageType.AppendResponse:
    case MessageType.Vote:
    case MessageType.VoteResponse:
    case MessageType.PreVote:
    case MessageType.PreVoteResponse:
    case MessageType.Heartbeat:
    case MessageType.HeartbeatResponse:
    case MessageType.Snapshot:
    case MessageType.SnapshotResponse:
    case MessageType.ReadIndexResponse:
    case MessageType.TimeoutNow:
      return false;
    default:
      return assertNever(type, 'message type');
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.term === b.term && a.leaderId === b.leaderId && a.role === b.role;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const result = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    result.set(chunk, offset);
    offset += chunk.length;
  }
  return result;
}
