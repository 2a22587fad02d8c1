/**
 * @module raft/types
 * The data the Raft core exchanges with its shell: log entries, messages, hard state,
 * snapshots, membership and the Ready batch. Everything here is plain data (no classes), so
 * a shell can encode it to protobuf and a simulator can copy it freely.
 *
 * Vocabulary: a `term` and an `index` are Raft's (Raft thesis §3); a `NodeId` is a non-zero
 * safe integer naming one peer for its whole life (etcd member ids are uint64; Coracle keeps
 * them below 2^53 so they fit a JS number).
 */

/** NodeId names one peer; 0 means "none" (no leader, no vote). */
export type NodeId = number;

/** The id that means "no node". */
export const NONE: NodeId = 0;

/** EntryType tells the application how to interpret an entry's data. */
export enum EntryType {
  /** Application data (a state machine command); empty data is a leader's no-op. */
  Normal = 0,
  /** A membership change, encoded with `encodeConfChange`. */
  ConfChange = 1,
}

/** Entry is one record of the replicated log. */
export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** ConfChangeType is one single-server membership change (Raft thesis §4.1). */
export enum ConfChangeType {
  /** Adds a voter directly; used to bootstrap the initial configuration. */
  AddVoter = 0,
  /** Adds a non-voting learner that receives the log but is not counted in quorums. */
  AddLearner = 1,
  /** Promotes an existing learner to voter. */
  PromoteLearner = 2,
  /** Removes a voter or learner (the leader itself included). */
  RemoveNode = 3,
}

/** ConfChange is a decoded membership change entry. */
export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
  /** Opaque application context (Coracle stores the peer's name and URLs here). */
  readonly context: Uint8Array;
}

/** Membership is the set of voters and learners in force (etcd's ConfState). */
export interface Membership {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/** HardState is the state Raft MUST persist before answering any message (Figure 2). */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

/** SnapshotMeta identifies a snapshot: the last index/term it covers and its membership. */
export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly membership: Membership;
}

/**
 * SnapshotData is a snapshot's opaque bytes as the core sees them: a length, and a way to
 * read a piece. A Uint8Array is one. A shell may instead pass a stand-in that reads the piece
 * from the snapshot it stored on disk, so the bytes need not stay in memory between the
 * (rare) transfers to followers that fell behind (issue 5: ~40 MB per peer at 100k keys).
 * Such a stand-in MUST be synchronous, MUST return the same bytes on every call, and MUST
 * stay readable while the core holds it; the core only reads pieces of at most
 * `snapshotChunkBytes`, and never keeps the result beyond the message it goes into.
 */
export interface SnapshotData {
  readonly byteLength: number;
  /** Returns bytes [start, end), as Uint8Array#subarray does. */
  subarray(start: number, end: number): Uint8Array;
}

/** Snapshot is the application state at `meta.index`, with its opaque data. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: SnapshotData;
}

/** MessageType enumerates every Raft message the core sends or accepts. */
export enum MessageType {
  /** Leader → follower: entries after (index, logTerm), plus the leader's commit. */
  Append = 1,
  /** Follower → leader: accepted up to `index`, or rejected with a conflict hint. */
  AppendResponse = 2,
  /** Candidate → voter: request a vote for `term` with last log (index, logTerm). */
  Vote = 3,
  VoteResponse = 4,
  /** Pre-candidate → voter: would you vote for me at `term` (not adopted by the voter)? */
  PreVote = 5,
  PreVoteResponse = 6,
  /** Leader → follower: liveness and commit; `context` carries the read-index round. */
  Heartbeat = 7,
  HeartbeatResponse = 8,
  /** Leader → follower: one chunk of a snapshot (InstallSnapshot, Figure 13). */
  Snapshot = 9,
  /** Follower → leader: chunk received up to `index` (byte offset) or rejected. */
  SnapshotResponse = 10,
  /** Follower → leader: forwarded client proposals. */
  Propose = 11,
  /** Follower → leader: a read-index request identified by `context`. */
  ReadIndex = 12,
  /** Leader → follower: the read index for the follower's request `context`. */
  ReadIndexResponse = 13,
  /** Leader → transfer target: campaign now, skipping pre-vote and leader stickiness. */
  TimeoutNow = 14,
  /** Follower → leader: please transfer leadership to `index` (the target id). */
  TransferLeader = 15,
}

/** SnapshotChunk is one piece of an InstallSnapshot transfer. */
export interface SnapshotChunk {
  readonly meta: SnapshotMeta;
  /** Byte offset of `data` within the whole snapshot. */
  readonly offset: number;
  readonly totalBytes: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

/**
 * Message is the single envelope of all Raft RPCs. Fields not used by a type are 0/empty.
 * The meaning of `index`/`logTerm` per type follows etcd's raftpb.Message.
 */
export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  /** Append: term of entry at `index`; votes: last log term; rejections: hint term. */
  readonly logTerm: number;
  /** Append: index before `entries`; resp: last matched or rejected index; votes: last index. */
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
  readonly reject: boolean;
  /** AppendResponse rejection: the follower's hint of where to probe next. */
  readonly rejectHint: number;
  /** Heartbeats: read-index round; ReadIndex: request id; Vote: 1 when forced by transfer. */
  readonly context: number;
  readonly snapshot: SnapshotChunk | null;
}

/** ReadState says a read with `requestId` is linearizable once `index` is applied locally. */
export interface ReadState {
  readonly requestId: number;
  readonly index: number;
}

/** Role is the Raft role of a peer. */
export enum Role {
  Follower = 'follower',
  PreCandidate = 'pre-candidate',
  Candidate = 'candidate',
  Leader = 'leader',
}

/** SoftState is volatile state reported for observability (leader and role). */
export interface SoftState {
  readonly leaderId: NodeId;
  readonly role: Role;
  readonly term: number;
}

/**
 * Ready is one batch of effects the shell MUST carry out, in this order:
 *
 *   1. persist `snapshot` (if any; it REPLACES the whole persisted log, every persisted
 *      entry is discarded), then `entries` and `hardState`, all in ONE synced write (when
 *      `mustSync`), deleting any persisted entries at or after `entries[0].index` first;
 *   2. only AFTER that write is durable, send `messages`;
 *   3. apply `snapshot` (if any) to the state machine, then `committedEntries` in order,
 *      and serve `readStates` once their index is applied;
 *   4. call `advance(ready)`.
 *
 * Skipping or reordering these steps breaks Raft's durability guarantee: a vote or an append
 * acknowledgement sent before the fsync can be forgotten by a crash.
 */
export interface Ready {
  readonly softState: SoftState;
  /** Present when it changed since the last Ready. */
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | null;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
  /** True when `entries` or `hardState` must be fsynced before `messages` are sent. */
  readonly mustSync: boolean;
}

/** DropReason explains why a proposal or request was not accepted. */
export enum DropReason {
  /** No leader is known; retry after an election (etcd: "etcdserver: no leader"). */
  NoLeader = 'no-leader',
  /** Leadership is being transferred; retry shortly, at the new leader. */
  TransferInProgress = 'transfer-in-progress',
  /** Too many uncommitted bytes on the leader; back off and retry (backpressure). */
  TooManyUncommitted = 'too-many-uncommitted',
  /** A membership change is already in flight; retry after it is applied. */
  ConfChangePending = 'conf-change-pending',
  /** The membership change is invalid for the current membership; do not retry. */
  InvalidConfChange = 'invalid-conf-change',
  /** This node was removed from the cluster; do not retry here. */
  Removed = 'removed',
  /** The request is malformed or exceeds a limit; do not retry as is. */
  Invalid = 'invalid',
  /** The target of a leadership transfer is not a voter or is this node. */
  InvalidTransferTarget = 'invalid-transfer-target',
}

/** ProposeResult is the outcome of `propose`, `proposeConfChange`, `readIndex`. */
export type ProposeResult =
  | { readonly kind: 'accepted'; readonly index: number; readonly term: number }
  | { readonly kind: 'forwarded'; readonly leaderId: NodeId }
  | { readonly kind: 'dropped'; readonly reason: DropReason };
