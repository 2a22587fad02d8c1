/**
 * @module raft/read-only
 * ReadIndex bookkeeping on the leader (Raft thesis §6.4). Each batch of read requests gets a
 * round number; the leader records its commit index as the read index and sends heartbeats
 * carrying the round. Once a quorum has acknowledged a round at least that high, every read
 * of that round or an earlier one is safe to serve at its read index: the quorum proves no
 * newer leader could have committed anything the read index misses.
 */
import { assert } from '../util/assert.js';
import type { NodeId } from './types.js';

/** PendingRead is one read request waiting for its quorum round. */
export interface PendingRead {
  /** The node that asked (the leader itself for local reads). */
  readonly from: NodeId;
  readonly requestId: number;
  /** The leader's commit index when the request arrived. */
  readonly index: number;
  readonly round: number;
}

/** ReadOnlyQueue keeps pending reads in round order with per-peer acknowledged rounds. */
export class ReadOnlyQueue {
  private readonly pending: PendingRead[] = [];
  private readonly ackedRound = new Map<NodeId, number>();
  private round = 0;

  /** Creates a queue holding at most `pendingMax` reads. */
  constructor(private readonly pendingMax: number) {}

  /** Returns the number of reads waiting. */
  size(): number {
    return this.pending.length;
  }

  /** Returns true when no more reads may be queued. */
  full(): boolean {
    return this.pending.length >= this.pendingMax;
  }

  /** Starts a new round for the given reads at read index `index`; returns the round. */
  startRound(requests: ReadonlyArray<{ from: NodeId; requestId: number }>, index: number):
    number {
    assert(requests.length > 0, 'a round needs at least one read');
    assert(this.pending.length + requests.length <= this.pendingMax, 'read queue overflow');
    this.round++;
    for (const request of requests) {
      this.pending.push({ ...request, index, round: this.round });
    }
    return this.round;
  }

  /** Records that `peer` acknowledged heartbeats up to `round`. */
  acknowledge(peer: NodeId, round: number): void {
    if (round > this.round) return;
    if ((this.ackedRound.get(peer) ?? 0) < round) this.ackedRound.set(peer, round);
  }

  /**
   * Releases every read whose round a quorum of `voters` acknowledged (the leader counts as
   * acknowledging every round it started).
   */
  release(leader: NodeId, voters: readonly NodeId[], quorum: number): PendingRead[] {
    this.ackedRound.set(leader, this.round);
    const rounds = voters.map((id) => this.ackedRound.get(id) ?? 0).sort((a, b) => b - a);
    const safeRound = rounds[quorum - 1] ?? 0;
    let count = 0;
    while (count < this.pending.length && this.pending[count]!.round <= safeRound) count++;
    return this.pending.splice(0, count);
  }

  /** Drops everything (on a change of leader or term): the requesters time out and retry. */
  reset(): void {
    this.pending.length = 0;
    this.ackedRound.clear();
  }

  /** Returns the newest round started. */
  currentRound(): number {
    return this.round;
  }
}
