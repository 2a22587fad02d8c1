/**
 * Goal: one contract suite for every ValueStore adapter (memory and the segment files of
 * storage/value-file), plus the file's own duties: buffered appends read back before and
 * after they reach the file, values across segments, deletion of dead segments, relocation
 * out of sparse ones, a restart that starts from nothing, and a clear error (never wrong
 * bytes) on a short or corrupt read. Method: drive the port directly with small segments
 * and buffers so every boundary is crossed, then damage the files on disk.
 */
import {
  closeSync, mkdtempSync, openSync, readdirSync, rmSync, truncateSync, writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ValueFile, ValueFileError } from '../../src/storage/value-file.js';
import { MemoryValueStore, type ValueStore } from '../../src/store/value-store.js';

const directories: string[] = [];
const files: ValueFile[] = [];

afterEach(() => {
  for (const file of files.splice(0)) file.close();
  for (const directory of directories.splice(0)) {
    rmSync(directory, { recursive: true, force: true });
  }
});

function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'coracle-values-'));
  directories.push(directory);
  return directory;
}

function openFile(directory: string, options: { segmentBytes?: number; bufferBytes?: number } =
  { segmentBytes: 4096, bufferBytes: 256 }): ValueFile {
  const file = new ValueFile(directory, options);
  files.push(file);
  return file;
}

/** A value of `length` bytes whose content depends on `seed`. */
function value(seed: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (seed * 31 + i * 7) & 0xff;
  return bytes;
}

const adapters: Array<{ name: string; open(): ValueStore }> = [
  { name: 'memory', open: () => new MemoryValueStore() },
  { name: 'file', open: () => openFile(temporaryDirectory()) },
];

describe.each(adapters)('ValueStore contract: $name', (adapter) => {
  it('reads back every value appended, in any order, as arrays of their own', () => {
    const store = adapter.open();
    const lengths = [1, 7, 100, 255, 300, 1000, 3, 2000, 17];
    const refs = lengths.map((length, seed) => store.append(value(seed, length)));
    expect(new Set(refs).size).toBe(refs.length);
    for (const seed of [4, 0, 8, 2, 7, 1, 6, 3, 5]) {
      expect(store.read(refs[seed]!, lengths[seed]!)).toEqual(value(seed, lengths[seed]!));
      expect(store.view(refs[seed]!, lengths[seed]!)).toEqual(value(seed, lengths[seed]!));
    }
    const copy = store.read(refs[2]!, 100);
    copy.fill(0);
    expect(store.read(refs[2]!, 100)).toEqual(value(2, 100));
  });

  it('copies what it appends (the caller may reuse its array)', () => {
    const store = adapter.open();
    const bytes = value(1, 50);
    const ref = store.append(bytes);
    bytes.fill(9);
    expect(store.read(ref, 50)).toEqual(value(1, 50));
  });

  it('keeps the values not released, and forgets everything on clear', () => {
    const store = adapter.open();
    const refs = [0, 1, 2, 3].map((seed) => store.append(value(seed, 400)));
    store.release(refs[1]!, 400);
    store.release(refs[2]!, 400);
    expect(store.read(refs[0]!, 400)).toEqual(value(0, 400));
    expect(store.read(refs[3]!, 400)).toEqual(value(3, 400));
    store.clear();
    const ref = store.append(value(9, 10));
    expect(store.read(ref, 10)).toEqual(value(9, 10));
  });

  it('appends a view of its own bytes (relocation) intact', () => {
    const store = adapter.open();
    const refs = [0, 1, 2].map((seed) => store.append(value(seed, 200)));
    const moved = refs.map((ref) => store.append(store.view(ref, 200)));
    moved.forEach((ref, seed) => expect(store.read(ref, 200)).toEqual(value(seed, 200)));
  });
});

describe('ValueFile', () => {
  it('serves buffered appends, flushed ones and big ones across many segments', () => {
    const directory = temporaryDirectory();
    const file = openFile(directory);
    const lengths = Array.from({ length: 60 }, (_, seed) => [10, 250, 600, 1500][seed % 4]!);
    const refs = lengths.map((length, seed) => file.append(value(seed, length)));
    expect(readdirSync(directory).length).toBeGreaterThan(5);
    lengths.forEach((length, seed) => {
      expect(file.read(refs[seed]!, length)).toEqual(value(seed, length));
    });
    // In ref order through the read-ahead window, as a snapshot reads them.
    lengths.forEach((length, seed) => {
      expect(file.view(refs[seed]!, length)).toEqual(value(seed, length));
    });
  });

  it('deletes a segment once nothing in it is live', () => {
    const directory = temporaryDirectory();
    const file = openFile(directory);
    const refs = Array.from({ length: 20 }, (_, seed) => file.append(value(seed, 1000)));
    const before = readdirSync(directory).length;
    // The first segment holds the first four values (4 x 1008 bytes of 4096).
    for (const ref of refs.slice(0, 3)) file.release(ref, 1000);
    expect(readdirSync(directory).length).toBe(before);
    file.release(refs[3]!, 1000);
    expect(readdirSync(directory).length).toBe(before - 1);
    expect(file.read(refs[4]!, 1000)).toEqual(value(4, 1000));
    expect(file.liveBytes).toBe(16 * 1008);
  });

  it('asks to relocate the values of a sparse sealed segment, which then goes', () => {
    const directory = temporaryDirectory();
    const file = openFile(directory);
    const refs = Array.from({ length: 8 }, (_, seed) => file.append(value(seed, 1000)));
    expect(file.relocationWanted()).toBe(false);
    file.release(refs[0]!, 1000);
    file.release(refs[1]!, 1000);
    expect(file.relocationWanted()).toBe(false);
    file.release(refs[2]!, 1000);
    expect(file.relocationWanted()).toBe(true);
    expect(file.shouldRelocate(refs[3]!)).toBe(true);
    expect(file.shouldRelocate(refs[7]!)).toBe(false);
    const moved = file.append(file.view(refs[3]!, 1000));
    file.release(refs[3]!, 1000);
    expect(file.relocationWanted()).toBe(false);
    expect(file.read(moved, 1000)).toEqual(value(3, 1000));
    expect(readdirSync(directory)).not.toContain('00000000.val');
  });

  it('starts from nothing when opened again (a restart rebuilds it)', () => {
    const directory = temporaryDirectory();
    const first = openFile(directory);
    for (let seed = 0; seed < 10; seed++) first.append(value(seed, 1000));
    first.close();
    const second = openFile(directory);
    expect(readdirSync(directory)).toEqual(['00000000.val']);
    expect(second.fileBytes).toBe(0);
    const ref = second.append(value(1, 10));
    expect(second.read(ref, 10)).toEqual(value(1, 10));
  });

  it('fails a short read with a clear error instead of returning wrong bytes', () => {
    const directory = temporaryDirectory();
    const file = openFile(directory);
    const refs = Array.from({ length: 6 }, (_, seed) => file.append(value(seed, 1000)));
    truncateSync(join(directory, '00000000.val'), 1500);
    expect(() => file.read(refs[1]!, 1000)).toThrow(ValueFileError);
    expect(() => file.read(refs[1]!, 1000)).toThrow(/short read of .*00000000\.val/);
    expect(file.read(refs[0]!, 1000)).toEqual(value(0, 1000));
  });

  it('fails a corrupt read (CRC) and a wrong length with a clear error', () => {
    const directory = temporaryDirectory();
    const file = openFile(directory);
    const refs = Array.from({ length: 6 }, (_, seed) => file.append(value(seed, 1000)));
    const fd = openSync(join(directory, '00000000.val'), 'r+');
    writeSync(fd, new Uint8Array([0xff]), 0, 1, 20);
    closeSync(fd);
    expect(() => file.read(refs[0]!, 1000)).toThrow(/value 0: CRC mismatch/);
    expect(() => file.view(refs[0]!, 1000)).toThrow(ValueFileError);
    expect(() => file.read(refs[1]!, 999)).toThrow(/length 1000 on file, 999 expected/);
  });
});
