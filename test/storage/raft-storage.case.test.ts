/**
 * Goal: one contract suite for every RaftStorage adapter (memory and LevelDB), so both keep
 * the atomicity and truncation rules of DESIGN §4; plus LevelDB-only corruption checks.
 * Method: write through the port, reopen (a new adapter on the same directory for LevelDB),
 * and compare what `load()` returns.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LevelStorage } from '../../src/storage/level-storage.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { closeSnapshotData } from '../../src/storage/raft-storage.js';
import type { RaftStorage } from '../../src/storage/raft-storage.js';
import { EntryType } from '../../src/raft/types.js';
import type { Entry, SnapshotData } from '../../src/raft/types.js';

const directories: string[] = [];

afterEach(() => {
  for (const directory of directories.splice(0)) {
    rmSync(directory, { recursive: true, force: true });
  }
});

/** Reads the whole of snapshot data (in memory or in a file) as plain bytes. */
function bytesOf(data: SnapshotData | undefined): number[] {
  return data === undefined ? [] : [...data.subarray(0, data.byteLength)];
}

function entry(index: number, term: number, text = `e${index}`): Entry {
  return { index, term, type: EntryType.Normal, data: new TextEncoder().encode(text) };
}

interface Adapter {
  name: string;
  /** Opens a fresh storage; `reopen(current)` closes `current` and opens its data again. */
  open(): { storage: RaftStorage; reopen(current?: RaftStorage): Promise<RaftStorage> };
}

const adapters: Adapter[] = [
  {
    name: 'memory',
    open() {
      const storage = new MemoryStorage();
      return { storage, reopen: () => Promise.resolve(storage) };
    },
  },
  {
    name: 'leveldb',
    open() {
      const directory = mkdtempSync(join(tmpdir(), 'coracle-storage-'));
      directories.push(directory);
      const storage = new LevelStorage(directory);
      return {
        storage,
        async reopen(current: RaftStorage = storage) {
          await current.close();
          return new LevelStorage(directory);
        },
      };
    },
  },
];

describe.each(adapters)('RaftStorage contract: $name', (adapter) => {
  it('starts empty', async () => {
    const { storage } = adapter.open();
    const loaded = await storage.load();
    expect(loaded.persisted.entries).toEqual([]);
    expect(loaded.persisted.hardState).toEqual({ term: 0, vote: 0, commit: 0 });
    await storage.close();
  });

  it('keeps entries and hard state across a reopen', async () => {
    const { storage, reopen } = adapter.open();
    await storage.load();
    await storage.writeReady({
      hardState: { term: 2, vote: 1, commit: 2 }, entries: [entry(1, 1), entry(2, 2)],
      snapshot: null,
    });
    const again = await reopen();
    const loaded = await again.load();
    expect(loaded.persisted.entries).toEqual([entry(1, 1), entry(2, 2)]);
    expect(loaded.persisted.hardState).toEqual({ term: 2, vote: 1, commit: 2 });
    await again.close();
  });

  it('replaces a conflicting suffix, deleting stale entries beyond the new end', async () => {
    const { storage, reopen } = adapter.open();
    await storage.load();
    const first = [1, 2, 3, 4, 5].map((i) => entry(i, 1));
    await storage.writeReady({ hardState: null, entries: first, snapshot: null });
    await storage.writeReady({ hardState: null, entries: [entry(3, 2, 'new')], snapshot: null });
    const again = await reopen();
    const loaded = await again.load();
    expect(loaded.persisted.entries).toEqual([entry(1, 1), entry(2, 1), entry(3, 2, 'new')]);
    await again.close();
  });

  it('a received snapshot replaces the whole log', async () => {
    const { storage, reopen } = adapter.open();
    await storage.load();
    await storage.writeReady({ hardState: null, entries: [1, 2, 3].map((i) => entry(i, 1)),
      snapshot: null });
    const snapshot = {
      meta: { index: 10, term: 3, membership: { voters: [1, 2, 3], learners: [4] } },
      data: new Uint8Array([1, 2, 3]),
    };
    await storage.writeReady({ hardState: { term: 3, vote: 0, commit: 10 }, entries: [],
      snapshot });
    await storage.writeReady({ hardState: null, entries: [entry(11, 3)], snapshot: null });
    const again = await reopen();
    const loaded = await again.load();
    expect(loaded.persisted.snapshot?.meta).toEqual(snapshot.meta);
    expect(bytesOf(loaded.persisted.snapshot?.data)).toEqual([1, 2, 3]);
    expect(loaded.persisted.entries).toEqual([entry(11, 3)]);
    closeSnapshotData(loaded.persisted.snapshot?.data);
    await again.close();
  });

  it('stores a staged snapshot, and data handed out stays readable after a newer one',
    async () => {
      const { storage, reopen } = adapter.open();
      await storage.load();
      await storage.writeReady({ hardState: null, entries: [1, 2, 3, 4, 5].map((i) =>
        entry(i, 1)), snapshot: null });
      const membership = { voters: [1], learners: [] };
      const first = storage.stageSnapshot((write) => {
        write(new Uint8Array([1, 2]));
        write(new Uint8Array([3]));
      });
      expect(first.byteLength).toBe(3);
      await storage.writeSnapshot({ meta: { index: 2, term: 1, membership }, data: first }, 1);
      const opened = storage.openSnapshot();
      expect(opened?.meta.index).toBe(2);
      const second = storage.stageSnapshot((write) => write(new Uint8Array([7, 8, 9, 10])));
      await storage.writeSnapshot({ meta: { index: 4, term: 1, membership }, data: second });
      // The first snapshot's holders still read it, though a newer one replaced it.
      expect(bytesOf(first)).toEqual([1, 2, 3]);
      expect(bytesOf(opened?.data)).toEqual([1, 2, 3]);
      expect([...first.subarray(1, 3)]).toEqual([2, 3]);
      expect(bytesOf(storage.openSnapshot()?.data)).toEqual([7, 8, 9, 10]);
      for (const data of [first, second, opened?.data]) closeSnapshotData(data);
      const again = await reopen();
      const loaded = await again.load();
      expect(loaded.persisted.snapshot?.meta.index).toBe(4);
      expect(bytesOf(loaded.persisted.snapshot?.data)).toEqual([7, 8, 9, 10]);
      expect(loaded.persisted.entries).toEqual([entry(5, 1)]);
      closeSnapshotData(loaded.persisted.snapshot?.data);
      await again.close();
    });

  it('a local snapshot compacts the log below its index', async () => {
    const { storage, reopen } = adapter.open();
    await storage.load();
    await storage.writeReady({ hardState: null, entries: [1, 2, 3, 4].map((i) => entry(i, 1)),
      snapshot: null });
    const snapshot = { meta: { index: 3, term: 1, membership: { voters: [1], learners: [] } },
      data: new Uint8Array([9]) };
    await storage.writeSnapshot(snapshot);
    const again = await reopen();
    const loaded = await again.load();
    expect(loaded.persisted.entries).toEqual([entry(4, 1)]);
    expect(loaded.persisted.snapshot?.meta.index).toBe(3);
    await again.close();
  });

  it('records the cluster identity', async () => {
    const { storage, reopen } = adapter.open();
    await storage.load();
    await storage.writeIdentity({ clusterId: 'c1', memberId: 7, name: 'p1' });
    const again = await reopen();
    expect((await again.load()).identity).toEqual({ clusterId: 'c1', memberId: 7, name: 'p1' });
    await again.close();
  });
});

