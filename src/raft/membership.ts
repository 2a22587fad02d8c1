/**
 * @module raft/membership
 * Membership changes one server at a time (Raft thesis §4.1) and quorum arithmetic.
 *
 * A change takes effect when its entry is applied (as in etcd), and the leader accepts a new
 * change only after the previous one is applied and after it has committed an entry of its
 * own term: that ordering closes the single-server change bug Ongaro described in 2015.
 */
import { assert } from '../util/assert.js';
import { ConfChangeType, EntryType } from './types.js';
import type { ConfChange, Entry, HardState, Membership, NodeId, Snapshot } from './types.js';

const confChangeVersion = 1;
const confChangeHeaderBytes = 10;

/** Encodes a ConfChange as entry data: version, type, 8-byte node id, then the context. */
export function encodeConfChange(change: ConfChange): Uint8Array {
  assert(Number.isSafeInteger(change.nodeId) && change.nodeId > 0, 'node id must be positive');
  const bytes = new Uint8Array(confChangeHeaderBytes + change.context.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, confChangeVersion);
  view.setUint8(1, change.type);
  view.setUint32(2, Math.floor(change.nodeId / 0x100000000));
  view.setUint32(6, change.nodeId >>> 0);
  bytes.set(change.context, confChangeHeaderBytes);
  return bytes;
}

/** Decodes entry data into a ConfChange; returns null when the data is malformed. */
export function decodeConfChange(data: Uint8Array): ConfChange | null {
  if (data.length < confChangeHeaderBytes) return null;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint8(0) !== confChangeVersion) return null;
  const type = view.getUint8(1);
  if (!(type in ConfChangeType)) return null;
  const nodeId = view.getUint32(2) * 0x100000000 + view.getUint32(6);
  if (!Number.isSafeInteger(nodeId) || nodeId <= 0) return null;
  return { type: type as ConfChangeType, nodeId, context: data.slice(confChangeHeaderBytes) };
}

/** Returns true when `id` is a voter or a learner. */
export function isMember(membership: Membership, id: NodeId): boolean {
  return membership.voters.includes(id) || membership.learners.includes(id);
}

/** Returns every member, voters first, each list in ascending id order. */
export function members(membership: Membership): NodeId[] {
  return [...membership.voters, ...membership.learners];
}

/** Returns the votes needed for a majority of the voters. */
export function quorumSize(membership: Membership): number {
  return Math.floor(membership.voters.length / 2) + 1;
}

/**
 * Applies `change` to `membership`; returns null when the change is invalid there (applying
 * an invalid change is a deterministic no-op on every peer).
 */
export function applyConfChange(membership: Membership, change: ConfChange): Membership | null {
  const voters = membership.voters.filter((id) => id !== change.nodeId);
  const learners = membership.learners.filter((id) => id !== change.nodeId);
  const sorted = (ids: NodeId[]): NodeId[] => ids.sort((a, b) => a - b);
  switch (change.type) {
    case ConfChangeType.AddVoter:
      if (membership.voters.includes(change.nodeId)) return null;
      return { voters: sorted([...voters, change.nodeId]), learners };
    case ConfChangeType.AddLearner:
      if (isMember(membership, change.nodeId)) return null;
      return { voters, learners: sorted([...learners, change.nodeId]) };
    case ConfChangeType.PromoteLearner:
      if (!membership.learners.includes(change.nodeId)) return null;
      return { voters: sorted([...voters, change.nodeId]), learners };
    case ConfChangeType.RemoveNode:
      if (!isMember(membership, change.nodeId)) return null;
      if (voters.length === 0) return null;
      return { voters, learners };
  }
}

/** The persisted state a peer starts from: hard state, snapshot, entries after it. */
export interface PersistedState {
  readonly hardState: HardState;
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
}

/**
 * Returns the initial state of a founding member: one committed AddVoter entry per voter at
 * term 1, identical on every founding member (etcd bootstraps the same way), so a peer
 * that joins later learns the founding membership from the log itself.
 */
export function bootstrapState(voters: readonly NodeId[], context?: (id: NodeId) => Uint8Array):
  PersistedState {
  assert(voters.length > 0, 'bootstrap needs at least one voter');
  assert(new Set(voters).size === voters.length, 'bootstrap voters must be distinct');
  const ordered = [...voters].sort((a, b) => a - b);
  const entries: Entry[] = ordered.map((nodeId, i) => ({
    term: 1,
    index: i + 1,
    type: EntryType.ConfChange,
    data: encodeConfChange({
      type: ConfChangeType.AddVoter,
      nodeId,
      context: context?.(nodeId) ?? new Uint8Array(0),
    }),
  }));
  return { hardState: { term: 1, vote: 0, commit: entries.length }, snapshot: null, entries };
}

/** Returns the empty state of a peer that will be added to a running cluster. */
export function joinerState(): PersistedState {
  return { hardState: { term: 0, vote: 0, commit: 0 }, snapshot: null, entries: [] };
}
