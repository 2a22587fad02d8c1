/**
 * @module grpc/hpack
 * HPACK (RFC 7541) for the hand-written HTTP/2 gRPC server: a stateful decoder for request
 * header blocks and a stateless encoder for response header blocks.
 *
 * Contract:
 * - `HPACKDecoder.decode(block)` decodes one COMPLETE header block (HEADERS plus its
 *   CONTINUATION frames, padding and priority removed) into a flat `[name0, value0, ...]`
 *   list, in order. One decoder per connection, fed blocks in the order they arrived: the
 *   dynamic table is connection state (RFC 7541 §2.2).
 * - Any HPACKError it throws is a COMPRESSION_ERROR: the caller MUST close the connection
 *   (GOAWAY), EXCEPT HeaderListTooLargeError (`closesConnection === false`), which is thrown
 *   only after the whole block was decoded and the dynamic table updated, so the caller
 *   rejects just that stream and keeps decoding later blocks with the same decoder.
 * - `encodeHeaderBlock(fields)` never adds to the peer's dynamic table, so it keeps no state
 *   and any block it returns may be sent on any connection, in any order.
 *
 * Speed: clients (grpc-go, grpc-js) send most request headers as indexed references to the
 * dynamic table, so the indexed path only copies two cached strings into the output. The
 * dynamic table is a ring of names and values (no per-lookup copying):
 *
 * ```
 *  slots:  [ e3 ][ e4 ][    ][    ][ e1 ][ e2 ]      capacity = tableBytesMax / 32
 *                  ^ newestSlot       ^ oldest = newestSlot - entryCount + 1 (mod capacity)
 *  HPACK index 62 -> e4 (newest), 63 -> e3, 64 -> e2, 65 -> e1; eviction takes e1 first.
 * ```
 *
 * Strings are latin1 (one character per octet), so `string.length` is the octet count the
 * RFC's size rules use. The never-indexed flag (§6.2.3) is not surfaced: the server is an
 * endpoint and never re-encodes request fields.
 *
 * Limits: every string ends inside the block (so its length is bounded by the block's);
 * integers are at most 2^31-1 and 5 continuation bytes; the dynamic table holds at most
 * `tableBytesMax` octets; the decoded list is checked against `headerListBytesMax`.
 */
import { Buffer } from 'node:buffer';

import { assert } from '../util/assert.js';
import { HPACKError, HeaderListTooLargeError, huffmanDecode, latin1String } from './huffman.js';

export { HPACKError, HeaderListTooLargeError, hpackErrorCatalogue } from './huffman.js';
export type { HPACKErrorCode } from './huffman.js';

/** The static table (RFC 7541 Appendix A), indexes 1..61, as [name, value] pairs. */
const staticTable: readonly (readonly [string, string])[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'],
  [':path', '/index.html'], [':scheme', 'http'], [':scheme', 'https'], [':status', '200'],
  [':status', '204'], [':status', '206'], [':status', '304'], [':status', '400'],
  [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''],
  ['accept', ''], ['access-control-allow-origin', ''], ['age', ''], ['allow', ''],
  ['authorization', ''], ['cache-control', ''], ['content-disposition', ''],
  ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''],
  ['date', ''], ['etag', ''], ['expect', ''], ['expires', ''], ['from', ''], ['host', ''],
  ['if-match', ''], ['if-modified-since', ''], ['if-none-match', ''], ['if-range', ''],
  ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''], ['location', ''],
  ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''],
  ['range', ''], ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''],
  ['set-cookie', ''], ['strict-transport-security', ''], ['transfer-encoding', ''],
  ['user-agent', ''], ['vary', ''], ['via', ''], ['www-authenticate', ''],
];

/** The number of static table entries; dynamic indexes start right after it. */
const staticEntryCount = 61;
assert(staticTable.length === staticEntryCount, 'RFC 7541 Appendix A has 61 entries');

/** Static names and values by HPACK index (slot 0 unused, so no subtraction on lookup). */
const staticNames: readonly string[] = ['', ...staticTable.map(([name]) => name)];
const staticValues: readonly string[] = ['', ...staticTable.map(([, value]) => value)];

/** The per-entry overhead of the dynamic table and of the header list size, octets (§4.1). */
const entryOverheadBytes = 32;

/** The largest integer a block may carry; larger ones are HPACK_ERR_INTEGER_OVERFLOW. */
const integerMax = 0x7fffffff;

/** The most continuation octets an integer may take (5 x 7 bits covers 2^31). */
const integerContinuationBytesMax = 5;

/** The default SETTINGS_HEADER_TABLE_SIZE, octets (RFC 9113 §6.5.2). */
export const tableBytesDefault = 4096;

/** The largest `tableBytesMax` a decoder accepts, octets (1 MiB; the ring holds /32 slots). */
export const tableBytesLimit = 1024 * 1024;

/** Options of an HPACKDecoder. */
export interface HPACKDecoderOptions {
  /**
   * The SETTINGS_HEADER_TABLE_SIZE we advertise, octets: the most the peer's encoder may
   * size our dynamic table to. Default `tableBytesDefault` (4096), range 0..1 MiB. A dynamic
   * table size update above it is HPACK_ERR_TABLE_SIZE_TOO_LARGE. NB: the table starts at
   * this size; a value other than 4096 is only safe once the peer has ACKed our SETTINGS
   * (before that it may still use 4096), so advertise the default.
   */
  readonly tableBytesMax: number;
  /**
   * The SETTINGS_MAX_HEADER_LIST_SIZE we advertise, octets, counted as name + value + 32
   * per field (RFC 9113 §6.5.2). Range 1..2^31-1. Above it the block is still decoded to
   * the end (keeping the dynamic table in sync), then HeaderListTooLargeError is thrown.
   */
  readonly headerListBytesMax: number;
}

/** Views `block` as a Buffer without copying (for the latin1 slicer). */
function bufferView(block: Uint8Array): Buffer {
  if (Buffer.isBuffer(block)) return block;
  return Buffer.from(block.buffer, block.byteOffset, block.byteLength);
}

/**
 * HPACKDecoder decodes the request header blocks of one HTTP/2 connection (RFC 7541 §3),
 * keeping its dynamic table. It is synchronous and MUST be fed every block of the
 * connection, in arrival order, including blocks of streams the caller then rejects. After
 * an HPACKError other than HeaderListTooLargeError its table is undefined: the connection is
 * closing and the decoder MUST NOT be used again.
 */
export class HPACKDecoder {
  private readonly tableBytesMax: number;
  private readonly headerListBytesMax: number;
  /** The dynamic table ring (see the module comment); freed slots hold ''. */
  private readonly names: string[];
  private readonly values: string[];
  private readonly capacity: number;
  private newestSlot = 0;
  private entryCount = 0;
  /** The dynamic table's size, octets: the sum of name + value + 32 over its entries. */
  private usedBytes = 0;
  /** The maximum size the peer's encoder last chose (§4.2), <= tableBytesMax. */
  private allowedBytes: number;
  /** The offset of the next unread octet of the block being decoded. */
  private cursor = 0;
  /** The size of the header list decoded so far, octets (RFC 9113 §6.5.2). */
  private listBytes = 0;

  /** Creates a decoder with an empty dynamic table of `options.tableBytesMax` octets. */
  constructor(options: HPACKDecoderOptions) {
    const { tableBytesMax, headerListBytesMax } = options;
    assert(Number.isSafeInteger(tableBytesMax), 'tableBytesMax is an integer');
    assert(tableBytesMax >= 0 && tableBytesMax <= tableBytesLimit, 'tableBytesMax in range');
    assert(Number.isSafeInteger(headerListBytesMax), 'headerListBytesMax is an integer');
    assert(headerListBytesMax >= 1 && headerListBytesMax <= integerMax, 'list max in range');
    this.tableBytesMax = tableBytesMax;
    this.headerListBytesMax = headerListBytesMax;
    this.allowedBytes = tableBytesMax;
    // Every entry takes at least 32 octets, so this many slots can never overflow.
    this.capacity = Math.max(1, Math.floor(tableBytesMax / entryOverheadBytes));
    this.names = new Array<string>(this.capacity).fill('');
    this.values = new Array<string>(this.capacity).fill('');
  }

  /** The dynamic table's current size, octets (RFC 7541 §4.1). */
  get tableBytes(): number {
    return this.usedBytes;
  }

  /** The number of entries in the dynamic table. */
  get tableEntryCount(): number {
    return this.entryCount;
  }

  /** Returns the dynamic table newest first as a flat [name, value, ...] list (allocates). */
  tableFields(): string[] {
    const fields: string[] = [];
    for (let position = 0; position < this.entryCount; position++) {
      const slot = this.slotOf(position);
      fields.push(this.names[slot]!, this.values[slot]!);
    }
    return fields;
  }

  /**
   * Decodes one complete header block into a flat [name0, value0, name1, value1, ...] list.
   * Throws HPACKError (close the connection) on any malformed block, and
   * HeaderListTooLargeError (reject the stream only) when the list exceeds
   * `headerListBytesMax`, AFTER decoding the whole block.
   */
  decode(block: Uint8Array): string[] {
    const view = bufferView(block);
    const fields: string[] = [];
    this.cursor = 0;
    this.listBytes = 0;
    this.decodeSizeUpdates(view);
    while (this.cursor < view.length) this.decodeField(view, fields);
    assert(this.cursor === view.length, 'the block is consumed exactly');
    assert(this.usedBytes <= this.allowedBytes, 'the dynamic table is within its size');
    if (this.listBytes > this.headerListBytesMax) {
      throw new HeaderListTooLargeError(this.listBytes, this.headerListBytesMax);
    }
    return fields;
  }

  /** Decodes the dynamic table size updates allowed at the start of a block (§4.2, §6.3). */
  private decodeSizeUpdates(view: Buffer): void {
    while (this.cursor < view.length && (view[this.cursor]! & 0xe0) === 0x20) {
      const bytes = this.readInteger(view, 0x1f);
      if (bytes > this.tableBytesMax) {
        throw new HPACKError('HPACK_ERR_TABLE_SIZE_TOO_LARGE', `${bytes} > ${this.tableBytesMax}`);
      }
      this.allowedBytes = bytes;
      this.evictTo(bytes);
    }
  }

  /** Decodes one field representation at the cursor (§6.1, §6.2) into `fields`. */
  private decodeField(view: Buffer, fields: string[]): void {
    const first = view[this.cursor]!;
    if (first >= 0x80) {
      // Indexed (§6.1): the hot path. A 7-bit index below 127 takes one octet.
      let index = first & 0x7f;
      this.cursor++;
      if (index === 0x7f) index = this.readIntegerTail(view, 0x7f);
      if (index <= staticEntryCount) {
        if (index === 0) throw new HPACKError('HPACK_ERR_INDEX_INVALID', 'index 0');
        this.emit(fields, staticNames[index]!, staticValues[index]!);
        return;
      }
      const position = index - staticEntryCount - 1;
      if (position >= this.entryCount) throw this.indexError(index);
      const slot = this.slotOf(position);
      this.emit(fields, this.names[slot]!, this.values[slot]!);
    } else if (first >= 0x40) {
      this.decodeLiteral(view, fields, 0x3f, true); // With incremental indexing (§6.2.1).
    } else if (first >= 0x20) {
      throw new HPACKError('HPACK_ERR_TABLE_SIZE_MISPLACED');
    } else {
      this.decodeLiteral(view, fields, 0x0f, false); // Without (§6.2.2) or never (§6.2.3).
    }
  }

  /** Decodes a literal field whose index prefix is `prefixMask` wide (§6.2). */
  private decodeLiteral(
    view: Buffer, fields: string[], prefixMask: number, indexing: boolean,
  ): void {
    const index = this.readInteger(view, prefixMask);
    const name = index === 0 ? this.readString(view) : this.lookupName(index);
    const value = this.readString(view);
    if (indexing) this.insert(name, value);
    this.emit(fields, name, value);
  }

  /** Counts a field against the list limit and appends it while the list is within it. */
  private emit(fields: string[], name: string, value: string): void {
    this.listBytes += name.length + value.length + entryOverheadBytes;
    // NB: past the limit the block is still decoded (table sync) but fields are dropped.
    if (this.listBytes <= this.headerListBytesMax) fields.push(name, value);
  }

  /** Returns the name at HPACK `index` (static or dynamic); throws if there is none. */
  private lookupName(index: number): string {
    if (index <= staticEntryCount) return staticNames[index]!;
    const position = index - staticEntryCount - 1;
    if (position >= this.entryCount) throw this.indexError(index);
    return this.names[this.slotOf(position)]!;
  }

  /** Returns the ring slot of the entry `position` places older than the newest. */
  private slotOf(position: number): number {
    const slot = this.newestSlot - position;
    return slot < 0 ? slot + this.capacity : slot;
  }

  private indexError(index: number): HPACKError {
    const detail = `index ${index}, dynamic table holds ${this.entryCount}`;
    return new HPACKError('HPACK_ERR_INDEX_INVALID', detail);
  }

  /** Adds an entry at the newest end, evicting from the oldest end first (§4.4). */
  private insert(name: string, value: string): void {
    const entryBytes = name.length + value.length + entryOverheadBytes;
    if (entryBytes > this.allowedBytes) {
      this.evictTo(0); // §4.4: an entry larger than the table empties it and is not added.
      return;
    }
    this.evictTo(this.allowedBytes - entryBytes);
    assert(this.entryCount < this.capacity, 'the ring has a free slot after eviction');
    this.newestSlot = this.newestSlot + 1 === this.capacity ? 0 : this.newestSlot + 1;
    this.names[this.newestSlot] = name;
    this.values[this.newestSlot] = value;
    this.entryCount++;
    this.usedBytes += entryBytes;
  }

  /** Evicts the oldest entries until the table holds at most `bytesMax` octets (§4.3). */
  private evictTo(bytesMax: number): void {
    while (this.usedBytes > bytesMax) {
      assert(this.entryCount > 0, 'a non-empty size means a non-empty table');
      const slot = this.slotOf(this.entryCount - 1);
      this.usedBytes -= this.names[slot]!.length + this.values[slot]!.length;
      this.usedBytes -= entryOverheadBytes;
      this.names[slot] = '';
      this.values[slot] = '';
      this.entryCount--;
    }
    assert(this.usedBytes >= 0, 'the size never goes negative');
  }

  /** Reads an integer with a prefix of `prefixMask` (2^N - 1) at the cursor (§5.1). */
  private readInteger(view: Buffer, prefixMask: number): number {
    if (this.cursor >= view.length) throw new HPACKError('HPACK_ERR_TRUNCATED', 'integer');
    const prefix = view[this.cursor++]! & prefixMask;
    return prefix < prefixMask ? prefix : this.readIntegerTail(view, prefixMask);
  }

  /** Reads the continuation octets of an integer whose prefix was all 1s (§5.1). */
  private readIntegerTail(view: Buffer, prefixMask: number): number {
    let value = prefixMask;
    let weight = 1;
    for (let continuation = 0; continuation < integerContinuationBytesMax; continuation++) {
      if (this.cursor >= view.length) throw new HPACKError('HPACK_ERR_TRUNCATED', 'integer');
      const octet = view[this.cursor++]!;
      value += (octet & 0x7f) * weight; // Exact: stays far below 2^53.
      weight *= 128;
      if (octet < 0x80) {
        if (value > integerMax) throw new HPACKError('HPACK_ERR_INTEGER_OVERFLOW', `${value}`);
        return value;
      }
    }
    throw new HPACKError('HPACK_ERR_INTEGER_OVERFLOW', 'too many continuation octets');
  }

  /** Reads a string literal (§5.2) at the cursor: raw latin1 or Huffman-coded. */
  private readString(view: Buffer): string {
    if (this.cursor >= view.length) throw new HPACKError('HPACK_ERR_TRUNCATED', 'string');
    const huffman = view[this.cursor]! >= 0x80;
    const length = this.readInteger(view, 0x7f);
    const start = this.cursor;
    const end = start + length;
    if (end > view.length) {
      throw new HPACKError('HPACK_ERR_TRUNCATED', `string of ${length} octets`);
    }
    this.cursor = end;
    if (length === 0) return '';
    return huffman ? huffmanDecode(view, start, end) : latin1String(view, start, end);
  }
}

/** Static entries by name: the first index with that name, and indexes by value. */
interface StaticName {
  readonly nameIndex: number;
  readonly valueIndexes: Map<string, number>;
}

const staticNameIndexes = new Map<string, StaticName>();
for (let index = 1; index <= staticEntryCount; index++) {
  const name = staticNames[index]!;
  let entry = staticNameIndexes.get(name);
  if (entry === undefined) {
    entry = { nameIndex: index, valueIndexes: new Map() };
    staticNameIndexes.set(name, entry);
  }
  if (!entry.valueIndexes.has(staticValues[index]!)) {
    entry.valueIndexes.set(staticValues[index]!, index);
  }
}

/** Returns the octets an integer takes with a prefix of `prefixMask` (2^N - 1) (§5.1). */
function integerBytes(value: number, prefixMask: number): number {
  if (value < prefixMask) return 1;
  let bytes = 2;
  for (let rest = value - prefixMask; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes++;
  return bytes;
}

/** Writes an integer (§5.1) at `offset` with the high `flags` bits; returns the new offset. */
function writeInteger(target: Buffer, offset: number, value: number, prefixMask: number): number {
  const flags = target[offset]!; // The caller pre-set the representation bits.
  if (value < prefixMask) {
    target[offset] = flags | value;
    return offset + 1;
  }
  target[offset] = flags | prefixMask;
  let cursor = offset + 1;
  let rest = value - prefixMask;
  while (rest >= 0x80) {
    target[cursor++] = (rest & 0x7f) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  target[cursor++] = rest;
  return cursor;
}

/** Writes a raw (non-Huffman) string literal (§5.2) at `offset`; returns the new offset. */
function writeString(target: Buffer, offset: number, text: string): number {
  target[offset] = 0x00; // H = 0: raw octets.
  const cursor = writeInteger(target, offset, text.length, 0x7f);
  const written = target.write(text, cursor, 'latin1');
  assert(written === text.length, 'latin1 writes one octet per character');
  return cursor + written;
}

/** Asserts that a field string is latin1 and, for a name, has no uppercase (RFC 9113). */
function assertFieldString(text: string, isName: boolean): void {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    assert(code <= 0xff, 'field strings are latin1 (percent-encode grpc-message)');
    assert(!isName || code < 0x41 || code > 0x5a, 'field names are lowercase (RFC 9113)');
  }
}

/** Returns the static index of a full match, the negated name index, or 0 (no match). */
function staticMatch(name: string, value: string): number {
  const entry = staticNameIndexes.get(name);
  if (entry === undefined) return 0;
  return entry.valueIndexes.get(value) ?? -entry.nameIndex;
}

/** A field to encode with its static match (see `staticMatch`). */
type PlannedField = readonly [name: string, value: string, match: number];

/** Returns the octets one field takes in the encoding of `encodeHeaderBlock`. */
function fieldBytes(field: PlannedField): number {
  const [name, value, match] = field;
  if (match > 0) return integerBytes(match, 0x7f);
  const valueBytes = integerBytes(value.length, 0x7f) + value.length;
  if (match < 0) return integerBytes(-match, 0x0f) + valueBytes;
  return 1 + integerBytes(name.length, 0x7f) + name.length + valueBytes;
}

/** Writes one field at `offset` as `encodeHeaderBlock` describes; returns the new offset. */
function writeField(target: Buffer, offset: number, field: PlannedField): number {
  const [name, value, match] = field;
  if (match > 0) {
    target[offset] = 0x80; // Indexed (§6.1).
    return writeInteger(target, offset, match, 0x7f);
  }
  target[offset] = 0x00; // Literal without indexing (§6.2.2), 4-bit name index.
  let cursor = writeInteger(target, offset, match < 0 ? -match : 0, 0x0f);
  if (match === 0) cursor = writeString(target, cursor, name);
  return writeString(target, cursor, value);
}

/** The most fields `encodeHeaderBlock` takes in one block (a bound, not a wire limit). */
export const encodeFieldsMax = 1024;

/**
 * Encodes a flat [name0, value0, ...] list as one header block, statelessly: a field equal
 * to a static entry is indexed (§6.1; `:status: 200` is 0x88), a field whose name is in the
 * static table is a literal without indexing with an indexed name (§6.2.2), and any other
 * field a literal without indexing with a literal name; strings are raw, never Huffman.
 * Names MUST be lowercase and all strings latin1 (asserted); at most `encodeFieldsMax` fields.
 */
export function encodeHeaderBlock(fields: readonly string[]): Buffer {
  assert(fields.length % 2 === 0, 'fields come as name, value pairs');
  assert(fields.length / 2 <= encodeFieldsMax, 'at most encodeFieldsMax fields per block');
  const planned: PlannedField[] = [];
  let blockBytes = 0;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    assertFieldString(name, true);
    assertFieldString(value, false);
    const field: PlannedField = [name, value, staticMatch(name, value)];
    planned.push(field);
    blockBytes += fieldBytes(field);
  }
  const block = Buffer.allocUnsafe(blockBytes);
  let offset = 0;
  for (const field of planned) offset = writeField(block, offset, field);
  assert(offset === blockBytes, 'the block is exactly as long as planned');
  return block;
}

/**
 * Encodes a dynamic table size update (§6.3) to prepend to the next header block. Use it
 * once after the peer lowers SETTINGS_HEADER_TABLE_SIZE below 4096 (RFC 7541 §4.2); our
 * blocks never index, so announcing `tableBytes` (e.g. 0) is always safe.
 */
export function encodeTableSizeUpdate(tableBytes: number): Buffer {
  assert(Number.isSafeInteger(tableBytes), 'the size is an integer');
  assert(tableBytes >= 0 && tableBytes <= integerMax, 'the size fits an HPACK integer');
  const update = Buffer.alloc(integerBytes(tableBytes, 0x1f));
  update[0] = 0x20;
  writeInteger(update, 0, tableBytes, 0x1f);
  return update;
}

/**
 * The response header block of a successful gRPC call (`:status: 200`,
 * `content-type: application/grpc`), encoded once. Shared: callers MUST NOT mutate it.
 */
export const grpcResponseHeadersBlock: Buffer = encodeHeaderBlock([
  ':status', '200', 'content-type', 'application/grpc',
]);

/** The trailer block of an OK gRPC call (`grpc-status: 0`). Shared: MUST NOT be mutated. */
export const grpcTrailersOKBlock: Buffer = encodeHeaderBlock(['grpc-status', '0']);
