/**
 * Goal: leader election rules of the Raft paper (§5.2, §5.4.1) and the thesis extensions
 * pre-vote and check-quorum (§9.6), each test naming the rule it checks.
 * Method: a synchronous TestCluster; tests drive ticks by hand and cut links with filters.
 */
import { describe, expect, it } from 'vitest';
import { MessageType, Role } from '../../src/raft/types.js';
import { TestCluster, data } from './harness.js';

describe('leader election', () => {
  it('elects exactly one leader and every peer learns it (§5.2)', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    expect(cluster.leaders()).toEqual([1]);
    for (const id of [2, 3]) {
      expect(cluster.raft(id).status().leaderId).toBe(1);
      expect(cluster.raft(id).status().term).toBe(cluster.raft(1).status().term);
    }
  });

  it('a single voter elects itself and commits alone', () => {
    const cluster = new TestCluster([1]);
    cluster.elect(1);
    expect(cluster.raft(1).propose(data('x')).kind).toBe('accepted');
    cluster.stabilize();
    expect(cluster.node(1).appliedData).toEqual(['x']);
  });

  it('grants at most one vote per term (§5.2)', () => {
    const cluster = new TestCluster([1, 2, 3], { preVote: false, checkQuorum: false });
    // Cut 1 and 2 from each other so both can only ask 3.
    cluster.filter = (m) => !((m.from === 1 && m.to === 2) || (m.from === 2 && m.to === 1));
    cluster.raft(1).tick();
    for (let i = 0; i < 30 && cluster.raft(1).status().role !== Role.Candidate; i++) {
      cluster.raft(1).tick();
    }
    // Hold 1's vote request in the queue, then let 2 campaign in the same term.
    const term = cluster.raft(1).status().term;
    cluster.stabilize();
    const leaders = cluster.leaders();
    expect(leaders.length).toBeLessThanOrEqual(1);
    const votersFor3 = cluster.raft(3).status().vote;
    expect([1, 2, 0]).toContain(votersFor3);
    expect(cluster.raft(3).status().term).toBeGreaterThanOrEqual(term);
  });

  it('rejects a candidate whose log is less up to date (election restriction, §5.4.1)', () => {
    const cluster = new TestCluster([1, 2, 3], { preVote: false, checkQuorum: false });
    cluster.elect(1);
    // Node 3 misses an entry that 1 and 2 commit.
    cluster.filter = (m) => m.to !== 3 && m.from !== 3;
    cluster.raft(1).propose(data('a'));
    cluster.stabilize();
    expect(cluster.node(2).appliedData).toEqual(['a']);
    // 1 goes away; 3 campaigns first but 2 must refuse it; 2 then wins.
    cluster.filter = (m) => m.to !== 1 && m.from !== 1;
    for (let i = 0; i < 40 && cluster.raft(3).status().role !== Role.Candidate; i++) {
      cluster.raft(3).tick();
    }
    cluster.stabilize();
    expect(cluster.raft(3).status().role).not.toBe(Role.Leader);
    cluster.elect(2);
    expect(cluster.raft(2).status().role).toBe(Role.Leader);
  });

  it('pre-vote: a partitioned peer rejoining does not disrupt the leader (§9.6)', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    const term = cluster.raft(1).status().term;
    cluster.filter = (m) => m.to !== 3 && m.from !== 3;
    cluster.tick(3, 100);
    // Without pre-vote, 3 would have bumped its term many times.
    expect(cluster.raft(3).status().term).toBe(term);
    cluster.filter = () => true;
    cluster.tickAll(20);
    expect(cluster.leaders()).toEqual([1]);
    expect(cluster.raft(1).status().term).toBe(term);
  });

  it('without pre-vote a rejoining peer forces a new term (the problem pre-vote solves)', () => {
    const cluster = new TestCluster([1, 2, 3], { preVote: false, checkQuorum: false });
    cluster.elect(1);
    const term = cluster.raft(1).status().term;
    cluster.filter = (m) => m.to !== 3 && m.from !== 3;
    cluster.tick(3, 100);
    expect(cluster.raft(3).status().term).toBeGreaterThan(term);
    cluster.filter = () => true;
    cluster.tickAll(1);
    expect(cluster.raft(1).status().term).toBeGreaterThan(term);
  });

  it('check-quorum: an isolated leader steps down within an election timeout', () => {
    const cluster = new TestCluster([1, 2, 3], { electionTicks: 10 });
    cluster.elect(1);
    cluster.filter = (m) => m.to !== 1 && m.from !== 1;
    // Two check-quorum windows at most: the first may have just started.
    cluster.tick(1, 20);
    expect(cluster.raft(1).status().role).toBe(Role.Follower);
  });

  it('leader stickiness: followers ignore votes while they hear from a leader', () => {
    const cluster = new TestCluster([1, 2, 3], { preVote: false });
    cluster.elect(1);
    const term = cluster.raft(1).status().term;
    const vote = {
      type: MessageType.Vote, from: 3, to: 2, term: term + 5, logTerm: 100, index: 100,
      entries: [], commit: 0, reject: false, rejectHint: 0, context: 0, snapshot: null,
    };
    expect(cluster.raft(2).step(vote)).toBe(false);
    expect(cluster.raft(2).status().term).toBe(term);
  });

  it('a restarted peer keeps its term and vote from the hard state', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    const before = cluster.raft(2).status();
    cluster.restart(2);
    const after = cluster.raft(2).status();
    expect(after.term).toBe(before.term);
    expect(after.vote).toBe(before.vote);
  });
});
