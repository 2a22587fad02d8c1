/**
 * @module raft/sim/network
 * The simulated network: a bounded pool of in-flight messages, each with a delivery time in
 * ticks, and the faults of a real network: drop, duplicate, delay, reorder, and partitions
 * (any set of blocked directed links, so both symmetric splits and one-way links).
 *
 * ```
 *   send --(blocked? drop? overflow?)--> pool (sorted by deliverAt, seq) --> takeDue(now)
 *                 \--(duplicate?)--> a second copy with its own delay      (head, or a random
 *                                                                          due message when
 *                                                                          reordering)
 * ```
 *
 * Contract: a blocked link drops messages both when they are sent and when they would be
 * delivered (messages in flight when a partition forms are lost). Messages are immutable;
 * the pool keeps a shallow copy of each so that no sender-held object is shared by identity.
 */
import { assert } from '../../util/assert.js';
import type { SeededRandom } from '../../util/prng.js';
import type { Message, NodeId } from '../types.js';

/** NetworkFaults are the per-message fault probabilities of a run. */
export interface NetworkFaults {
  dropProbability: number;
  duplicateProbability: number;
  delayProbability: number;
  delayTicksMax: number;
  reorderProbability: number;
}

/** NetworkStats count what happened to messages. */
export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  delayed: number;
  blocked: number;
  overflowed: number;
}

interface InFlight {
  readonly message: Message;
  readonly deliverAt: number;
  readonly seq: number;
}

/** The multiplier of a link key; node ids stay far below it. */
const linkKeyBase = 1 << 16;

/** SimNetwork carries messages between simulated nodes. */
export class SimNetwork {
  readonly stats: NetworkStats = {
    sent: 0, delivered: 0, dropped: 0, duplicated: 0, delayed: 0, blocked: 0, overflowed: 0,
  };
  private readonly pool: InFlight[] = [];
  private readonly blockedLinks = new Set<number>();
  private seq = 0;

  /** Creates a network drawing from `random` and holding at most `inflightMax` messages. */
  constructor(
    private readonly random: SeededRandom,
    public faults: NetworkFaults,
    private readonly inflightMax: number,
  ) {
    assert(inflightMax >= 1, 'inflightMax must be positive');
    assert(faults.delayTicksMax >= 1, 'delayTicksMax must be positive');
  }

  /** Returns the number of messages in flight. */
  inFlight(): number {
    return this.pool.length;
  }

  /** Sends `message` at time `now`, applying blocking, drop, duplication and delay. */
  send(message: Message, now: number): void {
    assert(message.from !== message.to, 'a node never sends to itself');
    this.stats.sent++;
    if (this.isBlocked({ source: message.from, target: message.to })) {
      this.stats.blocked++;
      return;
    }
    if (this.random.chance(this.faults.dropProbability)) {
      this.stats.dropped++;
      return;
    }
    this.enqueue(message, now);
    if (this.random.chance(this.faults.duplicateProbability)) {
      this.stats.duplicated++;
      this.enqueue(message, now);
    }
  }

  /** Returns true when some message is due at or before `now`. */
  hasDue(now: number): boolean {
    const head = this.pool[0];
    return head !== undefined && head.deliverAt <= now;
  }

  /**
   * Removes and returns one due message (the oldest, or a random due one when reordering),
   * or null when none is due or the chosen one hit a blocked link (it is then dropped).
   */
  takeDue(now: number): Message | null {
    assert(this.hasDue(now), 'takeDue without a due message');
    let position = 0;
    if (this.random.chance(this.faults.reorderProbability)) {
      let dueCount = 1;
      while (dueCount < this.pool.length && this.pool[dueCount]!.deliverAt <= now) dueCount++;
      position = this.random.int(dueCount);
    }
    const [item] = this.pool.splice(position, 1);
    assert(item !== undefined, 'due message vanished');
    if (this.isBlocked({ source: item.message.from, target: item.message.to })) {
      this.stats.blocked++;
      return null;
    }
    this.stats.delivered++;
    return item.message;
  }

  /**
   * Puts a taken message back to arrive at `deliverAt` (its recipient is paused), with no
   * fault applied: the bytes already crossed the network and wait in the socket buffer.
   */
  defer(message: Message, deliverAt: number): void {
    this.insert({ message, deliverAt, seq: this.seq++ });
    this.stats.delivered--;
  }

  /** Blocks the directed link `source` → `target`. */
  block(link: { source: NodeId; target: NodeId }): void {
    assert(link.source !== link.target, 'cannot block a self link');
    this.blockedLinks.add(link.source * linkKeyBase + link.target);
  }

  /** Returns true when messages from `source` to `target` are lost. */
  isBlocked(link: { source: NodeId; target: NodeId }): boolean {
    return this.blockedLinks.has(link.source * linkKeyBase + link.target);
  }

  /** Returns true when any link is blocked. */
  partitioned(): boolean {
    return this.blockedLinks.size > 0;
  }

  /** Unblocks every link. */
  heal(): void {
    this.blockedLinks.clear();
  }

  /** Drops every in-flight message addressed to `target` (used when a node retires). */
  purgeTo(target: NodeId): void {
    const kept = this.pool.filter((item) => item.message.to !== target);
    this.stats.dropped += this.pool.length - kept.length;
    this.pool.length = 0;
    this.pool.push(...kept);
  }

  private enqueue(message: Message, now: number): void {
    if (this.pool.length >= this.inflightMax) {
      this.stats.overflowed++;
      return;
    }
    // One tick of latency; jitter of one more tick only when reordering is enabled, so a
    // run without the delay faults keeps every link FIFO, like a TCP stream.
    let deliverAt = now + 1;
    if (this.faults.reorderProbability > 0) deliverAt += this.random.int(2);
    if (this.random.chance(this.faults.delayProbability)) {
      this.stats.delayed++;
      deliverAt += 1 + this.random.int(this.faults.delayTicksMax);
    }
    this.insert({ message: { ...message }, deliverAt, seq: this.seq++ });
  }

  private insert(item: InFlight): void {
    const deliverAt = item.deliverAt;
    // Binary search for the first slot with a later delivery time (FIFO among equals).
    let low = 0;
    let high = this.pool.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.pool[middle]!.deliverAt <= deliverAt) low = middle + 1;
      else high = middle;
    }
    this.pool.splice(low, 0, item);
  }
}
