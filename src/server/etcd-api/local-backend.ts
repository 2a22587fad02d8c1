/**
 * @module server/etcd-api/local-backend
 * LocalBackend implements `EtcdBackend` over one in-process MVCCStore and WatchHub, without
 * Raft: a single-member "cluster" for the etcd API's tests and for `coracle bench`'s
 * reference runs. It is NOT the production backend (src/server wires that one to Raft).
 *
 * Behaviour (kept faithful to etcd where a single member allows):
 * - Writes apply at once, in call order; each apply is handed to the hub BEFORE the next
 *   (the store's contract) and every reply reflects it. Reads are local (always linearizable
 *   here, since there is nothing to lag behind).
 * - Leases expire through a timer it owns: every `leaseCheckIntervalMs` it revokes the
 *   store's expired leases (what the Raft leader would propose). Time comes from `nowMs`.
 * - Watches go through the shared `WatchSubscriptions` (hub drains, consumer backpressure);
 *   watchers created with progress_notify get progress every `progressNotifyIntervalMs`.
 * - Members: itself, started, the leader. A learner may be added (it never starts, so it
 *   can be removed but never promoted: "not in sync with leader"); adding a voter fails as
 *   etcd's strict reconfiguration check does ("not enough started members"), because a
 *   second voter that never starts would cost the cluster its quorum.
 * - After `close()` every call fails with "etcdserver: server stopped".
 */
import { MVCCStore, type CommandResponses, type StoreCommand } from '../../store/mvcc-store.js';
import type {
  CompactionRequest, CompactionResponse, DeleteRangeRequest, DeleteRangeResponse,
  LeaseGrantRequest, LeaseGrantResponse, LeaseKeepAliveResponse, LeaseRevokeRequest,
  LeaseRevokeResponse, LeaseTimeToLiveResponse, PutRequest, PutResponse, RangeRequest,
  RangeResponse, TxnRequest, TxnResponse,
} from '../../store/types.js';
import { type WatchCreateRequest, WatchHub } from '../../store/watch-hub.js';
import { type Logger, silentLogger } from '../../util/logger.js';
import { WatchSubscriptions } from '../watch-subscriptions.js';
import type {
  ClusterHeader, EtcdBackend, Member, PeerStatus, WatchSubscription,
} from './backend.js';
import { etcdError, fromStoreError, isEtcdError } from './errors.js';

/** Options of a LocalBackend; every field has a default. */
export interface LocalBackendOptions {
  /** The cluster id in every header. Default 0x1c0ac1e. */
  readonly clusterId?: number;
  /** This member's id. Default 0xc0ac1e. */
  readonly memberId?: number;
  /** This member's name. Default "local". */
  readonly name?: string;
  /** This member's peer URLs. Default ["http://127.0.0.1:2380"]. */
  readonly peerURLs?: readonly string[];
  /** This member's client URLs. Default ["http://127.0.0.1:2379"]. */
  readonly clientURLs?: readonly string[];
  /** The version Status reports; etcd clients check it. Default "3.5.0". */
  readonly version?: string;
  /** The clock for lease expiry, in ms. Default Date.now. */
  readonly nowMs?: () => number;
  /** How often expired leases are revoked, in ms (1..60000). Default 500. */
  readonly leaseCheckIntervalMs?: number;
  /**
   * How often idle watchers created with progress_notify get a progress response, in ms
   * (1..3600000). Default 600000 (etcd's 10 minutes).
   */
  readonly progressNotifyIntervalMs?: number;
  /** Where lease expiry is logged. Default silent. */
  readonly logger?: Logger;
}

/** Checks a timer interval option: a safe integer in 1..`maxMs`. */
function checkedInterval(name: string, valueMs: number, maxMs: number): number {
  if (!Number.isSafeInteger(valueMs) || valueMs < 1 || valueMs > maxMs) {
    throw new RangeError(`${name} must be in 1..${maxMs} ms, got ${valueMs}`);
  }
  return valueMs;
}

/** Resolves with `run()`'s result, or rejects with what it throws. */
function settle<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** LocalBackend is a single-member EtcdBackend over an in-process store (module comment). */
export class LocalBackend implements EtcdBackend {
  /** The store; tests may read it, but MUST write only through the backend. */
  readonly store = new MVCCStore();
  private readonly hub: WatchHub;
  private readonly subscriptions: WatchSubscriptions;
  private readonly clusterId: number;
  private readonly memberId: number;
  private readonly version: string;
  private readonly nowMs: () => number;
  private readonly logger: Logger;
  private readonly members: Member[];
  private readonly leaseTimer: NodeJS.Timeout;
  private readonly progressTimer: NodeJS.Timeout;
  private memberIdNext: number;
  private appliedIndex = 0;
  /** The snapshot size Status reports, computed once per applied index. */
  private dbSize = { appliedIndex: -1, bytes: 0 };
  private closed = false;

  /** Creates the backend and starts its lease timer (call `close()` to stop it). */
  constructor(options: LocalBackendOptions = {}) {
    this.clusterId = options.clusterId ?? 0x1c0ac1e;
    this.memberId = options.memberId ?? 0xc0ac1e;
    this.version = options.version ?? '3.5.0';
    this.nowMs = options.nowMs ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    this.memberIdNext = this.memberId + 1;
    this.members = [{
      id: this.memberId, name: options.name ?? 'local',
      peerURLs: options.peerURLs ?? ['http://127.0.0.1:2380'],
      clientURLs: options.clientURLs ?? ['http://127.0.0.1:2379'], isLearner: false,
    }];
    this.hub = new WatchHub(this.store);
    this.subscriptions = new WatchSubscriptions(this.hub);
    this.leaseTimer = setInterval(() => this.revokeExpiredLeases(),
      checkedInterval('leaseCheckIntervalMs', options.leaseCheckIntervalMs ?? 500, 60_000));
    this.leaseTimer.unref();
    this.progressTimer = setInterval(
      () => this.subscriptions.noteReady(this.hub.notifyProgress()),
      checkedInterval('progressNotifyIntervalMs', options.progressNotifyIntervalMs ?? 600_000,
        3_600_000));
    this.progressTimer.unref();
  }

  /** Number of open watch subscriptions (for tests and metrics). */
  get watcherCount(): number {
    return this.subscriptions.size;
  }

  /** Stops the lease timer and cancels every watch; later calls fail "server stopped". */
  close(): void {
    if (!this.closed) {
      this.closed = true;
      clearInterval(this.leaseTimer);
      clearInterval(this.progressTimer);
      this.subscriptions.cancelAll(etcdError('ETCD_ERR_STOPPED').message);
    }
  }

  header(): ClusterHeader {
    return { clusterId: this.clusterId, memberId: this.memberId, raftTerm: 1 };
  }

  range(request: RangeRequest): Promise<RangeResponse> {
    return settle(() => {
      this.assertOpen();
      const outcome = this.store.range(request);
      if (!outcome.ok) {
        throw fromStoreError(outcome.error);
      }
      return outcome.response;
    });
  }

  put(request: PutRequest): Promise<PutResponse> {
    return settle(() => this.apply({ type: 'put', request }));
  }

  deleteRange(request: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    return settle(() => this.apply({ type: 'deleteRange', request }));
  }

  txn(request: TxnRequest): Promise<TxnResponse> {
    return settle(() => this.apply({ type: 'txn', request }));
  }

  compact(request: CompactionRequest): Promise<CompactionResponse> {
    return settle(() => this.apply({ type: 'compaction', request }));
  }

  leaseGrant(request: LeaseGrantRequest): Promise<LeaseGrantResponse> {
    return settle(() => this.apply({ type: 'leaseGrant', request, nowMs: this.now() }));
  }

  leaseRevoke(request: LeaseRevokeRequest): Promise<LeaseRevokeResponse> {
    return settle(() => this.apply({ type: 'leaseRevoke', request }));
  }

  leaseKeepAlive(id: number): Promise<LeaseKeepAliveResponse> {
    return settle(() => this.apply({
      type: 'leaseKeepAlive', request: { ID: id }, nowMs: this.now(),
    }));
  }

  leaseTimeToLive(id: number, keys: boolean): Promise<LeaseTimeToLiveResponse> {
    return settle(() => {
      this.assertOpen();
      return this.store.leaseTimeToLive({ ID: id, keys }, this.now());
    });
  }

  leaseLeases(): Promise<readonly number[]> {
    return settle(() => {
      this.assertOpen();
      return this.store.leaseIds();
    });
  }

  watch(request: WatchCreateRequest): WatchSubscription {
    this.assertOpen();
    return this.subscriptions.create(request);
  }

  memberList(_linearizable: boolean): Promise<readonly Member[]> {
    return settle(() => {
      this.assertOpen();
      return [...this.members];
    });
  }

  memberAdd(peerURLs: readonly string[], isLearner: boolean):
    Promise<{ member: Member; members: readonly Member[] }> {
    return settle(() => this.addMember(peerURLs, isLearner));
  }

  memberRemove(id: number): Promise<readonly Member[]> {
    return settle(() => {
      const index = this.memberIndex(id);
      if (id === this.memberId) {
        // NB: removing the only started voter would leave no quorum (etcd's strict
        // reconfiguration check refuses it the same way).
        throw etcdError('ETCD_ERR_MEMBER_NOT_ENOUGH_STARTED');
      }
      this.members.splice(index, 1);
      return [...this.members];
    });
  }

  memberPromote(id: number): Promise<readonly Member[]> {
    return settle(() => {
      const member = this.members[this.memberIndex(id)];
      throw etcdError(member?.isLearner === true ? 'ETCD_ERR_LEARNER_NOT_READY'
        : 'ETCD_ERR_MEMBER_NOT_LEARNER');
    });
  }

  status(): Promise<PeerStatus> {
    return settle(() => {
      this.assertOpen();
      if (this.dbSize.appliedIndex !== this.appliedIndex) {
        this.dbSize = { appliedIndex: this.appliedIndex, bytes: this.store.snapshot().length };
      }
      const dbSize = this.dbSize.bytes;
      return {
        version: this.version, dbSize, dbSizeInUse: dbSize, leader: this.memberId,
        raftIndex: this.appliedIndex, raftTerm: 1, raftAppliedIndex: this.appliedIndex,
        isLearner: false, revision: this.store.revision, errors: [],
      };
    });
  }

  snapshot(): Promise<Uint8Array> {
    return settle(() => {
      this.assertOpen();
      return this.store.snapshot();
    });
  }

  moveLeader(targetId: number): Promise<void> {
    return settle(() => {
      this.assertOpen();
      if (targetId !== this.memberId) {
        // NB: every other member is an unstarted learner, never a valid transferee.
        throw etcdError('ETCD_ERR_BAD_LEADER_TRANSFEREE');
      }
    });
  }

  /** Applies one command, hands its events to the hub, and returns its response. */
  private apply<C extends StoreCommand>(command: C): CommandResponses[C['type']] {
    this.assertOpen();
    const result = this.store.apply(command);
    this.appliedIndex += 1;
    this.subscriptions.noteReady(this.hub.onApplied(result.events, result.revision));
    if (!result.result.ok) {
      throw fromStoreError(result.result.error);
    }
    return result.result.response;
  }

  private addMember(peerURLs: readonly string[], isLearner: boolean):
    { member: Member; members: readonly Member[] } {
    this.assertOpen();
    const taken = new Set(this.members.flatMap((member) => member.peerURLs));
    if (peerURLs.some((url) => taken.has(url))) {
      throw etcdError('ETCD_ERR_PEER_URL_EXIST');
    }
    if (!isLearner) {
      throw etcdError('ETCD_ERR_MEMBER_NOT_ENOUGH_STARTED');
    }
    if (this.members.some((member) => member.isLearner)) {
      // NB: etcd allows one learner at a time (maxLearners = 1).
      throw etcdError('ETCD_ERR_TOO_MANY_LEARNERS');
    }
    const member: Member = {
      id: this.memberIdNext, name: '', peerURLs: [...peerURLs], clientURLs: [], isLearner,
    };
    this.memberIdNext += 1;
    this.members.push(member);
    return { member, members: [...this.members] };
  }

  private memberIndex(id: number): number {
    this.assertOpen();
    const index = this.members.findIndex((member) => member.id === id);
    if (index < 0) {
      throw etcdError('ETCD_ERR_MEMBER_NOT_FOUND');
    }
    return index;
  }

  private revokeExpiredLeases(): void {
    if (this.closed) {
      return;
    }
    for (const id of this.store.expiredLeases(this.now())) {
      try {
        this.apply({ type: 'leaseRevoke', request: { ID: id } });
        this.logger.debug({ leaseId: id }, 'lease expired and was revoked');
      } catch (error) {
        if (!isEtcdError(error, 'STORE_ERR_LEASE_NOT_FOUND')) {
          throw error;
        }
      }
    }
  }

  private now(): number {
    return Math.floor(this.nowMs());
  }

  private assertOpen(): void {
    if (this.closed) {
      throw etcdError('ETCD_ERR_STOPPED');
    }
  }
}
