/**
 * @module grpc/huffman
 * The HPACK Huffman code (RFC 7541 §5.2 and Appendix B) and a table-driven decoder, plus the
 * error catalogue of the HPACK codec.
 *
 * Contract: `huffmanDecode` turns the Huffman-coded octets `source[start, end)` into a latin1
 * string, or throws an HPACKError (a COMPRESSION_ERROR, RFC 9113 §4.3) when the padding is
 * longer than 7 bits, when it is not a prefix of the EOS code (all 1s), or when the string
 * holds the EOS symbol. There is no encoder: the server sends raw strings (hpack.ts).
 *
 * The code table is stored as the 257 code lengths only. NB: the RFC's code is canonical
 * (codes of one length are consecutive and ordered by symbol, and the first code of each
 * length follows the last code of the shorter one), so the lengths determine every code;
 * module load derives the codes and asserts that the code is complete (Kraft sum exactly 1)
 * and that EOS is thirty 1 bits, as Appendix B lists it. The tests check sample codes
 * against the RFC's listing and decode the RFC's Huffman examples (Appendix C.4, C.6).
 *
 * Decoding runs a byte-at-a-time state machine built once at module load. A state is an
 * internal node of the code tree (a full binary tree with 257 leaves has 256 internal
 * nodes, so a state fits in 8 bits; the root is state 0, "between symbols"). One lookup per
 * input octet gives the next state and the 0, 1 or 2 symbols completed on the way (the
 * shortest code is 5 bits, so 8 bits complete at most two), or a failure if EOS completed:
 *
 * ```
 *  transitions[(state << 8) | octet] (uint32):
 *   31      26 25  24 23        16 15         8 7          0
 *  +----------+------+------------+------------+------------+
 *  |  unused  |count |  symbol 2  |  symbol 1  | next state |
 *  +----------+------+------------+------------+------------+
 *   count: 0, 1 or 2 symbols emitted; 3 = EOS decoded (error)
 * ```
 *
 * The table holds 65,536 entries (256 KiB). The string ends valid only in a state on the
 * all-1s path at depth 0..7 (`paddingStates`), which is exactly RFC 7541 §5.2's rule.
 *
 * NB: the error catalogue lives here rather than in hpack.ts so that the import graph stays
 * acyclic (hpack.ts imports this module and re-exports the errors).
 */
import { Buffer } from 'node:buffer';

import { assert } from '../util/assert.js';
import { ControlPlaneError } from '../util/errors.js';

/**
 * The HPACK error codes. Every code but HPACK_ERR_HEADER_LIST_TOO_LARGE is a
 * COMPRESSION_ERROR: the decoder's dynamic table may be out of sync with the peer's encoder,
 * so the caller MUST close the connection (GOAWAY COMPRESSION_ERROR) and never retry on it.
 * HPACK_ERR_HEADER_LIST_TOO_LARGE is raised only after the whole block was decoded (the table
 * is in sync), so the caller rejects just that stream. A retired code is never reused.
 */
export const hpackErrorCatalogue = {
  HPACK_ERR_INDEX_INVALID: 'hpack: index 0 or beyond the static and dynamic tables',
  HPACK_ERR_INTEGER_OVERFLOW: 'hpack: integer above 2^31-1 or longer than 5 continuation bytes',
  HPACK_ERR_TRUNCATED: 'hpack: header block ends inside an integer or a string',
  HPACK_ERR_HUFFMAN_PADDING: 'hpack: Huffman padding longer than 7 bits or not all 1s',
  HPACK_ERR_HUFFMAN_EOS: 'hpack: Huffman string holds the EOS symbol',
  HPACK_ERR_TABLE_SIZE_TOO_LARGE:
    'hpack: dynamic table size update above SETTINGS_HEADER_TABLE_SIZE',
  HPACK_ERR_TABLE_SIZE_MISPLACED: 'hpack: dynamic table size update after a header field',
  HPACK_ERR_HEADER_LIST_TOO_LARGE: 'hpack: header list larger than SETTINGS_MAX_HEADER_LIST_SIZE',
} as const;

/** One stable code of the HPACK error catalogue. */
export type HPACKErrorCode = keyof typeof hpackErrorCatalogue;

/**
 * HPACKError reports an undecodable header block: a COMPRESSION_ERROR (RFC 9113 §4.3) after
 * which the caller MUST close the connection, unless `closesConnection` is false (only
 * HeaderListTooLargeError).
 */
export class HPACKError extends ControlPlaneError {
  /** True: the dynamic table is unusable, close the connection; false: reject the stream. */
  readonly closesConnection: boolean;

  /** Creates the error for `code`, with the catalogue's message plus optional `detail`. */
  constructor(code: HPACKErrorCode, detail = '', closesConnection = true) {
    const message = hpackErrorCatalogue[code];
    super(code, detail === '' ? message : `${message} (${detail})`);
    this.name = 'HPACKError';
    this.closesConnection = closesConnection;
  }
}

/**
 * HeaderListTooLargeError reports a decoded header list over the decoder's
 * `headerListBytesMax` (RFC 9113 §6.5.2 SETTINGS_MAX_HEADER_LIST_SIZE). It is thrown only
 * AFTER the whole block was decoded, so the dynamic table stays in sync and the connection
 * stays usable: the caller rejects only the stream (RST_STREAM, or a 431 / gRPC
 * RESOURCE_EXHAUSTED response). Check for it BEFORE treating an HPACKError as fatal.
 */
export class HeaderListTooLargeError extends HPACKError {
  /** Creates the error; `headerListBytes` is the list's size as RFC 9113 counts it. */
  constructor(
    readonly headerListBytes: number,
    readonly headerListBytesMax: number,
  ) {
    super('HPACK_ERR_HEADER_LIST_TOO_LARGE', `${headerListBytes} > ${headerListBytesMax}`, false);
    this.name = 'HeaderListTooLargeError';
  }
}

/** The EOS symbol of the Huffman code (RFC 7541 §5.2), the 257th symbol. */
export const huffmanEOS = 256;

/**
 * The bit length of each symbol's code, symbols 0..256 (RFC 7541 Appendix B, column "len"),
 * sixteen symbols a row.
 */
const codeBitsBySymbol: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

/** The longest code, bits (EOS and a few control characters). */
const codeBitsMax = 30;

/** The number of symbols, EOS included. */
const symbolCount = 257;

/**
 * Derives the canonical codes from the lengths (RFC 7541 Appendix B is canonical, see the
 * module comment) and checks that they form a complete prefix code.
 */
function deriveCodes(codeBits: readonly number[]): number[] {
  assert(codeBits.length === symbolCount, 'one code length per symbol, EOS included');
  const order = [...codeBits.keys()].sort((a, b) => codeBits[a]! - codeBits[b]! || a - b);
  const codes = new Array<number>(symbolCount).fill(0);
  let code = 0;
  let previousBits = codeBits[order[0]!]!;
  let kraftSum = 0; // In units of 2^-codeBitsMax.
  for (let rank = 0; rank < order.length; rank++) {
    const symbol = order[rank]!;
    const bits = codeBits[symbol]!;
    assert(bits >= 5 && bits <= codeBitsMax, 'RFC 7541 codes are 5 to 30 bits long');
    if (rank > 0) code = (code + 1) * 2 ** (bits - previousBits);
    previousBits = bits;
    codes[symbol] = code;
    kraftSum += 2 ** (codeBitsMax - bits);
  }
  assert(kraftSum === 2 ** codeBitsMax, 'the Huffman code is complete (Kraft sum 1)');
  assert(codes[huffmanEOS] === 2 ** codeBitsMax - 1, 'EOS is thirty 1 bits');
  return codes;
}

/** The code of each symbol 0..256, right-aligned (RFC 7541 Appendix B, "code as hex"). */
export const huffmanCodes: readonly number[] = Object.freeze(deriveCodes(codeBitsBySymbol));

/** The bit length of each symbol's code, 0..256 (RFC 7541 Appendix B, "len"). */
export const huffmanCodeBits: readonly number[] = Object.freeze([...codeBitsBySymbol]);

/** The number of internal nodes of the code tree, which are the decoder's states. */
const stateCount = 256;

/**
 * Builds the code tree: `children[node * 2 + bit]` is an internal node id (> 0; the root,
 * 0, is nobody's child) or a leaf encoded as -(symbol + 1).
 */
function buildTree(): Int16Array {
  const children = new Int16Array(stateCount * 2);
  let nodesUsed = 1;
  for (let symbol = 0; symbol < symbolCount; symbol++) {
    const code = huffmanCodes[symbol]!;
    const bits = huffmanCodeBits[symbol]!;
    let node = 0;
    for (let shift = bits - 1; shift > 0; shift--) {
      const slot = node * 2 + ((code >>> shift) & 1);
      if (children[slot] === 0) {
        assert(nodesUsed < stateCount, 'a 257-leaf full tree has 256 internal nodes');
        children[slot] = nodesUsed++;
      }
      node = children[slot]!;
      assert(node > 0, 'no code is a prefix of another');
    }
    const leafSlot = node * 2 + (code & 1);
    assert(children[leafSlot] === 0, 'each leaf is placed once');
    children[leafSlot] = -(symbol + 1);
  }
  assert(nodesUsed === stateCount, 'every internal node is used');
  return children;
}

/** The transition count value that marks a decoded EOS. */
const countEOS = 3;

/** Builds the byte-at-a-time transition table (layout in the module comment). */
function buildTransitions(children: Int16Array): Uint32Array {
  const transitions = new Uint32Array(stateCount * 256);
  for (let state = 0; state < stateCount; state++) {
    for (let octet = 0; octet < 256; octet++) {
      let node = state;
      let count = 0;
      let symbols = 0;
      for (let shift = 7; shift >= 0; shift--) {
        const child = children[node * 2 + ((octet >>> shift) & 1)]!;
        if (child > 0) {
          node = child;
          continue;
        }
        const symbol = -child - 1;
        if (symbol === huffmanEOS) {
          count = countEOS;
          break;
        }
        symbols |= symbol << (8 * count);
        count++;
        node = 0;
      }
      assert(count <= countEOS, 'at most two symbols complete within one octet');
      const entry = count === countEOS ? countEOS << 24 : node | (symbols << 8) | (count << 24);
      transitions[(state << 8) | octet] = entry >>> 0;
    }
  }
  return transitions;
}

/** Marks the states a string may end in: the all-1s path from the root, depths 0 to 7. */
function buildPaddingStates(children: Int16Array): Uint8Array {
  const paddingStates = new Uint8Array(stateCount);
  let node = 0;
  paddingStates[node] = 1;
  for (let depth = 1; depth <= 7; depth++) {
    node = children[node * 2 + 1]!;
    assert(node > 0, 'the all-1s path is internal for 29 bits (EOS is 30 bits)');
    paddingStates[node] = 1;
  }
  return paddingStates;
}

const codeTree = buildTree();
const transitions = buildTransitions(codeTree);
const paddingStates = buildPaddingStates(codeTree);

/** Decoded strings up to this many octets reuse one scratch buffer; longer ones get their own. */
const scratchBytesMax = 64 * 1024;
let scratch = Buffer.allocUnsafe(4096);

/** Node's fast latin1 slicer: undocumented, untyped in @types/node, checked for at load. */
interface Latin1Slicing {
  latin1Slice(start: number, end: number): string;
}

const hasLatin1Slice =
  typeof (Buffer.prototype as Partial<Latin1Slicing>).latin1Slice === 'function';

/**
 * Returns the octets `source[start, end)` as a latin1 string (one character per octet). It
 * uses Buffer#latin1Slice, which skips toString's encoding dispatch, when Node provides it.
 */
export function latin1String(source: Buffer, start: number, end: number): string {
  if (hasLatin1Slice) return (source as Buffer & Latin1Slicing).latin1Slice(start, end);
  return source.toString('latin1', start, end);
}

/**
 * Decodes the Huffman-coded octets `source[start, end)` (RFC 7541 §5.2) into a latin1
 * string. Throws HPACKError HPACK_ERR_HUFFMAN_EOS if the string holds EOS and
 * HPACK_ERR_HUFFMAN_PADDING if it ends with more than 7 bits of padding or padding that is
 * not all 1s. The caller MUST pass a range inside `source`.
 */
export function huffmanDecode(source: Uint8Array, start: number, end: number): string {
  assert(start >= 0 && start <= end, 'the range starts inside the source');
  assert(end <= source.length, 'the range ends inside the source');
  // At most one symbol per 5 bits: the shortest code is 5 bits long.
  const outputBytesMax = Math.floor(((end - start) * 8) / 5);
  let output = scratch;
  if (outputBytesMax > scratch.length) {
    output = Buffer.allocUnsafe(outputBytesMax);
    if (outputBytesMax <= scratchBytesMax) scratch = output;
  }
  let state = 0;
  let outputBytes = 0;
  for (let i = start; i < end; i++) {
    const entry = transitions[(state << 8) | source[i]!]!;
    const count = entry >>> 24;
    if (count !== 0) {
      if (count === countEOS) throw new HPACKError('HPACK_ERR_HUFFMAN_EOS');
      output[outputBytes++] = (entry >>> 8) & 0xff;
      if (count === 2) output[outputBytes++] = (entry >>> 16) & 0xff;
    }
    state = entry & 0xff;
  }
  if (paddingStates[state] === 0) throw new HPACKError('HPACK_ERR_HUFFMAN_PADDING');
  return outputBytes === 0 ? '' : latin1String(output, 0, outputBytes);
}
