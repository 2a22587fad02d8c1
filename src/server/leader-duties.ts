/**
 * @module server/leader-duties
 * Work only the Raft leader does for the store, on a timer: propose the revocation of
 * expired leases (so expiry survives leader changes: it is a replicated command), extend
 * every lease once after winning an election (etcd's lessor Promote, so a failover never
 * expires leases whose keep-alives went to the old leader), and compact MVCC history beyond
 * the retention window (DESIGN §10: 100k revisions by default).
 */
import { Role } from '../raft/types.js';
import type { Logger } from '../util/logger.js';
import type { Peer } from './peer.js';

/** LeaderDutiesOptions configure the duties. */
export interface LeaderDutiesOptions {
  /** How often the leader checks (default 500 ms). */
  readonly intervalMs: number;
  /** Extension of every lease when a new leader takes over, in ms (an election timeout). */
  readonly promoteExtendMs: number;
  /** Revisions of history kept before the leader compacts (default 100,000). */
  readonly historyRevisionsMax: number;
  readonly logger: Logger;
}

/** LeaderDuties runs the leader-only maintenance of the store. */
export class LeaderDuties {
  private timer: NodeJS.Timeout | null = null;
  private promotedTerm = 0;
  private readonly revoking = new Set<number>();
  private compacting = false;

  /** Creates the duties for `peer`. */
  constructor(private readonly peer: Peer, private readonly options: LeaderDutiesOptions) {}

  /** Starts the timer. */
  start(): void {
    this.timer = setInterval(() => this.run(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
  }

  private run(): void {
    const status = this.peer.status();
    if (status.role !== Role.Leader) {
      this.revoking.clear();
      return;
    }
    if (this.promotedTerm !== status.term) {
      this.promotedTerm = status.term;
      this.settle(this.peer.propose({ type: 'leasePromote', nowMs: Date.now(),
        extendMs: this.options.promoteExtendMs }), 'lease promote');
    }
    const store = this.peer.stateMachine.store;
    for (const id of store.expiredLeases(Date.now(), { countMax: 100 })) {
      if (this.revoking.has(id)) continue;
      this.revoking.add(id);
      this.peer.propose({ type: 'leaseRevoke', request: { ID: id } })
        .catch(() => undefined)
        .finally(() => this.revoking.delete(id));
    }
    const keep = this.options.historyRevisionsMax;
    if (!this.compacting && store.revision - store.compactRevision > keep * 1.1) {
      this.compacting = true;
      const request = { revision: store.revision - keep };
      this.peer.propose({ type: 'compaction', request })
        .catch(() => undefined)
        .finally(() => {
          this.compacting = false;
        });
    }
  }

  private settle(promise: Promise<unknown>, what: string): void {
    promise.catch((error: unknown) => {
      this.options.logger.warn({ err: String(error) }, `${what} failed`);
      this.promotedTerm = 0;
    });
  }
}
