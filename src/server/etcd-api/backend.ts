/**
 * @module server/etcd-api/backend
 * The port between the etcd v3-compatible gRPC services and whatever executes requests:
 * the Raft-replicated peer in production, or a single in-process store in unit tests.
 *
 * Contract:
 * - Every method resolves with a response whose header revision is the store revision that
 *   the response reflects, or rejects with an `EtcdError` (code and etcd's exact message).
 * - `range` is linearizable unless `serializable` is set (the backend runs ReadIndex).
 * - Writes resolve only once the command is committed on a quorum (fsynced) and applied on
 *   THIS peer, so a read that follows on this peer sees it.
 * - `watch` returns a subscription fed from this peer's own store (no leader round trip).
 */
import type {
  CompactionRequest, CompactionResponse, DeleteRangeRequest, DeleteRangeResponse,
  LeaseGrantRequest, LeaseGrantResponse, LeaseKeepAliveResponse, LeaseRevokeRequest,
  LeaseRevokeResponse, LeaseTimeToLiveResponse, PutRequest, PutResponse, RangeRequest,
  RangeResponse, TxnRequest, TxnResponse,
} from '../../store/types.js';
import type { WatchCreateRequest, WatchResponse } from '../../store/watch-hub.js';

/** ClusterHeader is the part of etcd's ResponseHeader the backend adds to every response. */
export interface ClusterHeader {
  readonly clusterId: number;
  readonly memberId: number;
  readonly raftTerm: number;
}

/** Member describes one peer as etcd's Cluster.MemberList reports it. */
export interface Member {
  readonly id: number;
  readonly name: string;
  readonly peerURLs: readonly string[];
  readonly clientURLs: readonly string[];
  readonly isLearner: boolean;
}

/** PeerStatus is what Maintenance.Status reports. */
export interface PeerStatus {
  readonly version: string;
  readonly dbSize: number;
  readonly dbSizeInUse: number;
  readonly leader: number;
  readonly raftIndex: number;
  readonly raftTerm: number;
  readonly raftAppliedIndex: number;
  readonly isLearner: boolean;
  readonly revision: number;
  readonly errors: readonly string[];
}

/** WatchSubscription is one watcher on this peer's store. */
export interface WatchSubscription {
  /** The created response (or a cancellation, e.g. compacted start revision). */
  readonly created: WatchResponse;
  /**
   * Registers the consumer: `onResponses` is called whenever responses are ready, in order.
   * Events are never dropped; a consumer too slow for the bounded buffer gets a cancel.
   * Backpressure: when `onResponses` returns false (its stream is full), no more responses
   * are delivered until the consumer calls `resume()`; meanwhile events wait in the hub's
   * bounded per-watcher queue, and a watcher that overflows it is cancelled with a reason.
   * `canAccept`, when given, is asked BEFORE responses are taken from the store: when it says
   * false the watcher is paused without draining, so many watchers sharing one congested
   * stream wait in their own queues instead of piling into the stream's.
   */
  start(onResponses: (responses: WatchResponse[]) => boolean | void,
    canAccept?: () => boolean): void;
  /** Resumes delivery after `onResponses` returned false. */
  resume?(): void;
  /** Queues a progress notification (WatchProgressRequest). */
  requestProgress(): void;
  /** Cancels the watcher; no more responses are delivered after this returns. */
  cancel(): void;
}

/** EtcdBackend executes etcd v3 API requests (see the module comment). */
export interface EtcdBackend {
  header(): ClusterHeader;
  range(request: RangeRequest): Promise<RangeResponse>;
  put(request: PutRequest): Promise<PutResponse>;
  deleteRange(request: DeleteRangeRequest): Promise<DeleteRangeResponse>;
  txn(request: TxnRequest): Promise<TxnResponse>;
  compact(request: CompactionRequest): Promise<CompactionResponse>;
  leaseGrant(request: LeaseGrantRequest): Promise<LeaseGrantResponse>;
  leaseRevoke(request: LeaseRevokeRequest): Promise<LeaseRevokeResponse>;
  leaseKeepAlive(id: number): Promise<LeaseKeepAliveResponse>;
  leaseTimeToLive(id: number, keys: boolean): Promise<LeaseTimeToLiveResponse>;
  leaseLeases(): Promise<readonly number[]>;
  watch(request: WatchCreateRequest): WatchSubscription;
  memberList(linearizable: boolean): Promise<readonly Member[]>;
  memberAdd(peerURLs: readonly string[], isLearner: boolean):
    Promise<{ member: Member; members: readonly Member[] }>;
  memberRemove(id: number): Promise<readonly Member[]>;
  memberPromote(id: number): Promise<readonly Member[]>;
  status(): Promise<PeerStatus>;
  /** Returns a consistent snapshot of the store's data (Maintenance.Snapshot). */
  snapshot(): Promise<Uint8Array>;
  /** Moves leadership to `targetId` (Maintenance.MoveLeader); only valid on the leader. */
  moveLeader(targetId: number): Promise<void>;
}
