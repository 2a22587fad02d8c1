/**
 * @module transport/wire-codec
 * The MessageBatch frames of proto/raft.proto, encoded and decoded by hand (util/proto-wire)
 * for every frame without a snapshot chunk: protobufjs built an object per message, per
 * entry and per field, several µs per Append on each peer. The bytes are the ones protobufjs
 * writes (fields in number order, proto3 defaults left out), so either side may use either
 * codec.
 *
 * Frames outside the fast path take transport/proto's protobufjs path: on encode, one with a
 * snapshot chunk or a number that is not a non-negative safe integer; on decode, anything
 * the hand-written reader refuses (a snapshot chunk, an unknown field, a varint beyond 2^53
 * or a damaged frame). protobufjs then decides, so both paths give the same result for the
 * same bytes, malformed ones included.
 */
import type { Entry, Message } from '../raft/types.js';
import {
  WireFormatError, WireReader, WireWriter, varintBytes, wireBytes, wireVarint,
} from '../util/proto-wire.js';
import { SlabCopier } from '../util/slab.js';
import { decodeBatch as decodeBatchSlow, encodeBatch as encodeBatchSlow } from './proto.js';

/** A decoded frame. */
export interface DecodedBatch {
  readonly clusterId: string;
  readonly from: number;
  readonly messages: Message[];
}

/** MessageBatch fields. */
const batchClusterId = 1;
const batchFrom = 2;
const batchMessages = 3;
/** Message fields (entries 7, snapshot 12 is left to protobufjs). */
const messageEntries = 7;
const messageReject = 9;
/** Entry fields. */
const entryData = 4;

/** Where received entries' data is copied (see transport/proto's fromWireEntry). */
const entrySlabs = new SlabCopier();
const textEncoder = new TextEncoder();
const uint32Max = 0xffff_ffff;
/** Fatal on malformed UTF-8, like protobufjs' string reader on Node. */
const textDecoder = new TextDecoder('utf-8', { fatal: true });

function isWireInteger(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** Bytes of a varint field, 0 when it holds the default (the tag of fields 1..15 is 1 byte). */
function varintField(value: number): number {
  return value === 0 ? 0 : 1 + varintBytes(value);
}

function lengthField(length: number): number {
  return 1 + varintBytes(length) + length;
}

function entryBodyBytes(entry: Entry): number {
  return varintField(entry.term) + varintField(entry.index) + varintField(entry.type) +
    (entry.data.length === 0 ? 0 : lengthField(entry.data.length));
}

/** Bytes of an integer field, or NaN when it is not a non-negative safe integer. */
function integerField(value: number): number {
  return isWireInteger(value) ? varintField(value) : Number.NaN;
}

/** The body size of `message`, or NaN when it is not on the fast path. */
function messageBodyBytes(message: Message): number {
  if (message.snapshot !== null) return Number.NaN;
  let bytes = (message.reject ? 2 : 0) + integerField(message.type) +
    integerField(message.from) + integerField(message.to) + integerField(message.term) +
    integerField(message.logTerm) + integerField(message.index) +
    integerField(message.commit) + integerField(message.rejectHint) +
    integerField(message.context);
  for (const entry of message.entries) {
    if (!isWireInteger(entry.term) || !isWireInteger(entry.index) ||
      !isWireInteger(entry.type)) {
      return Number.NaN;
    }
    bytes += lengthField(entryBodyBytes(entry));
  }
  return bytes;
}

let clusterIdCached = '';
let clusterIdBytesCached = new Uint8Array(0);

function clusterIdBytes(clusterId: string): Uint8Array {
  if (clusterId !== clusterIdCached) {
    clusterIdBytesCached = textEncoder.encode(clusterId);
    clusterIdCached = clusterId;
  }
  return clusterIdBytesCached;
}

/**
 * Encodes one batch frame (see the module comment), after `prefixBytes` bytes left for the
 * caller (default 0; a length prefix, say), in one array.
 */
export function encodeBatch(clusterId: string, from: number, messages: readonly Message[],
  options: { prefixBytes?: number } = {}): Uint8Array {
  const prefixBytes = options.prefixBytes ?? 0;
  const sizes: number[] = [];
  const idBytes = clusterIdBytes(clusterId);
  let total = (idBytes.length === 0 ? 0 : lengthField(idBytes.length));
  if (!isWireInteger(from)) return encodeSlowAfter(prefixBytes, clusterId, from, messages);
  total += varintField(from);
  for (const message of messages) {
    const size = messageBodyBytes(message);
    if (Number.isNaN(size)) return encodeSlowAfter(prefixBytes, clusterId, from, messages);
    sizes.push(size);
    total += lengthField(size);
  }
  // NB: Buffer.allocUnsafe: the frame is written whole below, and sockets take a Buffer.
  const writer = new WireWriter(Buffer.allocUnsafe(prefixBytes + total), prefixBytes);
  writer.bytesField(batchClusterId, idBytes).varintField(batchFrom, from);
  for (const [position, message] of messages.entries()) {
    writer.bytesHeader(batchMessages, sizes[position]!);
    writeMessage(writer, message);
  }
  return writer.finish();
}

/** protobufjs' encoding, after `prefixBytes` bytes left for the caller. */
function encodeSlowAfter(prefixBytes: number, clusterId: string, from: number,
  messages: readonly Message[]): Uint8Array {
  const encoded = encodeBatchSlow(clusterId, from, messages);
  if (prefixBytes === 0) return encoded;
  const out = Buffer.allocUnsafe(prefixBytes + encoded.length);
  out.set(encoded, prefixBytes);
  return out;
}

function writeMessage(writer: WireWriter, message: Message): void {
  writer.varintField(1, message.type).varintField(2, message.from).varintField(3, message.to)
    .varintField(4, message.term).varintField(5, message.logTerm).varintField(6, message.index);
  for (const entry of message.entries) {
    writer.bytesHeader(messageEntries, entryBodyBytes(entry))
      .varintField(1, entry.term).varintField(2, entry.index).varintField(3, entry.type)
      .bytesField(entryData, entry.data);
  }
  writer.varintField(8, message.commit).boolField(messageReject, message.reject)
    .varintField(10, message.rejectHint).varintField(11, message.context);
}

/** Decodes one batch frame; throws on malformed bytes (the caller rejects the stream). */
export function decodeBatch(bytes: Uint8Array): DecodedBatch {
  try {
    return decodeBatchFast(bytes);
  } catch (error) {
    if (!(error instanceof WireFormatError)) throw error;
  }
  return decodeBatchSlow(bytes);
}

function decodeBatchFast(bytes: Uint8Array): DecodedBatch {
  const reader = new WireReader(bytes);
  let clusterId = '';
  let from = 0;
  const messages: Message[] = [];
  while (!reader.done()) {
    const tag = reader.tag();
    if (tag === ((batchClusterId << 3) | wireBytes)) {
      clusterId = decodeText(reader.bytesView());
    } else if (tag === ((batchFrom << 3) | wireVarint)) {
      from = reader.varint();
    } else if (tag === ((batchMessages << 3) | wireBytes)) {
      const end = reader.lengthEnd();
      messages.push(decodeMessage(new WireReader(bytes, reader.position, end)));
      reader.skipTo(end);
    } else {
      throw new WireFormatError(`batch field tag ${tag}`);
    }
  }
  return { clusterId, from, messages };
}

function decodeText(bytes: Uint8Array): string {
  try {
    return textDecoder.decode(bytes);
  } catch {
    throw new WireFormatError('cluster id is not UTF-8');
  }
}

/** The numeric fields of a Message, by field number (1..11 less entries and reject). */
const numberFields = ['', 'type', 'from', 'to', 'term', 'logTerm', 'index', '', 'commit', '',
  'rejectHint', 'context'] as const;

function decodeMessage(reader: WireReader): Message {
  const numbers = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  let reject = false;
  const entries: Entry[] = [];
  while (!reader.done()) {
    const tag = reader.tag();
    const field = tag >>> 3;
    if ((tag & 7) === wireVarint && field < numberFields.length && numberFields[field] !== '') {
      numbers[field] = reader.varint();
      // NB: type is a uint32, which protobufjs reads modulo 2^32: larger values go its way.
      if (field === 1 && numbers[1]! > uint32Max) throw new WireFormatError('type beyond 2^32');
    } else if (tag === ((messageReject << 3) | wireVarint)) {
      reject = reader.varint() !== 0;
    } else if (tag === ((messageEntries << 3) | wireBytes)) {
      const end = reader.lengthEnd();
      entries.push(decodeEntry(new WireReader(reader.bytes, reader.position, end)));
      reader.skipTo(end);
    } else {
      throw new WireFormatError(`message field tag ${tag}`);
    }
  }
  return {
    type: numbers[1]!, from: numbers[2]!, to: numbers[3]!, term: numbers[4]!,
    logTerm: numbers[5]!, index: numbers[6]!, entries, commit: numbers[8]!, reject,
    rejectHint: numbers[10]!, context: numbers[11]!, snapshot: null,
  };
}

function decodeEntry(reader: WireReader): Entry {
  let term = 0;
  let index = 0;
  let type = 0;
  let data: Uint8Array | null = null;
  while (!reader.done()) {
    const tag = reader.tag();
    switch (tag) {
      case (1 << 3) | wireVarint: term = reader.varint(); break;
      case (2 << 3) | wireVarint: index = reader.varint(); break;
      case (3 << 3) | wireVarint:
        type = reader.varint();
        if (type > uint32Max) throw new WireFormatError('entry type beyond 2^32');
        break;
      case (entryData << 3) | wireBytes: data = reader.bytesView(); break;
      default: throw new WireFormatError(`entry field tag ${tag}`);
    }
  }
  // NB: copied out of the frame into a slab of entries (see transport/proto's fromWireEntry).
  return { term, index, type, data: data === null ? new Uint8Array(0) : entrySlabs.copy(data) };
}
