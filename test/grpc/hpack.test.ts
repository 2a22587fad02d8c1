// Goal: show that the HPACK codec (src/grpc/hpack.ts, huffman.ts) follows RFC 7541
// byte for byte, rejects every malformed block with the right stable code, keeps the dynamic
// table in sync when a header list is too large, and that the stateless encoder's blocks
// decode back to their fields.
// Method: the RFC's own examples (Appendix C.2 to C.6) as byte-exact vectors, checking the
// decoded fields, the dynamic table's entries and its size after each block; hand-built
// malformed blocks for the error catalogue; encoder round trips through a fresh decoder; and
// a test-only Huffman encoder, built from the module's code table, for round trips of every
// octet value (the table itself is spot-checked against the RFC's listing and its examples).
import { Buffer } from 'node:buffer';

import { describe, expect, it } from 'vitest';

import {
  HeaderListTooLargeError,
  HPACKDecoder,
  HPACKError,
  encodeHeaderBlock,
  encodeTableSizeUpdate,
  grpcResponseHeadersBlock,
  grpcTrailersOKBlock,
} from '../../src/grpc/hpack.js';
import type { HPACKErrorCode } from '../../src/grpc/hpack.js';
import {
  huffmanCodeBits,
  huffmanCodes,
  huffmanDecode,
} from '../../src/grpc/huffman.js';
import { AssertionError } from '../../src/util/assert.js';

/** Parses RFC-style hex ("8286 8441 ...", any whitespace) into a Buffer. */
function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/** Builds a block from octets and latin1 strings, for hand-made representations. */
function block(...parts: (number | string)[]): Buffer {
  return Buffer.concat(
    parts.map((part) => (typeof part === 'number' ? Buffer.of(part) : Buffer.from(part, 'latin1'))),
  );
}

/** A test-only Huffman encoder (RFC 7541 §5.2) built from the module's code table. */
function huffmanEncode(text: string): Buffer {
  let bits = '';
  for (let i = 0; i < text.length; i++) {
    const symbol = text.charCodeAt(i);
    bits += huffmanCodes[symbol]!.toString(2).padStart(huffmanCodeBits[symbol]!, '0');
  }
  bits += '1'.repeat((8 - (bits.length % 8)) % 8); // Padding: the EOS prefix, all 1s.
  const octets = Buffer.alloc(bits.length / 8);
  for (let i = 0; i < octets.length; i++) octets[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  return octets;
}

function newDecoder(tableBytesMax = 4096, headerListBytesMax = 65536): HPACKDecoder {
  return new HPACKDecoder({ tableBytesMax, headerListBytesMax });
}

/** Returns the HPACKError code `run` throws, failing if it throws anything else. */
function errorCodeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(HPACKError);
    return (error as HPACKError).code;
  }
  throw new Error('expected an HPACKError');
}

interface SeriesStep {
  readonly encoded: string;
  readonly fields: string[];
  /** The dynamic table after the block, newest first, flat. */
  readonly table: string[];
  readonly tableBytes: number;
}

/** Decodes `steps` in order with one decoder, checking fields and table after each. */
function checkSeries(tableBytesMax: number, steps: readonly SeriesStep[]): void {
  const decoder = newDecoder(tableBytesMax);
  for (const step of steps) {
    expect(decoder.decode(hex(step.encoded))).toEqual(step.fields);
    expect(decoder.tableFields()).toEqual(step.table);
    expect(decoder.tableBytes).toBe(step.tableBytes);
    expect(decoder.tableEntryCount).toBe(step.table.length / 2);
  }
}

const request1 = [
  ':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'www.example.com',
];
const request2 = [...request1, 'cache-control', 'no-cache'];
const request3 = [
  ':method', 'GET', ':scheme', 'https', ':path', '/index.html', ':authority', 'www.example.com',
  'custom-key', 'custom-value',
];
const table1 = [':authority', 'www.example.com'];
const table2 = ['cache-control', 'no-cache', ...table1];
const table3 = ['custom-key', 'custom-value', ...table2];

const date1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
const date2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
const location = 'https://www.example.com';
const cookie = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
const response1 = [
  ':status', '302', 'cache-control', 'private', 'date', date1, 'location', location,
];
const response2 = [
  ':status', '307', 'cache-control', 'private', 'date', date1, 'location', location,
];
const response3 = [
  ':status', '200', 'cache-control', 'private', 'date', date2, 'location', location,
  'content-encoding', 'gzip', 'set-cookie', cookie,
];
const responseTable1 = [
  'location', location, 'date', date1, 'cache-control', 'private', ':status', '302',
];
const responseTable2 = [
  ':status', '307', 'location', location, 'date', date1, 'cache-control', 'private',
];
const responseTable3 = ['set-cookie', cookie, 'content-encoding', 'gzip', 'date', date2];

describe('RFC 7541 Appendix C.2: header field representations', () => {
  it.each([
    ['C.2.1 literal with indexing',
      '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572',
      ['custom-key', 'custom-header'], ['custom-key', 'custom-header'], 55],
    ['C.2.2 literal without indexing', '040c 2f73 616d 706c 652f 7061 7468',
      [':path', '/sample/path'], [], 0],
    ['C.2.3 literal never indexed', '1008 7061 7373 776f 7264 0673 6563 7265 74',
      ['password', 'secret'], [], 0],
    ['C.2.4 indexed', '82', [':method', 'GET'], [], 0],
  ])('%s', (_name, encoded, fields, table, tableBytes) => {
    const decoder = newDecoder();
    expect(decoder.decode(hex(encoded))).toEqual(fields);
    expect(decoder.tableFields()).toEqual(table);
    expect(decoder.tableBytes).toBe(tableBytes);
  });
});

describe('RFC 7541 Appendix C.3 to C.6: series on one connection', () => {
  it('C.3 requests without Huffman coding', () => {
    checkSeries(4096, [
      { encoded: '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
        fields: request1, table: table1, tableBytes: 57 },
      { encoded: '8286 84be 5808 6e6f 2d63 6163 6865',
        fields: request2, table: table2, tableBytes: 110 },
      { encoded: '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
        fields: request3, table: table3, tableBytes: 164 },
    ]);
  });

  it('C.4 requests with Huffman coding', () => {
    checkSeries(4096, [
      { encoded: '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff',
        fields: request1, table: table1, tableBytes: 57 },
      { encoded: '8286 84be 5886 a8eb 1064 9cbf',
        fields: request2, table: table2, tableBytes: 110 },
      { encoded: '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
        fields: request3, table: table3, tableBytes: 164 },
    ]);
  });

  it('C.5 responses without Huffman coding, table of 256 octets with evictions', () => {
    checkSeries(256, [
      { encoded: `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
          2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
          6c65 2e63 6f6d`,
        fields: response1, table: responseTable1, tableBytes: 222 },
      { encoded: '4803 3330 37c1 c0bf',
        fields: response2, table: responseTable2, tableBytes: 222 },
      { encoded: `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
          54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
          5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
          3d31`,
        fields: response3, table: responseTable3, tableBytes: 215 },
    ]);
  });

  it('C.6 responses with Huffman coding, table of 256 octets with evictions', () => {
    checkSeries(256, [
      { encoded: `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
          2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
        fields: response1, table: responseTable1, tableBytes: 222 },
      { encoded: '4883 640e ffc1 c0bf',
        fields: response2, table: responseTable2, tableBytes: 222 },
      { encoded: `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
          77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
          9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
        fields: response3, table: responseTable3, tableBytes: 215 },
    ]);
  });

  it('keeps the ring in step with a model table across many wrap-arounds', () => {
    // 128 octets: 4 slots; each entry takes 35 or 36 octets, so at most 3 stay.
    const decoder = newDecoder(128);
    const model: string[] = []; // Newest first, flat.
    for (let i = 0; i < 40; i++) {
      const name = `k${i}`;
      decoder.decode(block(0x40, name.length, name, 0x01, 'v'));
      model.unshift(name, 'v');
      let modelBytes = 0;
      for (let j = 0; j < model.length; j += 2) modelBytes += model[j]!.length + 1 + 32;
      while (modelBytes > 128) modelBytes -= model.splice(-2)[0]!.length + 1 + 32;
      expect(decoder.tableFields()).toEqual(model);
      expect(decoder.tableBytes).toBe(modelBytes);
      const oldest = 0xbe + model.length / 2 - 1; // Indexed: 62 is the newest entry.
      const ends = [...model.slice(0, 2), ...model.slice(-2)];
      expect(decoder.decode(block(0xbe, oldest))).toEqual(ends);
      expect(errorCodeOf(() => decoder.decode(block(oldest + 1)))).toBe('HPACK_ERR_INDEX_INVALID');
    }
  });

  it('with a table of 0 octets indexes nothing but still decodes', () => {
    const decoder = newDecoder(0);
    const fields = decoder.decode(block(0x40, 0x01, 'a', 0x01, 'b', 0x82));
    expect(fields).toEqual(['a', 'b', ':method', 'GET']);
    expect(decoder.tableEntryCount).toBe(0);
    expect(errorCodeOf(() => decoder.decode(block(0xbe)))).toBe('HPACK_ERR_INDEX_INVALID');
  });

  it('accepts a plain Uint8Array as well as a Buffer', () => {
    const encoded = new Uint8Array(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d'));
    expect(newDecoder().decode(encoded)).toEqual(request1);
  });
});

describe('malformed blocks are COMPRESSION_ERRORs with stable codes', () => {
  it.each<[string, Buffer, HPACKErrorCode]>([
    ['indexed field with index 0', block(0x80), 'HPACK_ERR_INDEX_INVALID'],
    ['indexed field 62 with an empty dynamic table', block(0xbe), 'HPACK_ERR_INDEX_INVALID'],
    ['indexed field far beyond the tables', block(0xff, 0x80, 0x01), 'HPACK_ERR_INDEX_INVALID'],
    ['literal with name index 62 and an empty table', block(0x7e, 0x00), 'HPACK_ERR_INDEX_INVALID'],
    ['integer ending at its prefix', block(0xff), 'HPACK_ERR_TRUNCATED'],
    ['integer ending after a continuation flag', block(0xff, 0x80), 'HPACK_ERR_TRUNCATED'],
    ['integer above 2^31-1', block(0xff, 0xff, 0xff, 0xff, 0xff, 0x0f),
      'HPACK_ERR_INTEGER_OVERFLOW'],
    ['integer with 6 continuation octets', block(0xff, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00),
      'HPACK_ERR_INTEGER_OVERFLOW'],
    ['literal name missing', block(0x40), 'HPACK_ERR_TRUNCATED'],
    ['literal value missing', block(0x40, 0x01, 'a'), 'HPACK_ERR_TRUNCATED'],
    ['string shorter than its length', block(0x00, 0x05, 'a'), 'HPACK_ERR_TRUNCATED'],
    ['Huffman padding with a 0 bit', block(0x00, 0x81, 0x18, 0x00), 'HPACK_ERR_HUFFMAN_PADDING'],
    ['Huffman padding of 11 bits', block(0x00, 0x82, 0x1f, 0xff, 0x00),
      'HPACK_ERR_HUFFMAN_PADDING'],
    ['Huffman string holding EOS', block(0x00, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00),
      'HPACK_ERR_HUFFMAN_EOS'],
    ['Huffman EOS after a symbol', block(0x00, 0x85, 0x1f, 0xff, 0xff, 0xff, 0xfc, 0x00),
      'HPACK_ERR_HUFFMAN_EOS'],
    ['table size update to 4097 > 4096', block(0x3f, 0xe2, 0x1f), 'HPACK_ERR_TABLE_SIZE_TOO_LARGE'],
    ['table size update after a field', block(0x82, 0x20), 'HPACK_ERR_TABLE_SIZE_MISPLACED'],
  ])('%s', (_name, encoded, code) => {
    expect(errorCodeOf(() => newDecoder().decode(encoded))).toBe(code);
  });

  it('every code but header-list-too-large closes the connection', () => {
    const decoder = newDecoder();
    let caught: unknown;
    try {
      decoder.decode(block(0x80));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HPACKError);
    expect(caught).not.toBeInstanceOf(HeaderListTooLargeError);
    expect((caught as HPACKError).closesConnection).toBe(true);
  });

  it('accepts size updates at the start of a block, several in a row, up to the max', () => {
    const decoder = newDecoder();
    decoder.decode(hex('4803 3330 32')); // :status 302, indexed: 42 octets.
    expect(decoder.tableBytes).toBe(42);
    // Size 0 (evicts everything), then 4096, then an indexed field.
    expect(decoder.decode(block(0x20, 0x3f, 0xe1, 0x1f, 0x82))).toEqual([':method', 'GET']);
    expect(decoder.tableEntryCount).toBe(0);
    expect(decoder.decode(encodeTableSizeUpdate(4096))).toEqual([]);
  });

  it('a size update shrinks the table, evicting from the oldest end', () => {
    const decoder = newDecoder();
    decoder.decode(hex('4803 3330 32 4003 6162 6303 6465 66')); // :status 302 (42), abc: def (38)
    expect(decoder.tableBytes).toBe(80);
    decoder.decode(block(0x3f, 0x1b)); // Size 58: keeps only the newest entry.
    expect(decoder.tableFields()).toEqual(['abc', 'def']);
    // The new size bounds later insertions: a 59-octet entry empties the table (§4.4).
    decoder.decode(block(0x40, 0x03, 'xyz', 0x18, 'y'.repeat(24)));
    expect(decoder.tableEntryCount).toBe(0);
  });
});

describe('header list size limit', () => {
  it('finishes the block, then throws a stream-level error; the table stays in sync', () => {
    // Limit 100: three `:method: GET` (42 octets each) exceed it BEFORE the literal is read.
    const decoder = newDecoder(4096, 100);
    const big = 'v'.repeat(50); // x-big: 5 + 50 + 32 = 87 octets.
    const first = block(0x82, 0x82, 0x82, 0x40, 0x05, 'x-big', 0x32, big);
    let caught: unknown;
    try {
      decoder.decode(first);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HeaderListTooLargeError);
    expect(caught).toBeInstanceOf(HPACKError);
    const tooLarge = caught as HeaderListTooLargeError;
    expect(tooLarge.code).toBe('HPACK_ERR_HEADER_LIST_TOO_LARGE');
    expect(tooLarge.closesConnection).toBe(false);
    expect(tooLarge.headerListBytes).toBe(3 * 42 + 87);
    expect(tooLarge.headerListBytesMax).toBe(100);
    // The literal after the limit was still inserted, so index 62 resolves next time.
    expect(decoder.tableFields()).toEqual(['x-big', big]);
    expect(decoder.decode(block(0xbe))).toEqual(['x-big', big]);
  });

  it('accepts a list of exactly the limit', () => {
    expect(newDecoder(4096, 84).decode(block(0x82, 0x82))).toEqual([
      ':method', 'GET', ':method', 'GET',
    ]);
    expect(errorCodeOf(() => newDecoder(4096, 83).decode(block(0x82, 0x82))))
      .toBe('HPACK_ERR_HEADER_LIST_TOO_LARGE');
  });
});

describe('encodeHeaderBlock', () => {
  it.each([
    ['full static match', [':status', '200'], '88'],
    ['another full static match', [':status', '404'], '8d'],
    ['static name, new value', [':status', '201'], '0803 323031'],
    ['static name index >= 15', ['content-type', 'application/grpc'],
      '0f10 10' + Buffer.from('application/grpc').toString('hex')],
    ['literal name', ['grpc-status', '0'],
      '000b' + Buffer.from('grpc-status').toString('hex') + '0130'],
    ['empty value, static name with empty value', [':authority', ''], '81'],
  ])('%s is byte-exact', (_name, fields, encoded) => {
    expect(encodeHeaderBlock(fields).toString('hex')).toBe(hex(encoded).toString('hex'));
  });

  it.each([
    ['gRPC response headers', [':status', '200', 'content-type', 'application/grpc']],
    ['gRPC OK trailers', ['grpc-status', '0']],
    ['gRPC error trailers with a percent-encoded message',
      ['grpc-status', '3', 'grpc-message', 'bad%20key%3A%20%E2%9C%93 100%25']],
    ['empty values', ['x-empty', '', 'content-type', '', ':status', '200']],
    ['200-octet values', ['x-long', 'a'.repeat(200), 'server', 'b'.repeat(200)]],
    ['a 200-octet name', ['n'.repeat(200), 'value']],
    ['no fields', []],
  ])('%s round-trip through the decoder and leave its table empty', (_name, fields) => {
    const decoder = newDecoder();
    expect(decoder.decode(encodeHeaderBlock(fields))).toEqual(fields);
    expect(decoder.tableBytes).toBe(0);
  });

  it('the fixed gRPC blocks decode to their fields', () => {
    const decoder = newDecoder();
    expect(decoder.decode(grpcResponseHeadersBlock)).toEqual([
      ':status', '200', 'content-type', 'application/grpc',
    ]);
    expect(decoder.decode(grpcTrailersOKBlock)).toEqual(['grpc-status', '0']);
  });

  it('encodes table size updates (§6.3)', () => {
    expect(encodeTableSizeUpdate(0).toString('hex')).toBe('20');
    expect(encodeTableSizeUpdate(4096).toString('hex')).toBe('3fe11f');
  });

  it('asserts on non-latin1 strings, uppercase names and odd field lists', () => {
    expect(() => encodeHeaderBlock(['grpc-message', 'caf\u00e9 \u2713'])).toThrow(AssertionError);
    expect(() => encodeHeaderBlock(['Content-Type', 'x'])).toThrow(AssertionError);
    expect(() => encodeHeaderBlock([':status'])).toThrow(AssertionError);
  });
});

describe('Huffman code (RFC 7541 Appendix B)', () => {
  it.each([
    [0, 0x1ff8, 13], [10, 0x3ffffffc, 30], [32, 0x14, 6], [48, 0x0, 5], [97, 0x3, 5],
    [122, 0x7b, 7], [127, 0xffffffc, 28], [128, 0xfffe6, 20], [255, 0x3ffffee, 26],
    [256, 0x3fffffff, 30],
  ])('symbol %i has code %i of %i bits', (symbol, code, bits) => {
    expect(huffmanCodes[symbol]).toBe(code);
    expect(huffmanCodeBits[symbol]).toBe(bits);
  });

  it.each([
    ['www.example.com', 'f1e3 c2e5 f23a 6ba0 ab90 f4ff'],
    ['no-cache', 'a8eb 1064 9cbf'],
    ['custom-key', '25a8 49e9 5ba9 7d7f'],
    ['custom-value', '25a8 49e9 5bb8 e8b4 bf'],
    ['302', '6402'],
    ['307', '640e ff'],
    ['private', 'aec3 771a 4b'],
    [date1, 'd07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff'],
    [location, '9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3'],
    ['gzip', '9bd9 ab'],
  ])('decodes the RFC string %j, which the test encoder reproduces', (text, encoded) => {
    const octets = hex(encoded);
    expect(huffmanDecode(octets, 0, octets.length)).toBe(text);
    expect(huffmanEncode(text).toString('hex')).toBe(octets.toString('hex'));
  });

  it('round-trips every octet value, alone and all together', () => {
    let all = '';
    for (let octet = 0; octet < 256; octet++) {
      const text = String.fromCharCode(octet);
      const encoded = huffmanEncode(text);
      expect(huffmanDecode(encoded, 0, encoded.length)).toBe(text);
      all += text;
    }
    const encoded = huffmanEncode(all + all.split('').reverse().join(''));
    expect(huffmanDecode(encoded, 0, encoded.length)).toBe(all + all.split('').reverse().join(''));
  });

  it('decodes a range inside a larger array, and the empty range', () => {
    const inner = huffmanEncode('application/grpc');
    const outer = new Uint8Array([0x00, 0xff, ...inner, 0x00]);
    expect(huffmanDecode(outer, 2, 2 + inner.length)).toBe('application/grpc');
    expect(huffmanDecode(outer, 1, 1)).toBe('');
  });

  it('decodes strings longer than the shared scratch buffer', () => {
    for (const length of [5000, 70_000]) {
      const text = 'a0/'.repeat(length / 5) + 'z'.repeat(length - 3 * (length / 5));
      const encoded = huffmanEncode(text);
      expect(huffmanDecode(encoded, 0, encoded.length)).toBe(text);
    }
    // The scratch is reused afterwards without leaking earlier output.
    const short = huffmanEncode('ok');
    expect(huffmanDecode(short, 0, short.length)).toBe('ok');
  });

  it('accepts 0 to 7 padding bits and rejects 8', () => {
    // '0' is 00000 (5 bits): 1 symbol pads 3 bits, 8 symbols pad none, 7 pad 5.
    for (const count of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const encoded = huffmanEncode('0'.repeat(count));
      expect(huffmanDecode(encoded, 0, encoded.length)).toBe('0'.repeat(count));
    }
    const padded = Buffer.concat([huffmanEncode('0'.repeat(8)), Buffer.of(0xff)]);
    expect(errorCodeOf(() => huffmanDecode(padded, 0, padded.length)))
      .toBe('HPACK_ERR_HUFFMAN_PADDING');
  });
});
