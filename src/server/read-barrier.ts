/**
 * @module server/read-barrier
 * Linearizable reads through Raft's ReadIndex (thesis §6.4), batched: every read that
 * arrives while one ReadIndex request is in flight joins the NEXT request (its read index
 * must be taken after it arrived), so one quorum round serves a whole batch.
 *
 * ```
 *  enqueue ─► queue ─► issue(): raft.readIndex(id) ─► in flight ─► ReadState{id, index}
 *                                                                       │
 *              resolve ◄── onApplied(): applied index >= read index ◄───┘
 * ```
 * A request lost on the way (leader change, dropped message) is re-issued after
 * `retryAfterMs`; each waiter still fails with "request timed out" at its own deadline.
 */
import type { RaftNode } from '../raft/raft.js';
import { DropReason } from '../raft/types.js';
import type { ReadState } from '../raft/types.js';
import { etcdError } from './etcd-api/errors.js';
import type { EtcdError } from './etcd-api/errors.js';

/** Reads waiting at most (default 100,000); beyond: "too many requests". */
export const readsPendingMax = 100_000;

interface Waiter {
  settled: boolean;
  readonly resolve: () => void;
  readonly reject: (error: EtcdError) => void;
  readonly timer: NodeJS.Timeout;
}

/** ReadBarrierOptions configure the barrier. */
export interface ReadBarrierOptions {
  readonly requestTimeoutMs: number;
  /** Re-issue an unanswered ReadIndex after this long (default: 1,000 ms). */
  readonly retryAfterMs?: number;
  readonly appliedIndex: () => number;
  /** Wakes the Raft loop so it calls `issue` soon. */
  readonly wake: () => void;
}

/** ReadBarrier batches linearizable reads over ReadIndex (see the module comment). */
export class ReadBarrier {
  private queue: Waiter[] = [];
  private inFlight: { requestId: number; issuedAtMs: number; waiters: Waiter[] } | null = null;
  private awaiting: Array<{ index: number; waiters: Waiter[] }> = [];
  private requestIdNext = 1;
  private waiting = 0;

  /** Creates the barrier. */
  constructor(private readonly options: ReadBarrierOptions) {}

  /** Returns a promise resolved once a linearizable read may be served locally. */
  enqueue(): Promise<void> {
    if (this.waiting >= readsPendingMax) {
      return Promise.reject(etcdError('ETCD_ERR_TOO_MANY_REQUESTS'));
    }
    this.waiting++;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        settled: false, resolve, reject,
        timer: setTimeout(() => this.settle(waiter, etcdError('ETCD_ERR_TIMEOUT')),
          this.options.requestTimeoutMs),
      };
      this.queue.push(waiter);
      this.options.wake();
    });
  }

  /** Issues the next ReadIndex when none is in flight (called by the Raft loop). */
  issue(raft: RaftNode): void {
    const retryAfterMs = this.options.retryAfterMs ?? 1000;
    if (this.inFlight !== null && Date.now() - this.inFlight.issuedAtMs > retryAfterMs) {
      this.retryInFlight();
    }
    if (this.inFlight !== null) return;
    const waiters = this.queue.filter((waiter) => !waiter.settled);
    this.queue = [];
    if (waiters.length === 0) return;
    const requestId = this.requestIdNext++;
    const result = raft.readIndex(requestId);
    if (result.kind === 'dropped') {
      const error = result.reason === DropReason.NoLeader
        ? etcdError('ETCD_ERR_NO_LEADER') : etcdError('ETCD_ERR_TOO_MANY_REQUESTS');
      for (const waiter of waiters) this.settle(waiter, error);
      return;
    }
    this.inFlight = { requestId, issuedAtMs: Date.now(), waiters };
  }

  /** Takes the ReadStates of a Ready. */
  onReadStates(states: readonly ReadState[]): void {
    for (const state of states) {
      if (this.inFlight === null || state.requestId !== this.inFlight.requestId) continue;
      this.awaiting.push({ index: state.index, waiters: this.inFlight.waiters });
      this.inFlight = null;
      this.options.wake();
    }
    this.onApplied();
  }

  /** Resolves the batches whose read index is applied. */
  onApplied(): void {
    const applied = this.options.appliedIndex();
    const still: Array<{ index: number; waiters: Waiter[] }> = [];
    for (const batch of this.awaiting) {
      if (batch.index > applied) {
        still.push(batch);
        continue;
      }
      for (const waiter of batch.waiters) this.settle(waiter, null);
    }
    this.awaiting = still;
  }

  /** Puts the in-flight batch back in front (its answer may never come). */
  retryInFlight(): void {
    if (this.inFlight === null) return;
    this.queue = [...this.inFlight.waiters, ...this.queue];
    this.inFlight = null;
    this.options.wake();
  }

  /** Fails every waiting read with `error`. */
  failAll(error: EtcdError): void {
    for (const waiter of this.queue) this.settle(waiter, error);
    for (const waiter of this.inFlight?.waiters ?? []) this.settle(waiter, error);
    for (const batch of this.awaiting) {
      for (const waiter of batch.waiters) this.settle(waiter, error);
    }
    this.queue = [];
    this.inFlight = null;
    this.awaiting = [];
  }

  private settle(waiter: Waiter, error: EtcdError | null): void {
    if (waiter.settled) return;
    waiter.settled = true;
    this.waiting--;
    clearTimeout(waiter.timer);
    if (error === null) waiter.resolve();
    else waiter.reject(error);
  }
}
