/**
 * Goal: an MVCCStore whose values live in a ValueFile is indistinguishable from one that
 * keeps them in memory (same stateHash, snapshot bytes and reads, past revisions included),
 * through compactions that release and relocate values; a restart that reopens the file
 * (which starts empty) and restores the snapshot reads everything back; and compaction
 * keeps the files bounded by the live values. Method: seeded random command sequences
 * (store/random-commands) applied to both stores side by side, with tiny segments so
 * segments fill, die and get relocated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ValueFile } from '../../src/storage/value-file.js';
import { MVCCStore } from '../../src/store/mvcc-store.js';
import { MemoryValueStore } from '../../src/store/value-store.js';
import { b, expectOk, Prng, rangeOf, s } from '../store/helpers.js';
import { randomCommand } from '../store/random-commands.js';

const directories: string[] = [];
const files: ValueFile[] = [];

afterEach(() => {
  for (const file of files.splice(0)) file.close();
  for (const directory of directories.splice(0)) {
    rmSync(directory, { recursive: true, force: true });
  }
});

function openFile(directory?: string): { file: ValueFile; directory: string } {
  const where = directory ?? mkdtempSync(join(tmpdir(), 'coracle-value-store-'));
  if (directory === undefined) directories.push(where);
  const file = new ValueFile(where, { segmentBytes: 2048, bufferBytes: 512 });
  files.push(file);
  return { file, directory: where };
}

/** Every key's value at `revision` (or the error code), as text. */
function everything(store: MVCCStore, revision: number): string {
  const outcome = store.range({ key: b('\0'), rangeEnd: new Uint8Array([0]), revision });
  if (!outcome.ok) return outcome.error.code;
  return outcome.response.kvs.map((kv) =>
    `${s(kv.key)}=${s(kv.value)}@${kv.modRevision}/${kv.version}`).join(' ');
}

describe('MVCCStore over a ValueFile', () => {
  it.each([1, 2, 3])('matches an in-memory store command for command (seed %i)', (seed) => {
    const prng = new Prng(seed);
    const inMemory = new MVCCStore();
    const { file } = openFile();
    const onFile = new MVCCStore({ values: file });
    for (let i = 0; i < 1500; i++) {
      const command = randomCommand(prng, inMemory, i * 100);
      const expected = inMemory.apply(command);
      const actual = onFile.apply(command);
      expect(actual.result).toEqual(expected.result);
      expect(actual.events.map((event) => [event.type, event.kv, event.prevKv]))
        .toEqual(expected.events.map((event) => [event.type, event.kv, event.prevKv]));
      if (i % 100 === 99) {
        expect(onFile.stateHash()).toBe(inMemory.stateHash());
        const past = inMemory.compactRevision + prng.int(inMemory.revision -
          inMemory.compactRevision + 1);
        expect(everything(onFile, past)).toBe(everything(inMemory, past));
      }
    }
    expect(onFile.snapshot()).toEqual(inMemory.snapshot());
  });

  it('reads everything back after a restart: a fresh file and the snapshot', () => {
    const prng = new Prng(7);
    const first = openFile();
    const store = new MVCCStore({ values: first.file });
    for (let i = 0; i < 800; i++) store.apply(randomCommand(prng, store, i * 100));
    const bytes = store.snapshot();
    const hash = store.stateHash();
    const reads: string[] = [];
    for (let revision = store.compactRevision; revision <= store.revision; revision++) {
      reads.push(everything(store, revision));
    }
    first.file.close();
    const second = openFile(first.directory);
    const restored = MVCCStore.restore(bytes, { values: second.file });
    expect(restored.stateHash()).toBe(hash);
    expect(restored.snapshot()).toEqual(bytes);
    for (let revision = restored.compactRevision; revision <= restored.revision; revision++) {
      expect(everything(restored, revision)).toBe(reads[revision - restored.compactRevision]);
    }
  });

  it('releases compacted values and relocates sparse segments, so the files stay bounded',
    () => {
      const { file } = openFile();
      const store = new MVCCStore({ values: file });
      const value = 'x'.repeat(100);
      for (let round = 0; round < 20; round++) {
        for (let key = 0; key < 50; key++) {
          expectOk(store.apply({ type: 'put', request: { key: b(`k${key}`), value: b(value) } })
            .result);
        }
        // A long-lived key, written once, that would pin its segment without relocation.
        if (round === 0) store.apply({ type: 'put', request: { key: b('z'), value: b(value) } });
        expectOk(store.apply({ type: 'compaction', request: { revision: store.revision } })
          .result);
      }
      expect(store.recordCount).toBe(51);
      expect(file.liveBytes).toBe(51 * (8 + 100));
      expect(file.fileBytes).toBeLessThan(4 * file.liveBytes + 2048);
      expect(s(rangeOf(store, { key: b('z') }).kvs[0]?.value ?? b(''))).toBe(value);
    });

  it('relocates every value when the store asks (memory adapter) without changing reads',
    () => {
      const prng = new Prng(11);
      const plain = new MVCCStore();
      const moving = new MVCCStore({ values: new MemoryValueStore({ relocateAll: true }) });
      for (let i = 0; i < 1000; i++) {
        const command = randomCommand(prng, plain, i * 100);
        plain.apply(command);
        moving.apply(command);
      }
      expect(moving.snapshot()).toEqual(plain.snapshot());
      expect(everything(moving, 0)).toBe(everything(plain, 0));
    });
});
