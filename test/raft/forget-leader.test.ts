/**
 * Goal: `RaftNode.forgetLeader` keeps etcd-raft's `ForgetLeader` semantics (raft 3.6): a
 * follower drops its leader without campaigning or changing term, is out of lease at once
 * (grants pre-votes an in-lease follower ignores), returns to the leader on its next
 * heartbeat, and leaders and candidates ignore it; with `campaignWithinTicks: n` it
 * campaigns within n ticks (never later than it would have), still through pre-vote and the
 * promotable check. A wrong forget (the leader is alive) must neither change the term nor
 * move leadership.
 * Method: a synchronous TestCluster; a dead peer is a filter dropping everything to and
 * from it; pre-votes are stepped by hand where the test needs to see the raw answer.
 */
import { describe, expect, it } from 'vitest';
import { ConfChangeType, MessageType, Role } from '../../src/raft/types.js';
import type { Message, NodeId } from '../../src/raft/types.js';
import { SeededRandom } from '../../src/util/prng.js';
import { TestCluster, data } from './harness.js';

/** Returns a pre-vote from `from` to `to` for the next term with `to`'s own last entry. */
function preVote(cluster: TestCluster, from: NodeId, to: NodeId): Message {
  const status = cluster.raft(to).status();
  return {
    type: MessageType.PreVote, from, to, term: status.term + 1,
    index: status.lastIndex, logTerm: cluster.raft(to).termAt(status.lastIndex) ?? 0,
    entries: [], commit: 0, reject: false, rejectHint: 0, context: 0, snapshot: null,
  };
}

/** Returns the pre-vote answers `from` sent to `to` since `since` deliveries. */
function preVoteAnswers(cluster: TestCluster, from: NodeId, to: NodeId, since: number):
  Message[] {
  return cluster.delivered.slice(since).filter((m) =>
    m.type === MessageType.PreVoteResponse && m.from === from && m.to === to);
}

/** Drops every message to or from `dead`, as if its process had been killed. */
function kill(cluster: TestCluster, dead: NodeId): void {
  cluster.filter = (m) => m.to !== dead && m.from !== dead;
}

/** Ticks `id` alone (its messages dropped) and returns the ticks until it campaigns. */
function ticksUntilCampaign(cluster: TestCluster, id: NodeId, ticksMax: number): number {
  cluster.filter = (m) => m.from !== id && m.to !== id;
  for (let ticks = 1; ticks <= ticksMax; ticks++) {
    cluster.tick(id);
    if (cluster.raft(id).status().role !== Role.Follower) return ticks;
  }
  return Infinity;
}

describe('forgetLeader (etcd-raft ForgetLeader)', () => {
  it('a follower drops its leader but keeps its term and vote, and does not campaign', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    const before = cluster.raft(2).status();
    cluster.raft(2).forgetLeader();
    cluster.stabilize();
    const after = cluster.raft(2).status();
    expect(after.leaderId).toBe(0);
    expect(after.role).toBe(Role.Follower);
    expect(after.term).toBe(before.term);
    expect(after.vote).toBe(before.vote);
    // Without campaignWithinTicks the wait is untouched: a few ticks start nothing.
    kill(cluster, 1);
    cluster.tick(2, 5);
    expect(cluster.raft(2).status().role).toBe(Role.Follower);
    expect(cluster.raft(2).status().term).toBe(before.term);
  });

  it('a leaderless follower grants a pre-vote at once; an in-lease one ignores it', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    cluster.raft(2).forgetLeader();
    let since = cluster.delivered.length;
    expect(cluster.raft(2).step(preVote(cluster, 3, 2))).toBe(true);
    cluster.stabilize();
    expect(preVoteAnswers(cluster, 2, 3, since).map((m) => m.reject)).toEqual([false]);
    // 3 still heard from the leader within the election timeout: leader stickiness.
    since = cluster.delivered.length;
    expect(cluster.raft(3).step(preVote(cluster, 2, 3))).toBe(false);
    cluster.stabilize();
    expect(preVoteAnswers(cluster, 3, 2, since)).toEqual([]);
  });

  it('returns to the leader (and to its lease) on the next heartbeat', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    cluster.raft(2).forgetLeader();
    expect(cluster.raft(2).status().leaderId).toBe(0);
    cluster.tick(1);
    expect(cluster.raft(2).status().leaderId).toBe(1);
    const since = cluster.delivered.length;
    expect(cluster.raft(2).step(preVote(cluster, 3, 2))).toBe(false);
    cluster.stabilize();
    expect(preVoteAnswers(cluster, 2, 3, since)).toEqual([]);
  });

  it('leaders, candidates and pre-candidates ignore it', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    cluster.raft(1).forgetLeader({ campaignWithinTicks: 1 });
    expect(cluster.raft(1).hasReady()).toBe(false);
    expect(cluster.raft(1).status().leaderId).toBe(1);
    expect(ticksUntilCampaign(cluster, 3, 100)).toBeLessThan(100);
    const preCandidate = cluster.raft(3).status();
    expect(preCandidate.role).toBe(Role.PreCandidate);
    cluster.raft(3).forgetLeader({ campaignWithinTicks: 1 });
    expect(cluster.raft(3).hasReady()).toBe(false);
    expect(cluster.raft(3).status()).toEqual(preCandidate);
    const candidates = new TestCluster([1, 2, 3], { preVote: false });
    candidates.elect(1);
    expect(ticksUntilCampaign(candidates, 3, 100)).toBeLessThan(100);
    const candidate = candidates.raft(3).status();
    expect(candidate.role).toBe(Role.Candidate);
    candidates.raft(3).forgetLeader({ campaignWithinTicks: 1 });
    expect(candidates.raft(3).hasReady()).toBe(false);
    expect(candidates.raft(3).status()).toEqual(candidate);
  });

  it.each([1, 2, 3, 5])('campaignWithinTicks %i: campaigns after 1..n ticks, all of them used',
    (within) => {
      const seen = new Set<number>();
      for (let trial = 0; trial < 40; trial++) {
        // One PRNG shared by the nodes, seeded per trial.
        const cluster = new TestCluster([1, 2, 3], { random: new SeededRandom(trial + 1) });
        cluster.elect(1);
        cluster.raft(2).forgetLeader({ campaignWithinTicks: within });
        const ticks = ticksUntilCampaign(cluster, 2, 100);
        expect(ticks).toBeGreaterThanOrEqual(1);
        expect(ticks).toBeLessThanOrEqual(within);
        // Still through pre-vote: forgetting alone never bumps the term.
        expect(cluster.raft(2).status().role).toBe(Role.PreCandidate);
        seen.add(ticks);
      }
      expect(seen.size).toBe(within);
    });

  it('never lengthens the wait of a follower that was about to campaign', () => {
    // Two identical clusters (same seeds): the first tells when 2 would campaign anyway.
    const probe = new TestCluster([1, 2, 3]);
    probe.elect(1);
    const dueTicks = ticksUntilCampaign(probe, 2, 100);
    expect(dueTicks).toBeLessThan(100);
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    cluster.filter = (m) => m.from !== 2 && m.to !== 2;
    cluster.tick(2, dueTicks - 1);
    expect(cluster.raft(2).status().role).toBe(Role.Follower);
    cluster.raft(2).forgetLeader({ campaignWithinTicks: 20 });
    expect(ticksUntilCampaign(cluster, 2, 100)).toBe(1);
  });

  it('once a quorum forgot a dead leader, a new one is elected within n ticks', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    cluster.raft(1).propose(data('before'));
    cluster.stabilize();
    const term = cluster.raft(1).status().term;
    kill(cluster, 1);
    for (const id of [2, 3]) cluster.raft(id).forgetLeader({ campaignWithinTicks: 3 });
    for (let round = 0; round < 3 && cluster.leaders().every((id) => id === 1); round++) {
      cluster.tick(2);
      cluster.tick(3);
    }
    const [leader] = cluster.leaders().filter((id) => id !== 1);
    expect(leader).toBeDefined();
    expect(cluster.raft(leader!).status().term).toBe(term + 1);
    expect(cluster.raft(leader!).propose(data('after')).kind).toBe('accepted');
    cluster.stabilize();
    for (const id of [2, 3]) expect(cluster.node(id).appliedData).toEqual(['before', 'after']);
  });

  it('without a quorum of forgetters the dead leader is replaced only after the timeout',
    () => {
      const cluster = new TestCluster([1, 2, 3]);
      cluster.elect(1);
      const term = cluster.raft(1).status().term;
      kill(cluster, 1);
      cluster.raft(2).forgetLeader({ campaignWithinTicks: 1 });
      // 2 campaigns at once, but 3 still in lease ignores it: no new term, no leader.
      cluster.tick(2);
      expect(cluster.raft(2).status().role).toBe(Role.PreCandidate);
      cluster.tick(3, 5);
      expect(cluster.raft(3).status().term).toBe(term);
      expect(cluster.leaders()).toEqual([1]);
      // After 3's election timeout the usual election replaces the leader.
      for (let round = 0; round < 40 && cluster.leaders().every((id) => id === 1); round++) {
        cluster.tick(2);
        cluster.tick(3);
      }
      expect(cluster.leaders().filter((id) => id !== 1)).toHaveLength(1);
    });

  it('a wrong forget (the leader is alive) moves neither the term nor the leadership', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    const term = cluster.raft(1).status().term;
    // The stream broke but the leader lives: 2 campaigns before the next heartbeat.
    cluster.raft(2).forgetLeader({ campaignWithinTicks: 1 });
    const since = cluster.delivered.length;
    cluster.tick(2);
    expect(cluster.raft(2).status().role).toBe(Role.PreCandidate);
    const asked = cluster.delivered.slice(since).filter((m) => m.type === MessageType.PreVote);
    expect(asked.map((m) => m.to).sort()).toEqual([1, 3]);
    // The leader and the in-lease follower ignore the pre-vote, so nobody answers it.
    expect(cluster.delivered.slice(since)
      .filter((m) => m.type === MessageType.PreVoteResponse)).toEqual([]);
    cluster.tick(1);
    for (const id of [1, 2, 3]) {
      expect(cluster.raft(id).status().term).toBe(term);
      expect(cluster.raft(id).status().leaderId).toBe(1);
    }
    expect(cluster.raft(2).status().role).toBe(Role.Follower);
    cluster.raft(2).propose(data('still-led-by-1'));
    cluster.stabilize();
    for (const id of [1, 2, 3]) expect(cluster.node(id).appliedData).toEqual(['still-led-by-1']);
  });

  it('a learner that forgets its leader never campaigns (promotable still applies)', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    cluster.addJoiner(4);
    cluster.raft(1).proposeConfChange({ type: ConfChangeType.AddLearner, nodeId: 4,
      context: new Uint8Array(0) });
    cluster.stabilize();
    cluster.tickAll(2);
    expect(cluster.raft(4).status().leaderId).toBe(1);
    cluster.raft(4).forgetLeader({ campaignWithinTicks: 1 });
    expect(ticksUntilCampaign(cluster, 4, 50)).toBe(Infinity);
  });

  it('rejects campaignWithinTicks outside 1..2×electionTicks (programmer error)', () => {
    const cluster = new TestCluster([1, 2, 3], { electionTicks: 10 });
    cluster.elect(1);
    for (const within of [0, -1, 1.5, 21]) {
      expect(() => cluster.raft(2).forgetLeader({ campaignWithinTicks: within })).toThrow();
    }
    cluster.raft(2).forgetLeader({ campaignWithinTicks: 20 });
  });
});
