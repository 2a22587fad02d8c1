/**
 * Goal: single-server membership changes (thesis §4.1-4.2) with learners, and leadership
 * transfer (thesis §3.10).
 * Method: a synchronous TestCluster; joiners start from an empty disk like a new peer.
 */
import { describe, expect, it } from 'vitest';
import { ConfChangeType, DropReason, MessageType, Role } from '../../src/raft/types.js';
import { TestCluster, data } from './harness.js';

const empty = new Uint8Array(0);

describe('membership changes', () => {
  it('adds a learner that catches up without voting, then promotes it', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    cluster.raft(1).propose(data('before'));
    cluster.stabilize();
    cluster.addJoiner(4);
    const add = { type: ConfChangeType.AddLearner, nodeId: 4, context: empty };
    expect(cluster.raft(1).proposeConfChange(add).kind).toBe('accepted');
    cluster.stabilize();
    cluster.tickAll(2);
    expect(cluster.raft(1).membership().learners).toEqual([4]);
    expect(cluster.node(4).appliedData).toEqual(['before']);
    // A learner is not counted: with 2 and 3 gone, 1 and 4 cannot commit.
    cluster.filter = (m) => ![2, 3].includes(m.to) && ![2, 3].includes(m.from);
    cluster.raft(1).propose(data('needs-quorum'));
    cluster.stabilize();
    expect(cluster.node(1).appliedData).not.toContain('needs-quorum');
    cluster.filter = () => true;
    cluster.tickAll(2);
    const promote = { type: ConfChangeType.PromoteLearner, nodeId: 4, context: empty };
    expect(cluster.raft(1).proposeConfChange(promote).kind).toBe('accepted');
    cluster.stabilize();
    cluster.tickAll(2);
    for (const id of [1, 2, 3, 4]) {
      expect(cluster.raft(id).membership()).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    }
  });

  it('allows at most one change in flight', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    cluster.filter = () => false;
    const first = { type: ConfChangeType.AddLearner, nodeId: 4, context: empty };
    const second = { type: ConfChangeType.AddLearner, nodeId: 5, context: empty };
    expect(cluster.raft(1).proposeConfChange(first).kind).toBe('accepted');
    expect(cluster.raft(1).proposeConfChange(second)).toEqual({
      kind: 'dropped', reason: DropReason.ConfChangePending,
    });
  });

  it('rejects invalid changes with a reason', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    const cases = [
      { type: ConfChangeType.PromoteLearner, nodeId: 2, context: empty },
      { type: ConfChangeType.RemoveNode, nodeId: 9, context: empty },
      { type: ConfChangeType.AddLearner, nodeId: 3, context: empty },
    ];
    for (const change of cases) {
      expect(cluster.raft(1).proposeConfChange(change)).toEqual({
        kind: 'dropped', reason: DropReason.InvalidConfChange,
      });
    }
  });

  it('removes a follower; its later messages are ignored', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    const remove = { type: ConfChangeType.RemoveNode, nodeId: 3, context: empty };
    expect(cluster.raft(1).proposeConfChange(remove).kind).toBe('accepted');
    cluster.stabilize();
    cluster.tickAll(2);
    expect(cluster.raft(1).membership().voters).toEqual([1, 2]);
    const term = cluster.raft(1).status().term;
    const stray = {
      type: MessageType.Vote, from: 3, to: 1, term: term + 10, logTerm: 99, index: 999,
      entries: [], commit: 0, reject: false, rejectHint: 0, context: 1, snapshot: null,
    };
    expect(cluster.raft(1).step(stray)).toBe(false);
    expect(cluster.raft(1).status().term).toBe(term);
    cluster.raft(1).propose(data('two-of-two'));
    cluster.stabilize();
    expect(cluster.node(2).appliedData).toContain('two-of-two');
  });

  it('removing the leader makes it step down, and the rest elect a new leader', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    const remove = { type: ConfChangeType.RemoveNode, nodeId: 1, context: empty };
    expect(cluster.raft(1).proposeConfChange(remove).kind).toBe('accepted');
    cluster.stabilize();
    expect(cluster.raft(1).status().role).toBe(Role.Follower);
    cluster.tickAll(40);
    const leaders = cluster.leaders();
    expect(leaders.length).toBe(1);
    expect([2, 3]).toContain(leaders[0]);
    expect(cluster.raft(leaders[0]!).membership().voters).toEqual([2, 3]);
  });

  it('a joiner learns the membership from a snapshot when the log was compacted', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    for (let i = 0; i < 5; i++) cluster.raft(1).propose(data(`v${i}`));
    cluster.stabilize();
    cluster.tickAll(1);
    cluster.compact(1);
    cluster.addJoiner(4);
    const add = { type: ConfChangeType.AddLearner, nodeId: 4, context: empty };
    cluster.raft(1).proposeConfChange(add);
    cluster.stabilize();
    cluster.tickAll(3);
    expect(cluster.node(4).restoredSnapshot).not.toBeNull();
    expect(cluster.raft(4).membership().learners).toEqual([4]);
    expect(cluster.node(4).appliedData).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });
});

describe('leadership transfer', () => {
  it('hands leadership to a caught-up target at once', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    expect(cluster.raft(1).transferLeadership(3).kind).toBe('accepted');
    cluster.stabilize();
    expect(cluster.leaders()).toEqual([3]);
  });

  it('lets a lagging target catch up first, and refuses proposals meanwhile', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    cluster.filter = (m) => m.to !== 3;
    for (let i = 0; i < 5; i++) cluster.raft(1).propose(data(`v${i}`));
    cluster.stabilize();
    cluster.raft(1).transferLeadership(3);
    expect(cluster.raft(1).propose(data('x'))).toEqual({
      kind: 'dropped', reason: DropReason.TransferInProgress,
    });
    cluster.filter = () => true;
    cluster.tickAll(2);
    expect(cluster.leaders()).toEqual([3]);
    expect(cluster.node(3).appliedData).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('a follower forwards a transfer request to the leader', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    expect(cluster.raft(2).transferLeadership(2)).toEqual({ kind: 'forwarded', leaderId: 1 });
    cluster.stabilize();
    expect(cluster.leaders()).toEqual([2]);
  });

  it('aborts a transfer to an unreachable target after an election timeout', () => {
    const cluster = new TestCluster([1, 2, 3], { electionTicks: 10 });
    cluster.elect(1);
    cluster.filter = (m) => m.to !== 3 && m.from !== 3;
    cluster.raft(1).transferLeadership(3);
    cluster.tick(1, 12);
    expect(cluster.raft(1).status().leadTransferee).toBe(0);
    expect(cluster.raft(1).propose(data('ok')).kind).toBe('accepted');
  });

  it('refuses a transfer to a non-voter', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    expect(cluster.raft(1).transferLeadership(9)).toEqual({
      kind: 'dropped', reason: DropReason.InvalidTransferTarget,
    });
  });
});
