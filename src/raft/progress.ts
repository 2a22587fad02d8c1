/**
 * @module raft/progress
 * The leader's view of each follower's replication (etcd's tracker.Progress).
 *
 * ```
 *            reject / unreachable                    log compacted below next
 *   +---------+ <------------------- +-----------+  ---------------------> +----------+
 *   |  Probe  |                      | Replicate |                         | Snapshot |
 *   +---------+ -------------------> +-----------+  <--------------------- +----------+
 *      one append at a time, accepted   pipelined,  snapshot installed:     chunks, one in
 *      waits for a reply                bounded window   back to Probe      flight
 * ```
 */
import { assert } from '../util/assert.js';

/** ProgressState is the replication mode towards one follower. */
export enum ProgressState {
  Probe = 'probe',
  Replicate = 'replicate',
  Snapshot = 'snapshot',
}

/**
 * Inflights is a bounded ring of the last indexes of Append messages in flight to one
 * follower. When it is full the leader stops sending until acknowledgements free slots.
 */
export class Inflights {
  private readonly ring: number[];
  private start = 0;
  private count = 0;

  /** Creates a window of at most `capacity` messages. */
  constructor(readonly capacity: number) {
    assert(capacity >= 1, 'inflight capacity must be positive');
    this.ring = new Array<number>(capacity).fill(0);
  }

  /** Returns true when no more messages may be sent. */
  full(): boolean {
    return this.count === this.capacity;
  }

  /** Returns the number of messages in flight. */
  size(): number {
    return this.count;
  }

  /** Records a message whose last entry has `index`; indexes must increase. */
  add(index: number): void {
    assert(!this.full(), 'inflights overflow');
    if (this.count > 0) {
      const last = this.ring[(this.start + this.count - 1) % this.capacity]!;
      assert(index > last, 'inflight indexes must increase');
    }
    this.ring[(this.start + this.count) % this.capacity] = index;
    this.count++;
  }

  /** Frees every message whose last index is at or below `index` (acknowledged). */
  freeLE(index: number): void {
    while (this.count > 0 && this.ring[this.start]! <= index) {
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
  }

  /** Frees the oldest message, so a window full of lost messages cannot stall forever. */
  freeFirstOne(): void {
    if (this.count === 0) return;
    this.start = (this.start + 1) % this.capacity;
    this.count--;
  }

  /** Frees everything (on a state change). */
  reset(): void {
    this.start = 0;
    this.count = 0;
  }
}

/** Progress tracks one follower's replication state on the leader. */
export class Progress {
  match = 0;
  next: number;
  state: ProgressState = ProgressState.Probe;
  /** In Probe state: an append was sent and no reply came yet, so sending is paused. */
  probeSent = false;
  /** Heard from within the current check-quorum window. */
  recentActive = false;
  /** In Snapshot state: the snapshot being sent and the byte offset acknowledged. */
  pendingSnapshotIndex = 0;
  snapshotOffset = 0;
  /** Ticks since the last snapshot chunk acknowledgement (a stalled transfer restarts). */
  snapshotStallTicks = 0;
  readonly inflights: Inflights;

  /** Creates progress for a follower whose next index to send is `next`. */
  constructor(next: number, inflightMessagesMax: number, readonly isLearner: boolean) {
    assert(next >= 1, 'next must be at least 1');
    this.next = next;
    this.inflights = new Inflights(inflightMessagesMax);
  }

  /** Returns true when the leader must not send more appends right now. */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflights.full();
      case ProgressState.Snapshot:
        return true;
    }
  }

  /** Enters Probe: one append at a time from match + 1. */
  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      this.next = Math.max(this.match + 1, this.pendingSnapshotIndex + 1);
    } else {
      this.next = this.match + 1;
    }
    this.resetState(ProgressState.Probe);
  }

  /** Enters Replicate: pipelined appends from match + 1. */
  becomeReplicate(): void {
    this.next = this.match + 1;
    this.resetState(ProgressState.Replicate);
  }

  /** Enters Snapshot: the follower needs the snapshot at `snapshotIndex`. */
  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshotIndex = snapshotIndex;
  }

  /** Records an acknowledgement up to `index`; returns true when match moved forward. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * Handles a rejected append of `rejected` (the follower's index) with the leader-side
   * probe point `probeIndex`; returns false when the rejection is stale and was ignored.
   */
  maybeDecreaseTo(rejected: number, probeIndex: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, probeIndex + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  private resetState(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshotIndex = 0;
    this.snapshotOffset = 0;
    this.snapshotStallTicks = 0;
    this.inflights.reset();
  }
}
