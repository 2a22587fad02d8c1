/**
 * @module server/raft-backend
 * The production EtcdBackend: every write goes through the Raft log (forwarded to the
 * leader when this peer follows) and resolves once applied here; linearizable reads wait
 * on a ReadIndex barrier and are then served from this peer's own store; watches are fed
 * from this peer's store, with no leader round trip.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfChangeType, Role } from '../raft/types.js';
import { storeError } from '../store/errors.js';
import type { Outcome, StoreErrorCode } from '../store/errors.js';
import type { StoreCommand } from '../store/mvcc-store.js';
import { validateDeleteRange, validatePut, validateTxn } from '../store/txn.js';
import type {
  CompactionRequest, CompactionResponse, DeleteRangeRequest, DeleteRangeResponse,
  LeaseGrantRequest, LeaseGrantResponse, LeaseKeepAliveResponse, LeaseRevokeRequest,
  LeaseRevokeResponse, LeaseTimeToLiveResponse, PutRequest, PutResponse, RangeRequest,
  RangeResponse, TxnRequest, TxnResponse,
} from '../store/types.js';
import type { WatchCreateRequest } from '../store/watch-hub.js';
import type {
  ClusterHeader, EtcdBackend, Member, PeerStatus, WatchSubscription,
} from './etcd-api/backend.js';
import { etcdError, fromStoreError } from './etcd-api/errors.js';
import { encodeConfContext } from './members.js';
import { memberIdFor } from './identity.js';
import type { Peer } from './peer.js';

/** The etcd version Coracle reports, so clients enable the v3.5 API. */
export const reportedEtcdVersion = '3.5.0';

/**
 * Refuses a request the store would refuse BEFORE it enters the Raft log, as etcd's v3rpc
 * checks do. NB: this is also a safety net: the command codec drops empty bytes fields
 * (proto3 defaults), so an empty key would reach every peer's apply as `undefined`.
 */
function checkBeforePropose(code: StoreErrorCode | undefined): void {
  if (code !== undefined) throw fromStoreError(storeError(code));
}

function unwrap<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw fromStoreError(outcome.error);
  return outcome.response;
}

/** RaftBackend implements EtcdBackend over a running Peer (see the module comment). */
export class RaftBackend implements EtcdBackend {
  /** Creates the backend; `clusterId` is the numeric cluster id clients see. */
  constructor(
    private readonly peer: Peer,
    private readonly identity: { clusterId: number; memberId: number; dataDir: string;
      /** DEBUG ONLY: skip ReadIndex (stale reads), so chaos can prove its checker bites. */
      unsafeServeStaleReads?: boolean },
  ) {}

  header(): ClusterHeader {
    return {
      clusterId: this.identity.clusterId, memberId: this.identity.memberId,
      raftTerm: this.peer.raft.currentTerm(),
    };
  }

  async range(request: RangeRequest): Promise<RangeResponse> {
    if (request.serializable !== true && this.identity.unsafeServeStaleReads !== true) {
      await this.peer.readBarrier();
    }
    return unwrap(this.peer.stateMachine.store.range(request));
  }

  async put(request: PutRequest): Promise<PutResponse> {
    checkBeforePropose(validatePut(request));
    return this.write<PutResponse>({ type: 'put', request });
  }

  async deleteRange(request: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    checkBeforePropose(validateDeleteRange(request));
    return this.write<DeleteRangeResponse>({ type: 'deleteRange', request });
  }

  async txn(request: TxnRequest): Promise<TxnResponse> {
    checkBeforePropose(validateTxn(request));
    return this.write<TxnResponse>({ type: 'txn', request });
  }

  async compact(request: CompactionRequest): Promise<CompactionResponse> {
    return this.write<CompactionResponse>({ type: 'compaction', request });
  }

  async leaseGrant(request: LeaseGrantRequest): Promise<LeaseGrantResponse> {
    return this.write<LeaseGrantResponse>({ type: 'leaseGrant', request, nowMs: Date.now() });
  }

  async leaseRevoke(request: LeaseRevokeRequest): Promise<LeaseRevokeResponse> {
    return this.write<LeaseRevokeResponse>({ type: 'leaseRevoke', request });
  }

  async leaseKeepAlive(id: number): Promise<LeaseKeepAliveResponse> {
    return this.write<LeaseKeepAliveResponse>({ type: 'leaseKeepAlive', request: { ID: id }, nowMs: Date.now() });
  }

  async leaseTimeToLive(id: number, keys: boolean): Promise<LeaseTimeToLiveResponse> {
    await this.peer.readBarrier();
    return this.peer.stateMachine.store.leaseTimeToLive({ ID: id, keys }, Date.now());
  }

  async leaseLeases(): Promise<readonly number[]> {
    await this.peer.readBarrier();
    return this.peer.stateMachine.store.leaseIds();
  }

  watch(request: WatchCreateRequest): WatchSubscription {
    return this.peer.stateMachine.subscriptions.create(request);
  }

  async memberList(linearizable: boolean): Promise<readonly Member[]> {
    if (linearizable) await this.peer.readBarrier();
    return this.members();
  }

  async memberAdd(peerURLs: readonly string[], isLearner: boolean):
    Promise<{ member: Member; members: readonly Member[] }> {
    if (peerURLs.length === 0) throw etcdError('ETCD_ERR_MEMBER_BAD_URLS');
    for (const member of this.members()) {
      if (member.peerURLs.some((url) => peerURLs.includes(url))) {
        throw etcdError('ETCD_ERR_PEER_URL_EXIST');
      }
    }
    const id = memberIdFor(String(this.identity.clusterId), peerURLs, Date.now());
    await this.peer.proposeConfChange({
      type: isLearner ? ConfChangeType.AddLearner : ConfChangeType.AddVoter, nodeId: id,
      context: encodeConfContext({ name: '', peerURLs }),
    });
    const members = this.members();
    const member = members.find((candidate) => candidate.id === id);
    if (member === undefined) throw etcdError('ETCD_ERR_MEMBER_NOT_FOUND');
    return { member, members };
  }

  async memberRemove(id: number): Promise<readonly Member[]> {
    this.requireMember(id);
    await this.peer.proposeConfChange({
      type: ConfChangeType.RemoveNode, nodeId: id, context: new Uint8Array(0),
    });
    return this.members();
  }

  async memberPromote(id: number): Promise<readonly Member[]> {
    const member = this.requireMember(id);
    if (!member.isLearner) throw etcdError('ETCD_ERR_MEMBER_NOT_LEARNER');
    const status = this.peer.status();
    const progress = status.progress.get(id);
    if (status.role === Role.Leader && (progress === undefined ||
      progress.match < status.commit * 0.9)) {
      throw etcdError('ETCD_ERR_LEARNER_NOT_READY');
    }
    await this.peer.proposeConfChange({
      type: ConfChangeType.PromoteLearner, nodeId: id, context: new Uint8Array(0),
    });
    return this.members();
  }

  status(): Promise<PeerStatus> {
    const raft = this.peer.status();
    const dbSize = directoryBytes(this.identity.dataDir);
    const failure = this.peer.failure();
    return Promise.resolve({
      // NB: a crash-stopped peer's Raft state is frozen; it MUST NOT go on naming a leader
      // (itself, when it led), or status tools would see two leaders.
      version: reportedEtcdVersion, dbSize, dbSizeInUse: dbSize,
      leader: failure === null ? raft.leaderId : 0,
      raftIndex: raft.commit, raftTerm: raft.term, raftAppliedIndex: raft.applied,
      isLearner: raft.membership.learners.includes(this.identity.memberId),
      revision: this.peer.stateMachine.store.revision,
      errors: failure === null ? [] : [failure.message],
    });
  }

  snapshot(): Promise<Uint8Array> {
    return Promise.resolve(this.peer.stateMachine.snapshotData());
  }

  async moveLeader(targetId: number): Promise<void> {
    if (this.peer.status().role !== Role.Leader) throw etcdError('ETCD_ERR_NOT_LEADER');
    await this.peer.transferLeadership(targetId);
  }

  private members(): Member[] {
    return this.peer.stateMachine.members.list(this.peer.raft.membership());
  }

  private requireMember(id: number): Member {
    const member = this.members().find((candidate) => candidate.id === id);
    if (member === undefined) throw etcdError('ETCD_ERR_MEMBER_NOT_FOUND');
    return member;
  }

  private async write<R>(command: StoreCommand): Promise<R> {
    const outcome = await this.peer.propose(command) as Outcome<R>;
    return unwrap(outcome);
  }
}

function directoryBytes(directory: string): number {
  let total = 0;
  try {
    for (const name of readdirSync(directory)) total += statSync(join(directory, name)).size;
  } catch {
    return 0;
  }
  return total;
}
