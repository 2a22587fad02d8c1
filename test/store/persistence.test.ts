/**
 * Goal: the store's persisted form is complete and deterministic: snapshot bytes restore
 * to an identical store, whether written and read in one array or a chunk at a time, and
 * snapshots written before values left the index still restore; two stores fed the same
 * commands agree on stateHash. Method: seeded random command sequences; full state is
 * compared through the snapshot bytes (which encode every row) and stateHash.
 */
import { describe, expect, it } from 'vitest';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { Fnv64, crc32 } from '../../src/store/bytes.js';
import type { ByteSource } from '../../src/store/chunks.js';
import { MVCCStore } from '../../src/store/mvcc-store.js';
import { metaRow, writeSnapshot } from '../../src/store/rows.js';
import type { SnapshotParts } from '../../src/store/rows.js';
import { b, expectOk, get, put, Prng, s } from './helpers.js';
import { randomCommand } from './random-commands.js';

function run(seed: number, count: number, onApply?: (store: MVCCStore,
  applied: ReturnType<MVCCStore['apply']>) => void): MVCCStore {
  const prng = new Prng(seed);
  const store = new MVCCStore();
  for (let i = 0; i < count; i++) {
    const applied = store.apply(randomCommand(prng, store, i * 100));
    onApply?.(store, applied);
  }
  return store;
}

describe('snapshot', () => {
  it('restores an empty store', () => {
    const restored = MVCCStore.restore(new MVCCStore().snapshot());
    expect(restored.revision).toBe(1);
    expect(restored.stateHash()).toBe(new MVCCStore().stateHash());
  });

  it.each([1, 2, 3])('round-trips a random history (seed %i)', (seed) => {
    const store = run(seed, 1500);
    const bytes = store.snapshot();
    const restored = MVCCStore.restore(bytes);
    expect(restored.snapshot()).toEqual(bytes);
    expect(restored.stateHash()).toBe(store.stateHash());
    expect(restored.revision).toBe(store.revision);
    expect(restored.compactRevision).toBe(store.compactRevision);
    expect(restored.leaseIds()).toEqual(store.leaseIds());
    for (const id of store.leaseIds()) {
      const request = { ID: id, keys: true };
      expect(restored.leaseTimeToLive(request, 0)).toEqual(store.leaseTimeToLive(request, 0));
    }
  });

  it('keeps history so past reads and leases work after restore', () => {
    const store = new MVCCStore();
    expectOk(store.apply({ type: 'leaseGrant', request: { TTL: 10, ID: 3 }, nowMs: 0 }).result);
    put(store, 'k', '1', { lease: 3 });
    put(store, 'k', '2', { lease: 3 });
    const restored = MVCCStore.restore(store.snapshot());
    expect(s(get(restored, 'k', 2)?.value ?? b(''))).toBe('1');
    const revoked = restored.apply({ type: 'leaseRevoke', request: { ID: 3 } });
    expect(revoked.events).toHaveLength(1);
    expect(get(restored, 'k')).toBeUndefined();
  });

  it('detects a corrupted snapshot', () => {
    const bytes = new MVCCStore().snapshot();
    bytes[6] = (bytes[6] ?? 0) ^ 1;
    expect(() => MVCCStore.restore(bytes)).toThrow(/digest/);
  });
});

/** A ByteSource that serves at most `pieceMax` bytes per read and records the largest read. */
function piecewise(bytes: Uint8Array, pieceMax: number): ByteSource & { largest: number } {
  const source = {
    byteLength: bytes.byteLength,
    largest: 0,
    subarray(start: number, end: number): Uint8Array {
      expect(end - start).toBeLessThanOrEqual(pieceMax);
      source.largest = Math.max(source.largest, end - start);
      return bytes.slice(start, end);
    },
  };
  return source;
}

/**
 * A snapshot written by the store before values moved out of the index (the format did not
 * change): lease 7, a@2 'one', a@3 'two' (lease 7), b@4 '', b deleted @5, 'c\xff'@6 40 x,
 * d and e in one txn @7, compacted at 3.
 */
const snapshotBeforeValueStores = 'Q1JTUwEAAAAAAAAACgAAABFrAAAAAAAAAAMAAAAAAAAAAAAAACUAAAAAAWFAA' +
  'AAAAAAAAEAAAAAAAAAAQBwAAAAAAAAAAAADdHdvAAAAEWsAAAAAAAAABAAAAAAAAAAAAAAAIgAAAAABYkAQAAAAAAAAP/AA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAARawAAAAAAAAAFAAAAAAAAAAAAAAAiAQAAAAFiAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAABFrAAAAAAAAAAYAAAAAAAAAAAAAAEwAAAAAA2PDv0AYAAAAAAAAP/AAAAAAAAAAAAAAAAAAAAAAACh4eHh4eHh4' +
  'eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4AAAAEWsAAAAAAAAABwAAAAAAAAAAAAAAJAAAAAABZEAcAAAAAAAA' +
  'P/AAAAAAAAAAAAAAAAAAAAAAAAJkMQAAABFrAAAAAAAAAAcAAAAAAAAAAQAAACQAAAAAAWVAHAAAAAAAAD/wAAAAAAAAAAAA' +
  'AAAAAAAAAAACZTEAAAAJbEAcAAAAAAAAAAAAEEA+AAAAAAAAQN5GAAAAAAAAAAAQbWNvbXBhY3RSZXZpc2lvbgAAAAhACAAA' +
  'AAAAAAAAAAxtbGVhc2VJZE5leHQAAAAIP/AAAAAAAAAAAAAJbXJldmlzaW9uAAAACEAcAAAAAAAAZsnyMVqH8Ig=';

describe('streaming snapshots', () => {
  it('writes the same bytes in small chunks as in one array', () => {
    const store = run(4, 1200);
    const chunks: number[][] = [];
    const size = store.snapshotTo((chunk) => chunks.push([...chunk]));
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.flat()).toEqual([...store.snapshot()]);
    expect(size).toBe(store.snapshot().length);
  });

  it('restores from a source read a piece at a time, never as a whole', () => {
    const store = run(5, 500);
    for (let i = 0; i < 3000; i++) put(store, `big${i % 100}`, `${i}`.padEnd(1000, '.'));
    const bytes = store.snapshot();
    const source = piecewise(bytes, 1024 * 1024);
    const restored = MVCCStore.restore(source);
    expect(restored.stateHash()).toBe(store.stateHash());
    expect(restored.snapshot()).toEqual(bytes);
    expect(bytes.length).toBeGreaterThan(3 * 1024 * 1024);
    expect(source.largest).toBe(1024 * 1024);
  });

  it('restores a snapshot written before values left the index, and writes it again (v2)', () => {
    const bytes = Buffer.from(snapshotBeforeValueStores, 'base64');
    const restored = MVCCStore.restore(new Uint8Array(bytes));
    expect(restored.stateHash()).toBe('9333d77777075911');
    expect([restored.revision, restored.compactRevision]).toEqual([7, 3]);
    expect(s(get(restored, 'a')?.value ?? b(''))).toBe('two');
    expect(get(restored, 'a')?.lease).toBe(7);
    expect(get(restored, 'b')).toBeUndefined();
    expect(s(get(restored, 'b', 4)?.value ?? b('?'))).toBe('');
    expect(restored.leaseTimeToLive({ ID: 7, keys: true }, 1000).keys.map(s)).toEqual(['a']);
    // Written again in format 2: the same rows; only the version byte and the digest differ.
    const rewritten = Buffer.from(restored.snapshot());
    expect(bytes[4]).toBe(1);
    expect(rewritten[4]).toBe(2);
    expect(rewritten.subarray(5, -8)).toEqual(bytes.subarray(5, -8));
    expect(rewritten.length).toBe(bytes.length);
    expect(MVCCStore.restore(new Uint8Array(rewritten)).stateHash()).toBe('9333d77777075911');
  });
});

describe('snapshot format 2', () => {
  it('writes the same bytes whether a record row fits a chunk or not', () => {
    const records = Array.from({ length: 40 }, (_, i) => ({
      fields: { revision: 2 + i, sub: i % 3, createRevision: 2, version: i % 5,
        lease: i % 2 === 0 ? 0 : 2 ** 40, valueRef: 0, valueLength: (i * 37) % 300, keyId: i,
        previous: -1 },
      keyText: String.fromCharCode(...Array.from({ length: (i * 13) % 150 }, (_k, j) => j % 256)),
    }));
    const parts = {
      records: { count: records.length,
        keyBytes: records.reduce((sum, r) => sum + r.keyText.length, 0),
        valueBytes: records.reduce((sum, r) => sum + r.fields.valueLength, 0) },
      forEachRecord: (visit: Parameters<SnapshotParts['forEachRecord']>[0]) => {
        for (const r of records) {
          visit(r.fields, r.keyText, new Uint8Array(r.fields.valueLength).fill(7));
        }
      },
      rows: [metaRow('revision', 50)],
    };
    const write = (chunkBytes: number): Buffer => {
      const chunks: Buffer[] = [];
      writeSnapshot(parts, (chunk) => chunks.push(Buffer.from(chunk)), { chunkBytes });
      return Buffer.concat(chunks);
    };
    const whole = write(1024 * 1024);
    // 64-byte chunks: rows with longer keys take the field-by-field path.
    expect(write(64)).toEqual(whole);
    expect(write(200)).toEqual(whole);
  });

  it('ends with the CRC-32 (as zlib computes it) and the length of the body', () => {
    const store = run(6, 300);
    const bytes = Buffer.from(store.snapshot());
    const body = bytes.subarray(0, -8);
    expect(bytes.readUInt32BE(bytes.length - 8)).toBe(zlibCrc32(body));
    expect(bytes.readUInt32BE(bytes.length - 4)).toBe(body.length);
  });

  it('computes CRC-32 as zlib does, whatever the alignment and pieces', () => {
    const prng = new Prng(8);
    for (let i = 0; i < 200; i++) {
      const data = new Uint8Array(prng.int(3000));
      for (let j = 0; j < data.length; j++) data[j] = prng.int(256);
      const cut = prng.int(data.length + 1);
      const crc = crc32(data.subarray(cut), crc32(data.subarray(0, cut)));
      expect(crc).toBe(zlibCrc32(data));
      expect(crc32(data, 12345)).toBe(zlibCrc32(data, 12345));
    }
  });

  it('writes and reads the same snapshots with an injected CRC-32 (zlib\'s)', () => {
    const store = run(7, 300);
    const withZlib = new MVCCStore({ crc32: zlibCrc32 });
    for (const bytes of [store.snapshot()]) {
      const restored = MVCCStore.restore(bytes, { crc32: zlibCrc32 });
      expect(restored.snapshot()).toEqual(bytes);
      expect(MVCCStore.restore(restored.snapshot()).stateHash()).toBe(store.stateHash());
    }
    expect(withZlib.snapshot()).toEqual(new MVCCStore().snapshot());
  });

  it('detects damage in the digest itself and in the version byte', () => {
    for (const at of [-1, -5, 4]) {
      const bytes = new MVCCStore().snapshot();
      const position = at < 0 ? bytes.length + at : at;
      bytes[position] = (bytes[position] ?? 0) ^ 4;
      expect(() => MVCCStore.restore(bytes)).toThrow(/digest|format version/);
    }
  });
});

describe('determinism', () => {
  it('gives the same stateHash and snapshot for the same command sequence', () => {
    const hashes = (seed: number): string[] => {
      const seen: string[] = [];
      run(seed, 800, (store, applied) => {
        if (applied.revision % 50 === 0) {
          seen.push(store.stateHash());
        }
      });
      return seen;
    };
    expect(hashes(21)).toEqual(hashes(21));
    expect(run(21, 800).snapshot()).toEqual(run(21, 800).snapshot());
    expect(run(21, 800).stateHash()).not.toBe(run(22, 800).stateHash());
  });

  it('computes FNV-1a 64 exactly', () => {
    const hash = (text: string): string => {
      const fnv = new Fnv64();
      for (const byte of b(text)) {
        fnv.byte(byte);
      }
      return fnv.digest();
    };
    expect(hash('')).toBe('cbf29ce484222325');
    expect(hash('a')).toBe('af63dc4c8601ec8c');
    expect(hash('foobar')).toBe('85944171f73967e8');
  });
});
