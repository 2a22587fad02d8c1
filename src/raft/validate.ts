/**
 * @module raft/validate
 * Structural validation of incoming messages. A message that fails here is dropped without
 * touching any state: the core never throws on bad input from the network (it would turn a
 * malformed packet into a crash), while assertions stay reserved for its own invariants.
 */
import { EntryType, MessageType } from './types.js';
import type { Entry, Membership, Message, SnapshotChunk } from './types.js';

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isNodeId(value: unknown): value is number {
  return isIndex(value) && value > 0;
}

function isMembership(value: Membership | undefined): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return Array.isArray(value.voters) && Array.isArray(value.learners) &&
    value.voters.every(isNodeId) && value.learners.every(isNodeId);
}

function isEntry(entry: Entry | undefined): boolean {
  if (typeof entry !== 'object' || entry === null) return false;
  return isIndex(entry.term) && isIndex(entry.index) && entry.data instanceof Uint8Array &&
    (entry.type === EntryType.Normal || entry.type === EntryType.ConfChange);
}

/** Returns true when the snapshot chunk is internally consistent. */
function isSnapshotChunk(chunk: SnapshotChunk | null | undefined): boolean {
  if (typeof chunk !== 'object' || chunk === null) return false;
  const meta = chunk.meta;
  if (typeof meta !== 'object' || meta === null) return false;
  if (!isIndex(meta.index) || !isIndex(meta.term) || meta.index === 0) return false;
  if (!isMembership(meta.membership) || !(chunk.data instanceof Uint8Array)) return false;
  if (!isIndex(chunk.offset) || !isIndex(chunk.totalBytes)) return false;
  if (chunk.offset + chunk.data.length > chunk.totalBytes) return false;
  return chunk.done === (chunk.offset + chunk.data.length === chunk.totalBytes);
}

/**
 * Returns true when an Append's entries are contiguous after `index`, with terms that never
 * decrease and never exceed the message term.
 */
function hasValidAppendEntries(message: Message): boolean {
  let previousTerm = message.logTerm;
  for (let i = 0; i < message.entries.length; i++) {
    const entry = message.entries[i]!;
    if (entry.index !== message.index + 1 + i) return false;
    if (entry.term < previousTerm || entry.term > message.term || entry.term === 0) return false;
    previousTerm = entry.term;
  }
  return true;
}

/** Returns true when `message` is well formed and addressed to `self`. */
export function isValidMessage(message: Message, self: number): boolean {
  if (typeof message !== 'object' || message === null) return false;
  if (!(message.type in MessageType) || typeof message.type !== 'number') return false;
  if (!isNodeId(message.from) || message.to !== self || message.from === self) return false;
  if (!isIndex(message.term) || !isIndex(message.logTerm) || !isIndex(message.index)) {
    return false;
  }
  if (!isIndex(message.commit) || !isIndex(message.rejectHint)) return false;
  if (!isIndex(message.context) || typeof message.reject !== 'boolean') return false;
  if (!Array.isArray(message.entries) || !message.entries.every(isEntry)) return false;
  switch (message.type) {
    case MessageType.Append:
      return message.term > 0 && hasValidAppendEntries(message);
    case MessageType.Snapshot:
      return message.term > 0 && isSnapshotChunk(message.snapshot);
    case MessageType.Propose:
      return message.entries.length > 0;
    default:
      return message.entries.length === 0;
  }
}
