/**
 * Goal: log replication rules (§5.3, §5.4.2, Figure 8), fast backtracking, pipelining and
 * batching bounds, proposal forwarding and rejection of bad messages.
 * Method: a synchronous TestCluster with hand-driven ticks and link filters.
 */
import { describe, expect, it } from 'vitest';
import { DropReason, EntryType, MessageType, Role } from '../../src/raft/types.js';
import type { Message } from '../../src/raft/types.js';
import { TestCluster, data } from './harness.js';

function baseMessage(overrides: Partial<Message>): Message {
  return {
    type: MessageType.Append, from: 1, to: 2, term: 1, logTerm: 0, index: 0, entries: [],
    commit: 0, reject: false, rejectHint: 0, context: 0, snapshot: null, ...overrides,
  };
}

describe('log replication', () => {
  it('replicates and commits on every peer, in order (§5.3)', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    for (const value of ['a', 'b', 'c']) cluster.raft(1).propose(data(value));
    cluster.stabilize();
    cluster.tickAll(1);
    for (const id of [1, 2, 3]) expect(cluster.node(id).appliedData).toEqual(['a', 'b', 'c']);
  });

  it('sends proposals stepped together as one Append per follower, then one commit', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    cluster.stabilize();
    cluster.delivered.length = 0;
    for (const value of ['a', 'b', 'c', 'd']) cluster.raft(1).propose(data(value));
    cluster.stabilize();
    const appends = cluster.delivered.filter((m) => m.type === MessageType.Append);
    const withEntries = appends.filter((m) => m.entries.length > 0);
    // One Append to each follower carries all four entries; the commit advance brought by
    // the acknowledgements leaves as one empty Append to each (not one per response).
    expect(withEntries.map((m) => [m.to, m.entries.length]).sort()).toEqual([[2, 4], [3, 4]]);
    expect(appends.length).toBe(4);
    const responses = cluster.delivered.filter((m) => m.type === MessageType.AppendResponse);
    expect(responses.length).toBe(4);
    for (const id of [1, 2, 3]) expect(cluster.node(id).appliedData).toEqual(['a', 'b', 'c', 'd']);
  });

  it('forwards proposals from followers to the leader', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    const result = cluster.raft(3).propose(data('via-follower'));
    expect(result).toEqual({ kind: 'forwarded', leaderId: 1 });
    cluster.stabilize();
    cluster.tickAll(1);
    for (const id of [1, 2, 3]) expect(cluster.node(id).appliedData).toEqual(['via-follower']);
  });

  it('drops proposals with a clear reason when there is no leader', () => {
    const cluster = new TestCluster([1, 2, 3]);
    expect(cluster.raft(2).propose(data('x'))).toEqual({
      kind: 'dropped', reason: DropReason.NoLeader,
    });
  });

  it('a leader never commits an earlier term\'s entry by counting replicas (Figure 8)', () => {
    const cluster = new TestCluster([1, 2, 3, 4, 5], { preVote: false, checkQuorum: false });
    const among = (ids: number[]) => (m: Message) => ids.includes(m.from) && ids.includes(m.to);
    // (a) S1 leads term t1 and replicates "old" at index 7 to S2 only.
    cluster.elect(1);
    const t1 = cluster.raft(1).status().term;
    cluster.filter = among([1, 2]);
    cluster.raft(1).propose(data('old'));
    cluster.stabilize();
    const oldIndex = cluster.raft(1).status().lastIndex;
    expect(cluster.raft(1).status().commit).toBeLessThan(oldIndex);
    // (b) S1 crashes; S5 is elected by S3, S4 and appends its own entry at the same index,
    // unreplicated.
    cluster.restart(1);
    cluster.filter = (m) => among([3, 4, 5])(m) && m.type !== MessageType.Append;
    cluster.elect(5);
    const t2 = cluster.raft(5).status().term;
    expect(cluster.raft(5).termAt(oldIndex)).toBe(t2);
    // (c) S1 is elected by S2, S3; it replicates "old" to S3 but (by rewriting its appends)
    // none of its own term's entries. "old" is now on a majority (S1, S2, S3) yet MUST NOT
    // be committed: it is from an earlier term.
    cluster.filter = among([1, 2, 3]);
    cluster.rewrite = (m) => m.type === MessageType.Append
      ? { ...m, entries: m.entries.filter((e) => e.term <= t2) } : m;
    cluster.elect(1);
    expect(cluster.raft(1).status().term).toBeGreaterThan(t2);
    cluster.tickAll(3);
    expect(cluster.raft(3).termAt(oldIndex)).toBe(t1);
    expect(cluster.raft(1).status().progress.get(3)?.match).toBe(oldIndex);
    expect(cluster.raft(1).status().commit).toBeLessThan(oldIndex);
    // (d) S1 crashes again; S5 (last term t2) wins and overwrites "old" everywhere, which is safe
    // precisely because it was never committed.
    cluster.rewrite = (m) => m;
    cluster.restart(1);
    cluster.restart(5);
    cluster.filter = among([2, 3, 4, 5]);
    cluster.elect(5);
    cluster.raft(5).propose(data('new'));
    cluster.stabilize();
    cluster.filter = () => true;
    cluster.tickAll(5);
    expect(t2).toBeGreaterThan(t1);
    for (const id of [1, 2, 3, 4, 5]) {
      expect(cluster.node(id).appliedData).toEqual(['new']);
      expect(cluster.raft(id).termAt(oldIndex)).toBe(t2);
    }
  });

  it('fast backtracking finds the divergence point in few round trips', () => {
    const cluster = new TestCluster([1, 2, 3], { preVote: false, checkQuorum: false });
    cluster.elect(1);
    // Follower 3 is cut off while 1 appends 50 entries that 3 never sees.
    cluster.filter = (m) => m.to !== 3 && m.from !== 3;
    for (let i = 0; i < 50; i++) cluster.raft(1).propose(data(`e${i}`));
    cluster.stabilize();
    cluster.delivered.length = 0;
    cluster.filter = () => true;
    cluster.tick(1, 1);
    const rejections = cluster.delivered.filter(
      (m) => m.type === MessageType.AppendResponse && m.reject && m.from === 3);
    expect(rejections.length).toBeLessThanOrEqual(2);
    cluster.tickAll(2);
    expect(cluster.node(3).appliedData.length).toBe(50);
  });

  it('a follower with a conflicting uncommitted suffix is repaired (§5.3)', () => {
    const cluster = new TestCluster([1, 2, 3], { preVote: false, checkQuorum: false });
    cluster.elect(1);
    cluster.filter = () => false;
    for (let i = 0; i < 5; i++) cluster.raft(1).propose(data(`lost${i}`));
    cluster.stabilize();
    cluster.filter = (m) => m.to !== 1 && m.from !== 1;
    cluster.elect(2);
    cluster.raft(2).propose(data('kept'));
    cluster.stabilize();
    cluster.filter = () => true;
    cluster.tickAll(3);
    for (const id of [1, 2, 3]) expect(cluster.node(id).appliedData).toEqual(['kept']);
  });

  it('bounds the entries per Append by bytes and pipelines within the inflight window', () => {
    const cluster = new TestCluster([1, 2], {
      messageBytesMax: 1024, inflightMessagesMax: 4, checkQuorum: false,
    });
    cluster.elect(1);
    cluster.filter = (m) => m.type !== MessageType.AppendResponse;
    cluster.delivered.length = 0;
    for (let i = 0; i < 20; i++) cluster.raft(1).propose(new Uint8Array(600));
    cluster.stabilize();
    const appends = cluster.delivered.filter((m) => m.type === MessageType.Append &&
      m.entries.length > 0);
    for (const append of appends) {
      const bytes = append.entries.reduce((sum, e) => sum + e.data.length, 0);
      expect(append.entries.length === 1 || bytes <= 1024).toBe(true);
    }
    // Without acknowledgements the leader stops at the inflight window (plus the probe).
    expect(appends.length).toBeLessThanOrEqual(5);
    cluster.filter = () => true;
    cluster.tickAll(10);
    expect(cluster.node(2).applied.filter((e) => e.data.length === 600).length).toBe(20);
  });

  it('rejects malformed, misaddressed and stale messages without changing state', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    const raft = cluster.raft(2);
    const before = JSON.stringify(raft.status(), (_k, v: unknown) =>
      v instanceof Map ? [...v.entries()] : v);
    const term = raft.status().term;
    const bad: unknown[] = [
      null,
      baseMessage({ to: 3, term }),
      baseMessage({ from: 2, term }),
      baseMessage({ type: 99 as MessageType, term }),
      baseMessage({ term: -1 }),
      baseMessage({ term: 1.5 }),
      baseMessage({ term, entries: [{ term, index: 7, type: EntryType.Normal, data: data('x') }] }),
      baseMessage({ term, entries: [{ term: term + 1, index: 1, type: 0, data: data('x') }] }),
      baseMessage({ term, entries: [{ term, index: 1, type: 9 as EntryType, data: data('x') }] }),
      baseMessage({ type: MessageType.Snapshot, term, snapshot: null }),
      baseMessage({ term: term - 1 > 0 ? term - 1 : 0, from: 3 }),
      { ...baseMessage({ term }), entries: 'nope' },
    ];
    for (const message of bad) expect(raft.step(message as Message)).toBe(false);
    const after = JSON.stringify(raft.status(), (_k, v: unknown) =>
      v instanceof Map ? [...v.entries()] : v);
    expect(after).toBe(before);
    expect(raft.status().role).toBe(Role.Follower);
  });

  it('a restarted follower loses unpersisted entries but nothing acknowledged', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    cluster.raft(1).propose(data('durable'));
    cluster.stabilize();
    cluster.tickAll(1);
    cluster.restart(2);
    cluster.restart(1);
    cluster.tickAll(40);
    expect(cluster.leaders().length).toBe(1);
    for (const id of [1, 2, 3]) expect(cluster.node(id).appliedData).toContain('durable');
  });
});
