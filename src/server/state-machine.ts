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
import { crc32 } from 'node:zlib';
import { applyConfChange, decodeConfChange } from '../raft/membership.js';
import { EntryType } from '../raft/types.js';
import type { Entry, Membership } from '../raft/types.js';
import type { ByteSource } from '../store/chunks.js';
import { MVCCStore } from '../store/mvcc-store.js';
import type { MVCCStoreOptions } from '../store/mvcc-store.js';
import type { ValueStore } from '../store/value-store.js';
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

/**
 * Snapshot data layout: u32 magic "CRN1" | u32 length | the member registry as JSON | the
 * store's snapshot (store/rows). Both directions stream, so the whole snapshot is never one
 * array in memory.
 */
function writeSnapshotData(members: readonly MemberRecord[], store: MVCCStore,
  sink: (chunk: Uint8Array) => void): number {
  const membersBytes = Buffer.from(JSON.stringify(members));
  const header = Buffer.allocUnsafe(8);
  header.writeUInt32BE(snapshotMagic, 0);
  header.writeUInt32BE(membersBytes.length, 4);
  sink(header);
  sink(membersBytes);
  return 8 + membersBytes.length + store.snapshotTo(sink);
}

/** Reads the member registry of snapshot data; returns it and where the store's part starts. */
function readSnapshotMembers(data: ByteSource): { members: MemberRecord[]; storeStart: number } {
  const header = Buffer.from(data.subarray(0, Math.min(8, data.byteLength)));
  if (header.length < 8 || header.readUInt32BE(0) !== snapshotMagic) {
    throw new Error('not a Coracle snapshot');
  }
  const membersLength = header.readUInt32BE(4);
  const membersBytes = Buffer.from(data.subarray(8, 8 + membersLength));
  const members = JSON.parse(membersBytes.toString('utf8')) as MemberRecord[];
  return { members, storeStart: 8 + membersLength };
}

/** StateMachine applies committed entries to the store, the hub and the member registry. */
export class StateMachine {
  store: MVCCStore;
  hub: WatchHub;
  members: MemberRegistry;
  readonly subscriptions: WatchSubscriptions;
  private readonly options: MVCCStoreOptions;

  /**
   * Creates an empty state machine (restore a snapshot into it, then apply the log) whose
   * store keeps its values in `values` (default: in memory).
   */
  constructor(private readonly memberId: number,
    options: { values?: ValueStore } = {}) {
    // NB: zlib's native CRC-32 for snapshots, ~5x the core's JavaScript one (store/bytes).
    this.options = { ...options, crc32 };
    this.store = new MVCCStore(this.options);
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
  restore(data: ByteSource): void {
    const { members, storeStart } = readSnapshotMembers(data);
    this.subscriptions.cancelAll('etcdserver: snapshot installed on this member; re-watch');
    this.store = MVCCStore.restore(data, { ...this.options, start: storeStart });
    this.hub = new WatchHub(this.store);
    this.subscriptions.replaceHub(this.hub);
    this.members = MemberRegistry.fromJSON(members);
  }

  /**
   * Writes the full state as Raft snapshot data to `sink`, one reused chunk at a time (the
   * sink MUST consume each before returning); returns the size in bytes.
   */
  snapshotTo(sink: (chunk: Uint8Array) => void): number {
    return writeSnapshotData(this.members.toJSON(), this.store, sink);
  }

  /** Returns the full state as Raft snapshot data in one array (the Maintenance API). */
  snapshotData(): Uint8Array {
    const chunks: Buffer[] = [];
    this.snapshotTo((chunk) => chunks.push(Buffer.from(chunk)));
    return Buffer.concat(chunks);
  }
}
