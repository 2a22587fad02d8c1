/**
 * Goal: ReadIndex (thesis §6.4) on leaders and followers, and snapshots with log compaction
 * and chunked InstallSnapshot (§5 of the thesis, Figure 13 of the paper).
 * Method: a synchronous TestCluster; link filters stand in for partitions.
 */
import { describe, expect, it } from 'vitest';
import { DropReason, MessageType, Role } from '../../src/raft/types.js';
import { TestCluster, data } from './harness.js';

describe('ReadIndex', () => {
  it('the leader answers after a quorum round, at its commit index', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    cluster.raft(1).propose(data('a'));
    cluster.stabilize();
    const commit = cluster.raft(1).status().commit;
    cluster.delivered.length = 0;
    expect(cluster.raft(1).readIndex(42).kind).toBe('accepted');
    cluster.stabilize();
    expect(cluster.node(1).readStates).toEqual([{ requestId: 42, index: commit }]);
    expect(cluster.delivered.some((m) => m.type === MessageType.Heartbeat)).toBe(true);
  });

  it('a leader cut off from its quorum never answers (no stale read)', () => {
    const cluster = new TestCluster([1, 2, 3], { checkQuorum: false });
    cluster.elect(1);
    cluster.filter = (m) => m.from !== 1 && m.to !== 1;
    cluster.raft(1).readIndex(7);
    cluster.stabilize();
    cluster.tick(1, 5);
    expect(cluster.node(1).readStates).toEqual([]);
  });

  it('a follower asks the leader and gets an index that covers every committed write', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    cluster.raft(1).propose(data('w1'));
    cluster.stabilize();
    expect(cluster.raft(3).readIndex(9)).toEqual({ kind: 'forwarded', leaderId: 1 });
    cluster.stabilize();
    const states = cluster.node(3).readStates;
    expect(states.length).toBe(1);
    expect(states[0]!.requestId).toBe(9);
    expect(states[0]!.index).toBeGreaterThanOrEqual(cluster.raft(1).status().commit);
  });

  it('a new leader serves reads only after committing an entry of its term', () => {
    const cluster = new TestCluster([1, 2, 3], { preVote: false, checkQuorum: false });
    cluster.elect(1);
    // The new leader's no-op cannot commit while its appends are dropped.
    cluster.filter = (m) => m.type !== MessageType.Append;
    cluster.restart(1);
    cluster.elect(2);
    cluster.raft(2).readIndex(5);
    cluster.stabilize();
    expect(cluster.node(2).readStates).toEqual([]);
    cluster.filter = () => true;
    cluster.tickAll(2);
    expect(cluster.node(2).readStates.map((s) => s.requestId)).toEqual([5]);
  });

  it('drops a read with a clear reason when no leader is known', () => {
    const cluster = new TestCluster([1, 2, 3]);
    expect(cluster.raft(2).readIndex(1)).toEqual({ kind: 'dropped', reason: DropReason.NoLeader });
  });
});

describe('snapshots', () => {
  it('compacts the log and catches a lagging follower up by chunked InstallSnapshot', () => {
    const cluster = new TestCluster([1, 2, 3], { snapshotChunkBytes: 7 });
    cluster.elect(1);
    cluster.filter = (m) => m.to !== 3 && m.from !== 3;
    for (let i = 0; i < 30; i++) cluster.raft(1).propose(data(`v${i}`));
    cluster.stabilize();
    cluster.tickAll(1);
    cluster.compact(1);
    expect(cluster.raft(1).status().firstIndex).toBeGreaterThan(1);
    cluster.delivered.length = 0;
    cluster.filter = () => true;
    cluster.tickAll(3);
    const chunks = cluster.delivered.filter((m) => m.type === MessageType.Snapshot);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.every((m) => m.snapshot!.data.length <= 7)).toBe(true);
    expect(cluster.node(3).restoredSnapshot?.meta.index).toBe(cluster.raft(1).snapshotMeta().index);
    expect(cluster.node(3).appliedData).toEqual(cluster.node(1).appliedData);
    // Replication continues normally after the snapshot.
    cluster.raft(1).propose(data('after'));
    cluster.stabilize();
    cluster.tickAll(1);
    expect(cluster.node(3).appliedData.at(-1)).toBe('after');
  });

  it('entries kept behind a snapshot let a slightly lagging follower catch up from the log',
    () => {
      const cluster = new TestCluster([1, 2, 3]);
      cluster.elect(1);
      cluster.filter = (m) => m.to !== 3 && m.from !== 3;
      for (let i = 0; i < 5; i++) cluster.raft(1).propose(data(`lag${i}`));
      cluster.stabilize();
      cluster.tickAll(1);
      // Follower 3 misses the last 5 entries; the leader keeps 7 behind its snapshot.
      cluster.compact(1, 7);
      const snapshotIndex = cluster.raft(1).snapshotMeta().index;
      expect(snapshotIndex).toBe(cluster.raft(1).status().applied);
      expect(cluster.raft(1).status().firstIndex).toBe(snapshotIndex - 7 + 1);
      cluster.delivered.length = 0;
      cluster.filter = () => true;
      cluster.tickAll(3);
      expect(cluster.delivered.some((m) => m.type === MessageType.Snapshot)).toBe(false);
      expect(cluster.node(3).appliedData).toEqual(cluster.node(1).appliedData);
    });

  it('a restarted peer resumes from its snapshot and later entries', () => {
    const cluster = new TestCluster([1, 2, 3]);
    cluster.elect(1);
    for (let i = 0; i < 10; i++) cluster.raft(1).propose(data(`v${i}`));
    cluster.stabilize();
    cluster.tickAll(1);
    cluster.compact(2);
    cluster.raft(1).propose(data('tail'));
    cluster.stabilize();
    cluster.tickAll(1);
    cluster.restart(2);
    cluster.tickAll(2);
    const expected = [...Array.from({ length: 10 }, (_, i) => `v${i}`), 'tail'];
    expect(cluster.node(2).appliedData).toEqual(expected);
  });

  it('reads snapshot data a piece at a time from a stand-in, and takes a replacement', () => {
    const cluster = new TestCluster([1, 2, 3], { snapshotChunkBytes: 5 });
    cluster.elect(1);
    cluster.filter = (m) => m.to !== 3 && m.from !== 3;
    for (let i = 0; i < 20; i++) cluster.raft(1).propose(data(`v${i}`));
    cluster.stabilize();
    cluster.tickAll(1);
    cluster.compact(1);
    // The shell swaps the bytes for a stand-in that reads them on demand (as from a file).
    const bytes = data(cluster.node(1).appliedData.join(','));
    const pieces: Array<[number, number]> = [];
    const standIn = {
      byteLength: bytes.byteLength,
      subarray(start: number, end: number): Uint8Array {
        pieces.push([start, end]);
        return bytes.slice(start, end);
      },
    };
    const index = cluster.raft(1).snapshotMeta().index;
    expect(cluster.raft(1).replaceSnapshotData(index - 1, standIn)).toBe(false);
    expect(cluster.raft(1).replaceSnapshotData(index, standIn)).toBe(true);
    expect(() => cluster.raft(1).replaceSnapshotData(index, data('other size')))
      .toThrow(/replacement snapshot data has its size/);
    cluster.filter = () => true;
    cluster.tickAll(3);
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.every(([start, end]) => end - start <= 5)).toBe(true);
    expect(cluster.node(3).restoredSnapshot?.meta.index).toBe(index);
    expect(cluster.node(3).appliedData).toEqual(cluster.node(1).appliedData);
  });

  it('a stalled snapshot transfer restarts from the first chunk', () => {
    const cluster = new TestCluster([1, 2, 3], { snapshotChunkBytes: 4, electionTicks: 10 });
    cluster.elect(1);
    cluster.filter = (m) => m.to !== 3 && m.from !== 3;
    for (let i = 0; i < 10; i++) cluster.raft(1).propose(data(`v${i}`));
    cluster.stabilize();
    cluster.tickAll(1);
    cluster.compact(1);
    // Chunk acknowledgements are lost for a while: the transfer must not hang forever.
    cluster.filter = (m) => m.type !== MessageType.SnapshotResponse;
    cluster.tickAll(30);
    cluster.filter = () => true;
    cluster.tickAll(30);
    expect(cluster.node(3).appliedData).toEqual(cluster.node(1).appliedData);
    expect(cluster.raft(1).status().role).toBe(Role.Leader);
  });
});
