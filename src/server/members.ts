/**
 * @module server/members
 * The member registry: names and URLs of the peers, replicated through the Raft log.
 * Conf change entries carry a member's name and peer URLs (their context); each peer then
 * publishes its client URLs with a `memberAttributes` command once it runs (like etcd).
 * Voter or learner status always comes from the Raft membership itself.
 */
import type { ConfChange, Membership } from '../raft/types.js';
import { ConfChangeType } from '../raft/types.js';
import type { Member } from './etcd-api/backend.js';

/** MemberRecord is what the registry keeps per member. */
export interface MemberRecord {
  readonly id: number;
  readonly name: string;
  readonly peerURLs: readonly string[];
  readonly clientURLs: readonly string[];
}

/** ConfChangeContext is the JSON carried in a conf change entry's context. */
export interface ConfChangeContext {
  readonly name: string;
  readonly peerURLs: readonly string[];
}

/** Encodes a conf change context. */
export function encodeConfContext(context: ConfChangeContext): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(context));
}

function decodeConfContext(bytes: Uint8Array): ConfChangeContext {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as Partial<ConfChangeContext>;
    return {
      name: typeof parsed.name === 'string' ? parsed.name : '',
      peerURLs: Array.isArray(parsed.peerURLs) ? parsed.peerURLs.map(String) : [],
    };
  } catch {
    return { name: '', peerURLs: [] };
  }
}

/** MemberRegistry maps member ids to their names and URLs. */
export class MemberRegistry {
  private readonly records = new Map<number, MemberRecord>();

  /** Applies a committed membership change (the Raft core decides validity). */
  applyConfChange(change: ConfChange, membership: Membership): void {
    const present = membership.voters.includes(change.nodeId) ||
      membership.learners.includes(change.nodeId);
    if (change.type === ConfChangeType.RemoveNode || !present) {
      if (!present) this.records.delete(change.nodeId);
      return;
    }
    const existing = this.records.get(change.nodeId);
    if (change.type === ConfChangeType.PromoteLearner && existing !== undefined) return;
    const context = decodeConfContext(change.context);
    this.records.set(change.nodeId, {
      id: change.nodeId, name: context.name || existing?.name || '',
      peerURLs: context.peerURLs.length > 0 ? context.peerURLs : existing?.peerURLs ?? [],
      clientURLs: existing?.clientURLs ?? [],
    });
  }

  /** Records a member's published name and client URLs. */
  applyAttributes(memberId: number, name: string, clientURLs: readonly string[]): void {
    const existing = this.records.get(memberId);
    if (existing === undefined) return;
    this.records.set(memberId, { ...existing, name: name || existing.name, clientURLs });
  }

  /** Returns one member's record. */
  get(memberId: number): MemberRecord | undefined {
    return this.records.get(memberId);
  }

  /** Lists the members of `membership`, voters and learners, ordered by id. */
  list(membership: Membership): Member[] {
    const ids = [...membership.voters, ...membership.learners].sort((a, b) => a - b);
    return ids.map((id) => {
      const record = this.records.get(id);
      return {
        id, name: record?.name ?? '', peerURLs: record?.peerURLs ?? [],
        clientURLs: record?.clientURLs ?? [], isLearner: membership.learners.includes(id),
      };
    });
  }

  /** Serializes the registry (for snapshots and the applied-state record). */
  toJSON(): MemberRecord[] {
    return [...this.records.values()].sort((a, b) => a.id - b.id);
  }

  /** Rebuilds a registry from `toJSON` output. */
  static fromJSON(records: readonly MemberRecord[]): MemberRegistry {
    const registry = new MemberRegistry();
    for (const record of records) registry.records.set(record.id, record);
    return registry;
  }
}
