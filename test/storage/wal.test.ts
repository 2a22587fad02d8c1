/**
 * Goal: the write-ahead log keeps every acknowledged append across restarts, cuts off only a
 * torn tail, reports damage anywhere else, compacts by whole segments without breaking the
 * log, reconciles a received snapshot whose log reset was lost, and migrates data dirs whose
 * log still lives in LevelDB.
 * Method: write through LevelStorage (and the WAL directly), damage or craft files on disk,
 * reopen, compare what `load()` returns.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync,
  writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import { LevelStorage } from '../../src/storage/level-storage.js';
import {
  encodeEntry, encodeHardState, encodeSnapshotMeta, indexKey,
} from '../../src/storage/codec.js';
import { EntryType } from '../../src/raft/types.js';
import type { Entry } from '../../src/raft/types.js';

const directories: string[] = [];

afterEach(() => {
  for (const directory of directories.splice(0)) {
    rmSync(directory, { recursive: true, force: true });
  }
});

function dataDir(): string {
  const directory = mkdtempSync(join(tmpdir(), 'coracle-wal-'));
  directories.push(directory);
  return directory;
}

function entry(index: number, term: number, text = `e${index}`): Entry {
  return { index, term, type: EntryType.Normal, data: new TextEncoder().encode(text) };
}

function segments(directory: string): string[] {
  return readdirSync(join(directory, 'wal')).filter((name) => name.endsWith('.wal')).sort();
}

async function reload(directory: string, segmentBytes?: number) {
  const storage = new LevelStorage(directory,
    segmentBytes === undefined ? {} : { walSegmentBytes: segmentBytes });
  const loaded = await storage.load();
  return { storage, loaded };
}

describe('write-ahead log', () => {
  it('cuts a torn tail off the newest segment and keeps every complete append', async () => {
    const directory = dataDir();
    const { storage } = await reload(directory);
    for (let index = 1; index <= 3; index++) {
      await storage.writeReady({ hardState: { term: 1, vote: 1, commit: index - 1 },
        entries: [entry(index, 1)], snapshot: null });
    }
    await storage.close();
    const file = join(directory, 'wal', segments(directory).at(-1)!);
    const intact = statSync(file).size;
    // A crash in the middle of the next append: a length saying 60 bytes, then only 7.
    appendFileSync(file, Buffer.from([0, 0, 0, 60, 0x65, 1, 2, 3, 4, 5, 6]));
    const told: number[] = [];
    const reopened = new LevelStorage(directory, { onTornTail: (bytes) => told.push(bytes) });
    const again = { storage: reopened, loaded: await reopened.load() };
    expect(told).toEqual([11]);
    expect(statSync(file).size).toBe(intact);
    expect(again.loaded.persisted.entries).toEqual([entry(1, 1), entry(2, 1), entry(3, 1)]);
    expect(again.loaded.persisted.hardState).toEqual({ term: 1, vote: 1, commit: 2 });
    await again.storage.writeReady({ hardState: null, entries: [entry(4, 1)], snapshot: null });
    await again.storage.close();
    const thirdStorage = new LevelStorage(directory, { onTornTail: (bytes) => told.push(bytes) });
    const third = { storage: thirdStorage, loaded: await thirdStorage.load() };
    expect(third.loaded.persisted.entries.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    expect(told).toEqual([11]);
    await third.storage.close();
  });

  it('cuts a last frame whose CRC does not match (a write that never returned)', async () => {
    const directory = dataDir();
    const { storage } = await reload(directory);
    await storage.writeReady({ hardState: null, entries: [entry(1, 1)], snapshot: null });
    await storage.writeReady({ hardState: null, entries: [entry(2, 1)], snapshot: null });
    await storage.close();
    const file = join(directory, 'wal', segments(directory).at(-1)!);
    const bytes = readFileSync(file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    writeFileSync(file, bytes);
    const again = await reload(directory);
    expect(again.loaded.persisted.entries).toEqual([entry(1, 1)]);
    await again.storage.close();
  });

  it('refuses to load a damaged frame before the tail of the newest segment', async () => {
    const directory = dataDir();
    const { storage } = await reload(directory);
    for (let index = 1; index <= 3; index++) {
      await storage.writeReady({ hardState: null, entries: [entry(index, 1)], snapshot: null });
    }
    await storage.close();
    const file = join(directory, 'wal', segments(directory).at(-1)!);
    const bytes = readFileSync(file);
    // The second frame: 5-byte header + the first entry record (4 + 17 + 2 data bytes).
    const second = 5 + 23;
    bytes.writeUInt8(bytes.readUInt8(second + 5 + 21) ^ 0xff, second + 5 + 21);
    writeFileSync(file, bytes);
    const broken = new LevelStorage(directory);
    const failure = await broken.load().then(() => null, (error: unknown) => error);
    expect(failure).toMatchObject({ code: 'STORAGE_ERR_CORRUPT' });
    expect(String(failure)).toContain('log entry 2: CRC mismatch');
    await broken.close();
  });

  it('refuses to load a damaged frame in a closed segment', async () => {
    const directory = dataDir();
    const { storage } = await reload(directory, 200);
    for (let index = 1; index <= 20; index++) {
      await storage.writeReady({ hardState: null, entries: [entry(index, 1)], snapshot: null });
    }
    await storage.close();
    const names = segments(directory);
    expect(names.length).toBeGreaterThan(2);
    const file = join(directory, 'wal', names[0]!);
    const bytes = readFileSync(file);
    bytes.writeUInt8(bytes.readUInt8(12) ^ 0xff, 12);
    writeFileSync(file, bytes);
    const broken = new LevelStorage(directory, { walSegmentBytes: 200 });
    await expect(broken.load()).rejects.toMatchObject({ code: 'STORAGE_ERR_CORRUPT' });
    await broken.close();
  });

  it('rotates segments, carries the hard state over, and compacts whole segments', async () => {
    const directory = dataDir();
    const { storage } = await reload(directory, 300);
    await storage.writeReady({ hardState: { term: 4, vote: 2, commit: 0 }, entries: [],
      snapshot: null });
    // A bootstrapping peer loads twice; the second load must not list a segment twice.
    await storage.load();
    for (let index = 1; index <= 60; index++) {
      await storage.writeReady({ hardState: null, entries: [entry(index, 4)], snapshot: null });
    }
    const before = segments(directory).length;
    expect(before).toBeGreaterThan(5);
    await storage.writeSnapshot({ meta: { index: 50, term: 4,
      membership: { voters: [1], learners: [] } }, data: new Uint8Array([7]) }, 45);
    const after = segments(directory);
    expect(after.length).toBeLessThan(before);
    await storage.close();
    const again = await reload(directory, 300);
    // The hard state was written once, in the first segment, which compaction deleted.
    expect(again.loaded.persisted.hardState).toEqual({ term: 4, vote: 2, commit: 0 });
    expect(again.loaded.persisted.entries.map((e) => e.index))
      .toEqual(Array.from({ length: 15 }, (_, i) => 46 + i));
    expect(again.loaded.persisted.snapshot?.meta.index).toBe(50);
    await again.storage.close();
  });

  it('keeps replacing a follower suffix across segments', async () => {
    const directory = dataDir();
    const { storage } = await reload(directory, 150);
    for (let index = 1; index <= 10; index++) {
      await storage.writeReady({ hardState: null, entries: [entry(index, 1)], snapshot: null });
    }
    await storage.writeReady({ hardState: null, entries: [entry(4, 2, 'new4'), entry(5, 2)],
      snapshot: null });
    await storage.close();
    const again = await reload(directory, 150);
    expect(again.loaded.persisted.entries).toEqual(
      [entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 2, 'new4'), entry(5, 2)]);
    await again.storage.close();
  });

  it('after a received snapshot whose log reset was lost, drops a divergent old log', async () => {
    for (const [snapshotTerm, expected] of [[1, [4, 5]], [2, []]] as const) {
      const directory = dataDir();
      const { storage } = await reload(directory);
      await storage.writeReady({ hardState: null, entries: [1, 2, 3, 4, 5].map((i) => entry(i, 1)),
        snapshot: null });
      await storage.close();
      // The snapshot's LevelDB write landed, then the crash came before the WAL's reset.
      const raw = new Level<Buffer, Buffer>(directory, { keyEncoding: 'buffer',
        valueEncoding: 'buffer' });
      await raw.put(Buffer.from('p'), encodeSnapshotMeta({ index: 3, term: snapshotTerm,
        membership: { voters: [1], learners: [] } }));
      await raw.put(Buffer.from('d'), Buffer.from([1]));
      await raw.close();
      const again = await reload(directory);
      expect(again.loaded.persisted.entries.map((e) => e.index)).toEqual(expected);
      await again.storage.close();
    }
  });

  it('a received snapshot resets the log, and the reset survives compaction', async () => {
    const directory = dataDir();
    const { storage } = await reload(directory, 200);
    for (let index = 1; index <= 12; index++) {
      await storage.writeReady({ hardState: null, entries: [entry(index, 1)], snapshot: null });
    }
    await storage.writeReady({ hardState: { term: 3, vote: 0, commit: 100 }, entries: [],
      snapshot: { meta: { index: 100, term: 3, membership: { voters: [1], learners: [] } },
        data: new Uint8Array([5]) } });
    for (let index = 101; index <= 110; index++) {
      await storage.writeReady({ hardState: null, entries: [entry(index, 3)], snapshot: null });
    }
    await storage.writeSnapshot({ meta: { index: 105, term: 3,
      membership: { voters: [1], learners: [] } }, data: new Uint8Array([6]) }, 102);
    await storage.close();
    const again = await reload(directory, 200);
    expect(again.loaded.persisted.entries.map((e) => e.index)).toEqual(
      [103, 104, 105, 106, 107, 108, 109, 110]);
    expect(again.loaded.persisted.hardState).toEqual({ term: 3, vote: 0, commit: 100 });
    await again.storage.close();
  });

  it('migrates a data dir whose log lives in LevelDB, once', async () => {
    const directory = dataDir();
    const raw = new Level<Buffer, Buffer>(directory, { keyEncoding: 'buffer',
      valueEncoding: 'buffer' });
    for (let index = 1; index <= 3; index++) {
      await raw.put(indexKey(0x65, index), encodeEntry(entry(index, 2)));
    }
    await raw.put(Buffer.from('h'), encodeHardState({ term: 2, vote: 1, commit: 3 }));
    // What older versions also kept: store rows, the applied index, the member registry.
    await raw.put(Buffer.from('s/k1'), Buffer.from('row'));
    await raw.put(Buffer.from('a'), Buffer.alloc(12));
    await raw.put(Buffer.from('m'), Buffer.from('[]'));
    await raw.close();
    const { storage, loaded } = await reload(directory);
    expect(loaded.persisted.entries).toEqual([entry(1, 2), entry(2, 2), entry(3, 2)]);
    expect(loaded.persisted.hardState).toEqual({ term: 2, vote: 1, commit: 3 });
    expect(segments(directory).length).toBe(1);
    await storage.writeReady({ hardState: null, entries: [entry(4, 2)], snapshot: null });
    await storage.close();
    const check = new Level<Buffer, Buffer>(directory, { keyEncoding: 'buffer',
      valueEncoding: 'buffer' });
    expect(await check.get(Buffer.from('h'))).toBeUndefined();
    expect(await check.get(indexKey(0x65, 1))).toBeUndefined();
    for (const key of ['s/k1', 'a', 'm']) expect(await check.get(Buffer.from(key))).toBeUndefined();
    await check.close();
    const again = await reload(directory);
    expect(again.loaded.persisted.entries.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    await again.storage.close();
  });
});
