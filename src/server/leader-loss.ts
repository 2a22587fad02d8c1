/**
 * @module server/leader-loss
 * Turns the transport's "peer unreachable" hints into Raft's `forgetLeader`, so that a
 * leader whose process died is replaced in a fraction of the election timeout. The peer's
 * loop owns it with the RaftNode: `report` only queues, `handleReports` and `tick` run in
 * the loop between Readys.
 *
 * ```
 *  transport: stream to/from L broke ─► report(L) ─► handleReports(): L is our leader?
 *     ─► raft.forgetLeader()  (out of lease: grants pre-votes at once; no campaign yet)
 *     ─► own campaign due after rank × staggerTicks ticks ─► tick(): due, still leaderless
 *        ─► raft.forgetLeader({ campaignWithinTicks })  (campaigns within 1..n ticks)
 * ```
 * Every survivor forgets the leader at once, but they campaign one after another, in the
 * order of their ids (rank 0 at once, rank 1 only if no leader was elected in between, …).
 * NB: all survivors learn of the death within a few ms of each other. When each drew its
 * own random 1..3 ticks instead, two of them sometimes campaigned within one pre-vote
 * round trip, each granted the other's pre-vote, and they split the vote, which costs a
 * whole randomized election timeout (1-2 s): 5 of about 260 measured failovers, mostly the
 * first one of a fresh cluster, whose first pre-votes are slow. Turns at least one tick
 * apart never overlap. If rank 0 campaigns before the others forgot the leader (they
 * ignore its pre-vote), or is dead too, rank 1's turn comes `staggerTicks` later.
 *
 * A wrong hint (the leader is alive, only a connection was reset) is harmless: the
 * leader's next heartbeat restores it, the other followers still in lease ignore the early
 * pre-vote, and the term does not move (RaftNode.forgetLeader).
 */
import type { RaftNode } from '../raft/raft.js';
import { NONE, Role } from '../raft/types.js';
import type { NodeId } from '../raft/types.js';
import { assert } from '../util/assert.js';
import type { Logger } from '../util/logger.js';

/** Hints waiting for the loop at most; beyond, new ones are dropped (one per peer). */
export const unreachableReportsMax = 64;

/** The part of the Raft core this module drives. */
export type LeaderLossRaft = Pick<RaftNode, 'status' | 'forgetLeader'>;

/** Options of the leader-loss handling. */
export interface LeaderLossOptions {
  readonly memberId: NodeId;
  /**
   * A survivor campaigns within this many ticks once its turn came (forgetLeader's
   * `campaignWithinTicks`; range 1..2×electionTicks).
   */
  readonly campaignWithinTicks: number;
  /** Ticks between two survivors' turns (>= campaignWithinTicks + 1, so turns never overlap). */
  readonly staggerTicks: number;
  readonly logger: Logger;
}

interface ForgottenLeader {
  readonly leaderId: NodeId;
  readonly term: number;
  /** The tick count at which this peer's own campaign is due. */
  readonly campaignAtTick: number;
}

/** LeaderLoss handles reports of an unreachable leader (see the module comment). */
export class LeaderLoss {
  private readonly reported = new Set<NodeId>();
  private forgotten: ForgottenLeader | null = null;
  private ticks = 0;

  /** Creates the handler; it does nothing until a peer is reported. */
  constructor(private readonly options: LeaderLossOptions) {
    assert(Number.isSafeInteger(options.campaignWithinTicks) && options.campaignWithinTicks >= 1,
      'campaignWithinTicks must be a positive integer');
    assert(Number.isSafeInteger(options.staggerTicks), 'staggerTicks must be an integer');
    assert(options.staggerTicks > options.campaignWithinTicks,
      'staggerTicks must exceed campaignWithinTicks');
  }

  /** Queues the transport's hint that peer `id` looks dead; the loop looks at it next. */
  report(id: NodeId): void {
    if (this.reported.size >= unreachableReportsMax) return;
    this.reported.add(id);
  }

  /**
   * Looks at the queued reports (in the loop, after stepping the inbox): if one names this
   * follower's leader, Raft forgets it and this peer's own campaign is scheduled. Returns
   * true when it forgot the leader.
   */
  handleReports(raft: LeaderLossRaft): boolean {
    if (this.reported.size === 0) return false;
    const status = raft.status();
    const leaderReported = this.reported.has(status.leaderId);
    this.reported.clear();
    if (status.role !== Role.Follower || status.leaderId === NONE || !leaderReported) {
      return false;
    }
    const survivors = status.membership.voters.filter((id) => id !== status.leaderId);
    const rank = [...survivors].sort((a, b) => a - b).indexOf(this.options.memberId);
    this.options.logger.info({ leader: status.leaderId, term: status.term, rank },
      'leader stream broke: forgetting the leader');
    raft.forgetLeader();
    // A learner (rank -1) only forgets: it never campaigns.
    this.forgotten = rank < 0 ? null : {
      leaderId: status.leaderId, term: status.term,
      campaignAtTick: this.ticks + rank * this.options.staggerTicks,
    };
    this.maybeCampaign(raft);
    return true;
  }

  /** Counts one Raft tick (call right after `raft.tick()`); starts a campaign when due. */
  tick(raft: LeaderLossRaft): void {
    this.ticks++;
    if (this.forgotten !== null) this.maybeCampaign(raft);
  }

  /** Shortens Raft's wait when this peer's turn came; returns true if it did. */
  private maybeCampaign(raft: LeaderLossRaft): boolean {
    const forgotten = this.forgotten;
    if (forgotten === null) return false;
    const status = raft.status();
    // A leader is back (the old one, alive after all, or a new one), an election moved
    // the term, or this peer campaigns already: nothing left to do.
    if (status.role !== Role.Follower || status.leaderId !== NONE ||
      status.term !== forgotten.term) {
      this.forgotten = null;
      return false;
    }
    if (this.ticks < forgotten.campaignAtTick) return false;
    this.forgotten = null;
    raft.forgetLeader({ campaignWithinTicks: this.options.campaignWithinTicks });
    return true;
  }
}
