/**
 * @module server/command-codec
 * Encodes replicated commands (proto/command.proto) into Raft entry data and back. Every
 * command carries its proposer's member id and request id, so the proposing peer can find
 * the waiting client when the entry is applied, and the proposer's clock reading, so apply
 * stays deterministic.
 */
import { join } from 'node:path';
import protobuf from 'protobufjs';
import type { StoreCommand } from '../store/mvcc-store.js';
import { packageRoot } from '../transport/proto.js';

/** Published member attributes (name and client URLs), replicated like etcd's publish. */
export interface MemberAttributesOp {
  readonly type: 'memberAttributes';
  readonly memberId: number;
  readonly name: string;
  readonly clientUrls: readonly string[];
}

/** ReplicatedOp is anything the state machine applies from a normal entry. */
export type ReplicatedOp = StoreCommand | MemberAttributesOp;

/** CommandEnvelope is one decoded normal entry. */
export interface CommandEnvelope {
  readonly memberId: number;
  readonly requestId: number;
  readonly nowMs: number;
  readonly op: ReplicatedOp;
}

const root = protobuf.loadSync(join(packageRoot(), 'proto', 'command.proto'));
const CommandType = root.lookupType('coracle.command.Command');
// NB: defaults MUST be on: proto3 omits zero values on the wire, and enum zeros (EQUAL,
// VERSION, KEY...) are meaningful; the store expects every enum field to be present.
const toObjectOptions: protobuf.IConversionOptions = { longs: Number, defaults: true };

function opField(op: ReplicatedOp): Record<string, unknown> {
  switch (op.type) {
    case 'put': return { put: op.request };
    case 'deleteRange': return { deleteRange: op.request };
    case 'txn': return { txn: op.request };
    case 'compaction': return { compaction: op.request };
    case 'leaseGrant': return { leaseGrant: op.request };
    case 'leaseRevoke': return { leaseRevoke: op.request };
    case 'leaseKeepAlive': return { leaseKeepAlive: op.request };
    case 'leasePromote': return { leasePromote: { extendMs: op.extendMs } };
    case 'memberAttributes':
      return { memberAttributes: { memberId: op.memberId, name: op.name,
        clientUrls: op.clientUrls } };
  }
}

/** Encodes a command envelope as entry data. */
export function encodeCommand(envelope: CommandEnvelope): Uint8Array {
  return CommandType.encode({
    memberId: envelope.memberId, requestId: envelope.requestId, nowMs: envelope.nowMs,
    ...opField(envelope.op),
  }).finish();
}

interface DecodedCommand {
  memberId?: number; requestId?: number; nowMs?: number;
  put?: StoreCommandRequest<'put'>; deleteRange?: StoreCommandRequest<'deleteRange'>;
  txn?: StoreCommandRequest<'txn'>; compaction?: StoreCommandRequest<'compaction'>;
  leaseGrant?: StoreCommandRequest<'leaseGrant'>;
  leaseRevoke?: StoreCommandRequest<'leaseRevoke'>;
  leaseKeepAlive?: StoreCommandRequest<'leaseKeepAlive'>;
  leasePromote?: { extendMs?: number };
  memberAttributes?: { memberId?: number; name?: string; clientUrls?: string[] };
}

type StoreCommandRequest<T extends StoreCommand['type']> =
  Extract<StoreCommand, { type: T; request: unknown }>['request'];

/** Decodes entry data; returns null when it is not a valid command (never throws). */
export function decodeCommand(data: Uint8Array): CommandEnvelope | null {
  let decoded: DecodedCommand;
  try {
    decoded = CommandType.toObject(CommandType.decode(data), toObjectOptions);
  } catch {
    return null;
  }
  const nowMs = decoded.nowMs ?? 0;
  const op = decodeOp(decoded, nowMs);
  if (op === null) return null;
  return { memberId: decoded.memberId ?? 0, requestId: decoded.requestId ?? 0, nowMs, op };
}

function decodeOp(decoded: DecodedCommand, nowMs: number): ReplicatedOp | null {
  if (decoded.put !== undefined) return { type: 'put', request: decoded.put };
  if (decoded.deleteRange !== undefined) {
    return { type: 'deleteRange', request: decoded.deleteRange };
  }
  if (decoded.txn !== undefined) return { type: 'txn', request: decoded.txn };
  if (decoded.compaction !== undefined) {
    return { type: 'compaction', request: decoded.compaction };
  }
  if (decoded.leaseGrant !== undefined) {
    return { type: 'leaseGrant', request: decoded.leaseGrant, nowMs };
  }
  if (decoded.leaseRevoke !== undefined) {
    return { type: 'leaseRevoke', request: decoded.leaseRevoke };
  }
  if (decoded.leaseKeepAlive !== undefined) {
    return { type: 'leaseKeepAlive', request: decoded.leaseKeepAlive, nowMs };
  }
  if (decoded.leasePromote !== undefined) {
    return { type: 'leasePromote', nowMs, extendMs: decoded.leasePromote.extendMs ?? 0 };
  }
  const attributes = decoded.memberAttributes;
  if (attributes !== undefined) {
    return { type: 'memberAttributes', memberId: attributes.memberId ?? 0,
      name: attributes.name ?? '', clientUrls: attributes.clientUrls ?? [] };
  }
  return null;
}
