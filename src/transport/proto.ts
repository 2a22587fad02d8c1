/**
 * @module transport/proto
 * Loads proto/raft.proto with protobufjs and converts between its messages and the Raft
 * core's plain data. uint64 fields arrive as numbers or Long values; both are converted to
 * safe integers, and a value beyond 2^53 makes the message invalid (the core then drops it).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Entry, Membership, Message, SnapshotChunk } from '../raft/types.js';
import { SlabCopier } from '../util/slab.js';

/** Finds the package root (the folder holding package.json) from this module's location. */
export function packageRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth++) {
    if (existsSync(join(directory, 'package.json')) && existsSync(join(directory, 'proto'))) {
      return directory;
    }
    directory = dirname(directory);
  }
  throw new Error('cannot find the Coracle package root (package.json next to proto/)');
}

const root = protobuf.loadSync(join(packageRoot(), 'proto', 'raft.proto'));

/** The protobufjs type of one batch frame. */
export const MessageBatchType = root.lookupType('coracle.raft.MessageBatch');
/** The protobufjs type of the stream's final acknowledgement. */
export const StreamAckType = root.lookupType('coracle.raft.StreamAck');

type Long64 = number | { toNumber(): number; high: number; low: number; unsigned: boolean };

/** Converts a decoded uint64 to a number; returns NaN when it does not fit exactly. */
function toSafe(value: Long64 | undefined | null): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  const number = value.toNumber();
  return Number.isSafeInteger(number) ? number : Number.NaN;
}

interface WireEntry { term?: Long64; index?: Long64; type?: number; data?: Uint8Array }
interface WireMembership { voters?: Long64[]; learners?: Long64[] }
interface WireSnapshotChunk {
  meta?: { index?: Long64; term?: Long64; membership?: WireMembership | null } | null;
  offset?: Long64; totalBytes?: Long64; data?: Uint8Array; done?: boolean;
}
/** A Message as protobufjs decodes it. */
export interface WireMessage {
  type?: number; from?: Long64; to?: Long64; term?: Long64; logTerm?: Long64;
  index?: Long64; entries?: WireEntry[]; commit?: Long64; reject?: boolean;
  rejectHint?: Long64; context?: Long64; snapshot?: WireSnapshotChunk | null;
}
/** A MessageBatch as protobufjs decodes it. */
export interface WireBatch {
  clusterId?: string;
  from?: Long64;
  messages?: WireMessage[];
}

const emptyBytes = new Uint8Array(0);

/** protobufjs decodes empty bytes as a plain empty array; the core wants a Uint8Array. */
function bytes(value: Uint8Array | undefined): Uint8Array {
  return value instanceof Uint8Array ? value : emptyBytes;
}

function fromWireMembership(wire: WireMembership | null | undefined): Membership {
  return {
    voters: (wire?.voters ?? []).map(toSafe),
    learners: (wire?.learners ?? []).map(toSafe),
  };
}

/** Where received entries' data is copied (util/slab). */
const entrySlabs = new SlabCopier();

function fromWireEntry(wire: WireEntry): Entry {
  // NB: copied: `bytes` is a view into the whole frame, itself often a slice of an 8 KB pool
  // slab, and the Raft log keeps entries for thousands of indexes, which pinned a frame per
  // entry (issue 5: hundreds of MB of RSS). Into a slab of entries, which die in order,
  // rather than an ArrayBuffer of its own per entry (util/slab).
  return {
    term: toSafe(wire.term), index: toSafe(wire.index), type: wire.type ?? 0,
    data: entrySlabs.copy(bytes(wire.data)),
  };
}

function fromWireSnapshot(wire: WireSnapshotChunk | null | undefined): SnapshotChunk | null {
  if (wire === null || wire === undefined) return null;
  return {
    meta: {
      index: toSafe(wire.meta?.index), term: toSafe(wire.meta?.term),
      membership: fromWireMembership(wire.meta?.membership),
    },
    offset: toSafe(wire.offset), totalBytes: toSafe(wire.totalBytes),
    data: bytes(wire.data), done: wire.done ?? false,
  };
}

/** Converts a decoded wire message to the core's Message (validated later by the core). */
export function fromWireMessage(wire: WireMessage): Message {
  return {
    type: wire.type ?? 0, from: toSafe(wire.from), to: toSafe(wire.to),
    term: toSafe(wire.term), logTerm: toSafe(wire.logTerm), index: toSafe(wire.index),
    entries: (wire.entries ?? []).map(fromWireEntry), commit: toSafe(wire.commit),
    reject: wire.reject ?? false, rejectHint: toSafe(wire.rejectHint),
    context: toSafe(wire.context), snapshot: fromWireSnapshot(wire.snapshot),
  };
}

/** Encodes one batch frame. */
export function encodeBatch(clusterId: string, from: number, messages: readonly Message[]):
  Uint8Array {
  // NB: the core's Message is structurally the wire message (numbers for uint64).
  return MessageBatchType.encode({ clusterId, from, messages }).finish();
}

/** Decodes one batch frame; throws on malformed bytes (the caller rejects the stream). */
export function decodeBatch(bytes: Uint8Array): { clusterId: string; from: number;
  messages: Message[] } {
  const wire = MessageBatchType.decode(bytes) as unknown as WireBatch;
  return {
    clusterId: wire.clusterId ?? '', from: toSafe(wire.from),
    messages: (wire.messages ?? []).map(fromWireMessage),
  };
}
