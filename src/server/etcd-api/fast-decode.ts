/**
 * @module server/etcd-api/fast-decode
 * PutRequest and RangeRequest decoded straight from their bytes (util/proto-wire): the
 * requests of every write and of every read. protobufjs builds a message object, and a Long
 * per 64-bit field, which decode.ts then converts field by field.
 *
 * Contract: each decoder returns exactly what decode.ts's converter returns for protobufjs's
 * decoding of the same bytes (same fields, bytes as views of the input, proto3 defaults),
 * or null for anything outside the fast path: a negative or unsafe integer, an unknown enum
 * value, a known field with an unexpected wire type, malformed bytes. The caller then
 * decodes with protobufjs, so errors read exactly as before. Unknown fields are skipped, as
 * protobuf requires.
 */
import {
  type PutRequest, type RangeRequest, type SortOrderValue, type SortTargetValue,
} from '../../store/types.js';
import { WireFormatError, WireReader, wireBytes, wireVarint } from '../../util/proto-wire.js';

const emptyBytes: Uint8Array = new Uint8Array(0);

/** Largest etcdserverpb.RangeRequest.SortOrder and SortTarget values. */
const sortOrderMax = 2;
const sortTargetMax = 4;

/** Reads the fields of `bytes`, calling `field` for each; false when outside the fast path. */
function readFields(bytes: Uint8Array,
  field: (number: number, wireType: number, reader: WireReader) => boolean): boolean {
  try {
    const reader = new WireReader(bytes);
    while (!reader.done()) {
      const tag = reader.tag();
      if (!field(tag >>> 3, tag & 7, reader)) return false;
    }
    return true;
  } catch (error) {
    if (error instanceof WireFormatError) return false;
    throw error;
  }
}

/**
 * Reads a PutRequest (fields 1-6) from `reader` to its end; unknown fields are skipped.
 * Throws WireFormatError outside the fast path (a known field with another wire type, a
 * varint beyond 2^53, malformed bytes). Shared with the replicated command's codec
 * (server/command-codec), which embeds the same message.
 */
export function readPutRequest(reader: WireReader): PutRequest {
  let key = emptyBytes;
  let value = emptyBytes;
  let lease = 0;
  let prevKv = false;
  let ignoreValue = false;
  let ignoreLease = false;
  while (!reader.done()) {
    const tag = reader.tag();
    const number = tag >>> 3;
    const wireType = tag & 7;
    if (number > 6) {
      reader.skip(wireType);
    } else if (number <= 2) {
      if (wireType !== wireBytes) throw new WireFormatError(`put field tag ${tag}`);
      if (number === 1) key = reader.bytesView();
      else value = reader.bytesView();
    } else {
      if (wireType !== wireVarint) throw new WireFormatError(`put field tag ${tag}`);
      const read = reader.varint();
      if (number === 3) lease = read;
      else if (number === 4) prevKv = read !== 0;
      else if (number === 5) ignoreValue = read !== 0;
      else ignoreLease = read !== 0;
    }
  }
  return { key, value, lease, prevKv, ignoreValue, ignoreLease };
}

/** Decodes a PutRequest; null outside the fast path (see the module comment). */
export function decodePutRequestFast(bytes: Uint8Array): PutRequest | null {
  try {
    return readPutRequest(new WireReader(bytes));
  } catch (error) {
    if (error instanceof WireFormatError) return null;
    throw error;
  }
}

/** Decodes a RangeRequest (fields 1-13); null outside the fast path. */
export function decodeRangeRequestFast(bytes: Uint8Array): RangeRequest | null {
  const views: Uint8Array[] = [emptyBytes, emptyBytes];
  // Varint fields 3-13 by number (index = field number).
  const numbers = new Array<number>(14).fill(0);
  const ok = readFields(bytes, (number, wireType, reader) => {
    if (number > 13) {
      reader.skip(wireType);
      return true;
    }
    if (number <= 2) {
      if (wireType !== wireBytes) return false;
      views[number - 1] = reader.bytesView();
      return true;
    }
    if (wireType !== wireVarint) return false;
    numbers[number] = reader.varint();
    return true;
  });
  if (!ok || numbers[5]! > sortOrderMax || numbers[6]! > sortTargetMax) return null;
  return {
    key: views[0]!, rangeEnd: views[1]!, limit: numbers[3]!, revision: numbers[4]!,
    sortOrder: numbers[5] as SortOrderValue, sortTarget: numbers[6] as SortTargetValue,
    serializable: numbers[7] !== 0, keysOnly: numbers[8] !== 0, countOnly: numbers[9] !== 0,
    minModRevision: numbers[10]!, maxModRevision: numbers[11]!,
    minCreateRevision: numbers[12]!, maxCreateRevision: numbers[13]!,
  };
}
