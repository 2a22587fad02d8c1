/**
 * @module server/state-machine
 * The peer's replicated state machine: the MVCC store, its watch hub, and the member
 * registry, applied from committed Raft entries in log order.
 *
 * Contract: `applyEntries` MUST receive committed entries in order, exactly once each; it
 * returns the results of the commands this peer proposed (keyed by request id) so waiting
 * clients can be answered. The state lives in memory: a restart restores the last snapshot
 * and re-applies the log after it.
 */
import { applyConfChange, decodeConfChange } from '../raft/membership.js';
import { EntryType } from '../raft/types.js';
import type { Entry, Membership } from '../raft/types.js';
import { MVCCStore } from '../store/mvcc-store.js';
import { WatchHub } from '../store/watch-hub.js';
import { decodeCommand } from './command-codec.js';
import type { ReplicatedOp } from './command-codec.js';
import { MemberRegistry } from './members.js';
import type { MemberRecord } from './members.js';
import { WatchSubscriptions } from './watch-subscriptions.js';

/** AppliedBatch is what applying a run of committed entries produced. */
export interface AppliedBatch {
  /** Results of commands proposed by this member, by request id. */
  readonly results: Map<number, unknown>;
  readonly membersChanged: boolean;
}

const snapshotMagic = 0x43524e31; // "CRN1"

/** Encodes the full state (members and store) as Raft snapshot data. */
export function encodeSnapshotData(members: readonly MemberRecord[], store: Uint8Array):
  Uint8Array {
  const membersBytes = Buffer.from(JSON.stringify(members));
  const data = Buffer.allocUnsafe(8 + membersBytes.length + store.length);
  data.writeUInt32BE(snapshotMagic, 0);
  data.writeUInt32BE(membersBytes.length, 4);
  data.set(membersBytes, 8);
  data.set(store, 8 + membersBytes.length);
  return data;
}

/** Decodes snapshot data; throws when it is not Coracle snapshot data. */
export function decodeSnapshotData(data: Uint8Array): { members: MemberRecord[];
  store: Uint8Array } {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buffer.length < 8 || buffer.readUInt32BE(0) !== snapshotMagic) {
    throw new Error('not a Coracle snapshot');
  }
  const membersLength = buffer.readUInt32BE(4);
  const members = JSON.parse(buffer.subarray(8, 8 + membersLength).toString('utf8')) as
    MemberRecord[];
  return { members, store: buffer.subarray(8 + membersLength) };
}

/** StateMachine applies committed entries to the store, the hub and the member registry. */
export class StateMachine {
  store: MVCCStore;
  hub: WatchHub;
  members: MemberRegistry;
  readonly subscriptions: WatchSubscriptions;

  /** Creates an empty state machine (restore a snapshot into it, then apply the log). */
  constructor(private readonly memberId: number) {
    this.store = MVCCStore.loadRows([]);
    this.hub = new WatchHub(this.store);
    this.members = MemberRegistry.fromJSON([]);
    this.subscriptions = new WatchSubscriptions(this.hub);
  }

  /** Applies committed entries in order; `membership` is the one in force before them. */
  applyEntries(entries: readonly Entry[], membership: Membership): AppliedBatch {
    const results = new Map<number, unknown>();
    let current = membership;
    let membersChanged = false;
    for (const entry of entries) {
      if (entry.type === EntryType.ConfChange) {
        const change = decodeConfChange(entry.data);
        const next = change === null ? null : applyConfChange(current, change);
        if (change !== null && next !== null) {
          current = next;
          this.members.applyConfChange(change, next);
          membersChanged = true;
        }
        continue;
      }
      if (entry.data.length === 0) continue;
      const envelope = decodeCommand(entry.data);
      if (envelope === null) continue;
      const result = this.applyOp(envelope.op);
      if (envelope.op.type === 'memberAttributes') membersChanged = true;
      if (envelope.memberId === this.memberId) results.set(envelope.requestId, result);
    }
    this.subscriptions.pump();
    return { results, membersChanged };
  }

  private applyOp(op: ReplicatedOp): unknown {
    if (op.type === 'memberAttributes') {
      this.members.applyAttributes(op.memberId, op.name, op.clientUrls);
      return null;
    }
    const applied = this.store.apply(op);
    this.subscriptions.noteReady(this.hub.onApplied(applied.events, applied.revision));
    return applied.result;
  }

  /** Replaces the whole state with a snapshot's; every open watcher is cancelled. */
  restore(data: Uint8Array): void {
    const decoded = decodeSnapshotData(data);
    this.subscriptions.cancelAll('etcdserver: snapshot installed on this member; re-watch');
    this.store = MVCCStore.restore(decoded.store);
    this.hub = new WatchHub(this.store);
    this.subscriptions.replaceHub(this.hub);
    this.members = MemberRegistry.fromJSON(decoded.members);
  }

  /** Returns the full state as Raft snapshot data. */
  snapshotData(): Uint8Array {
    return encodeSnapshotData(this.members.toJSON(), this.store.snapshot());
  }
}
