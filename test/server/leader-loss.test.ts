/**
 * Goal: the peer's leader-loss handling turns "peer unreachable" reports into
 * `forgetLeader` only for the current leader of a follower; the survivors then campaign in
 * turn (rank 0 within campaignWithinTicks, rank 1 only after staggerTicks and only if no
 * leader came meanwhile), so they do not split the vote; a wrong report (the leader is
 * alive) changes neither the term nor the leadership.
 * Method: real Raft cores in the synchronous TestCluster (test/raft/harness.ts); a dead
 * peer is a filter dropping everything to and from it; each survivor has its own LeaderLoss,
 * driven as the peer loop drives it (handleReports after the inbox, tick after each tick).
 */
import { describe, expect, it } from 'vitest';
import { Role } from '../../src/raft/types.js';
import type { NodeId } from '../../src/raft/types.js';
import { LeaderLoss } from '../../src/server/leader-loss.js';
import { CapturingLogger } from '../../src/util/logger.js';
import { TestCluster } from '../raft/harness.js';

const campaignWithinTicks = 1;
const staggerTicks = 2;

function lossFor(id: NodeId, logger = new CapturingLogger()): LeaderLoss {
  return new LeaderLoss({ memberId: id, campaignWithinTicks, staggerTicks, logger });
}

/** Cuts every link to and from `dead` (a killed process). */
function kill(cluster: TestCluster, dead: readonly NodeId[]): void {
  cluster.filter = (m) => !dead.includes(m.to) && !dead.includes(m.from);
}

/** Ticks each of `ids` once as the peer loop does, then delivers everything. */
function tickRound(cluster: TestCluster, losses: ReadonlyMap<NodeId, LeaderLoss>): void {
  for (const [id, loss] of losses) {
    cluster.raft(id).tick();
    loss.tick(cluster.raft(id));
    cluster.stabilize();
  }
}

/** Reports `dead` to every survivor's LeaderLoss and lets each loop look at it. */
function reportDeath(cluster: TestCluster, losses: ReadonlyMap<NodeId, LeaderLoss>,
  dead: NodeId): void {
  for (const [id, loss] of losses) {
    loss.report(dead);
    loss.handleReports(cluster.raft(id));
    cluster.stabilize();
  }
}

describe('LeaderLoss', () => {
  it('the survivors forget a dead leader and rank 0 is elected within its ticks', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    const term = cluster.raft(1).status().term;
    const logger = new CapturingLogger();
    const losses = new Map([[2, lossFor(2, logger)], [3, lossFor(3)]]);
    kill(cluster, [1]);
    reportDeath(cluster, losses, 1);
    for (const id of [2, 3]) expect(cluster.raft(id).status().leaderId).toBe(0);
    expect(logger.lines.map((line) => [line.message, line.fields.rank])).toEqual([
      ['leader stream broke: forgetting the leader', 0],
    ]);
    for (let round = 0; round < campaignWithinTicks; round++) tickRound(cluster, losses);
    expect(cluster.leaders()).toEqual(expect.arrayContaining([2]));
    expect(cluster.raft(2).status().term).toBe(term + 1);
    expect(cluster.raft(3).status().leaderId).toBe(2);
    // 3's turn never comes: it has a leader again.
    tickRound(cluster, losses);
    tickRound(cluster, losses);
    expect(cluster.raft(3).status().role).toBe(Role.Follower);
    expect(cluster.raft(3).status().term).toBe(term + 1);
  });

  it('rank 1 campaigns after staggerTicks when rank 0 is dead too', () => {
    const cluster = new TestCluster([1, 2, 3, 4, 5]);
    cluster.elect(1);
    const term = cluster.raft(1).status().term;
    const losses = new Map([3, 4, 5].map((id) => [id, lossFor(id)] as const));
    kill(cluster, [1, 2]);
    reportDeath(cluster, losses, 1);
    for (let round = 0; round < staggerTicks; round++) tickRound(cluster, losses);
    expect(cluster.leaders()).toEqual([1]);
    for (let round = 0; round < campaignWithinTicks; round++) tickRound(cluster, losses);
    expect(cluster.leaders()).toEqual(expect.arrayContaining([3]));
    expect(cluster.raft(3).status().term).toBe(term + 1);
  });

  it('ignores a report that does not name the leader, and reports at the leader', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    const follower = lossFor(2);
    follower.report(3);
    expect(follower.handleReports(cluster.raft(2))).toBe(false);
    expect(cluster.raft(2).status().leaderId).toBe(1);
    const leader = lossFor(1);
    leader.report(2);
    expect(leader.handleReports(cluster.raft(1))).toBe(false);
    expect(cluster.raft(1).status().role).toBe(Role.Leader);
  });

  it('a wrong report (the leader lives) moves neither the term nor the leadership', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    const term = cluster.raft(1).status().term;
    const losses = new Map([[2, lossFor(2)]]);
    reportDeath(cluster, losses, 1);
    expect(cluster.raft(2).status().leaderId).toBe(0);
    // 2 campaigns before the next heartbeat; 3 (in lease) and the leader ignore it.
    tickRound(cluster, losses);
    expect(cluster.raft(2).status().role).toBe(Role.PreCandidate);
    cluster.tick(1);
    for (const id of [1, 2, 3]) {
      expect(cluster.raft(id).status().term).toBe(term);
      expect(cluster.raft(id).status().leaderId).toBe(1);
    }
  });

  it('a leader heard before its turn cancels the campaign of rank 1', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    const term = cluster.raft(1).status().term;
    const losses = new Map([[3, lossFor(3)]]);
    reportDeath(cluster, losses, 1);
    expect(cluster.raft(3).status().leaderId).toBe(0);
    cluster.tick(1);
    expect(cluster.raft(3).status().leaderId).toBe(1);
    // Its turn passes with a leader in place: no campaign, it stays in lease.
    for (let round = 0; round < staggerTicks + campaignWithinTicks + 2; round++) {
      tickRound(cluster, losses);
      cluster.tick(1);
    }
    expect(cluster.raft(3).status().role).toBe(Role.Follower);
    expect(cluster.raft(3).status().term).toBe(term);
  });

  it('rejects a stagger that would let two turns overlap (programmer error)', () => {
    const logger = new CapturingLogger();
    expect(() => new LeaderLoss({ memberId: 1, campaignWithinTicks: 2, staggerTicks: 2,
      logger })).toThrow();
    expect(() => new LeaderLoss({ memberId: 1, campaignWithinTicks: 0, staggerTicks: 2,
      logger })).toThrow();
  });
});
