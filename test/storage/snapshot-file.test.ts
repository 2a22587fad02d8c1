/**
 * Goal: LevelStorage keeps snapshot data in files of its own (storage/snapshot-file): data
 * dirs from before (snapshot data in LevelDB) still load and move to a file at the next
 * snapshot; a missing or truncated file refuses to start with a clear error; leftovers of
 * an interrupted staging or of replaced snapshots are removed at load. Method: write
 * through the port, damage or fake the disk state, reopen.
 */
import { mkdtempSync, readdirSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeSnapshotMeta } from '../../src/storage/codec.js';
import { LevelStorage } from '../../src/storage/level-storage.js';
import { closeSnapshotData } from '../../src/storage/raft-storage.js';
import { SnapshotFile } from '../../src/storage/snapshot-file.js';
import type { SnapshotData } from '../../src/raft/types.js';

const directories: string[] = [];

afterEach(() => {
  for (const directory of directories.splice(0)) {
    rmSync(directory, { recursive: true, force: true });
  }
});

function dataDir(): string {
  const directory = mkdtempSync(join(tmpdir(), 'coracle-snap-'));
  directories.push(directory);
  return directory;
}

function bytesOf(data: SnapshotData | undefined): number[] {
  return data === undefined ? [] : [...data.subarray(0, data.byteLength)];
}

const membership = { voters: [1], learners: [] };

describe('snapshot files', () => {
  it('loads a snapshot kept in LevelDB by older versions, then moves it to a file', async () => {
    const directory = dataDir();
    const raw = new Level<Buffer, Buffer>(directory, { keyEncoding: 'buffer',
      valueEncoding: 'buffer' });
    await raw.put(Buffer.from('p'), encodeSnapshotMeta({ index: 3, term: 1, membership }));
    await raw.put(Buffer.from('d'), Buffer.from([4, 5, 6]));
    await raw.close();
    const storage = new LevelStorage(directory);
    const loaded = await storage.load();
    expect(bytesOf(loaded.persisted.snapshot?.data)).toEqual([4, 5, 6]);
    expect(storage.openSnapshot()).toBeNull();
    const staged = storage.stageSnapshot((write) => write(new Uint8Array([8])));
    await storage.writeSnapshot({ meta: { index: 5, term: 1, membership }, data: staged });
    closeSnapshotData(staged);
    await storage.close();
    const check = new Level<Buffer, Buffer>(directory, { keyEncoding: 'buffer',
      valueEncoding: 'buffer' });
    expect(await check.get(Buffer.from('d'))).toBeUndefined();
    await check.close();
    const again = new LevelStorage(directory);
    const reloaded = await again.load();
    expect(reloaded.persisted.snapshot?.meta.index).toBe(5);
    expect(bytesOf(reloaded.persisted.snapshot?.data)).toEqual([8]);
    closeSnapshotData(reloaded.persisted.snapshot?.data);
    await again.close();
  });

  it.each([
    ['missing', (path: string) => unlinkSync(path), /snapshot file .* is missing/],
    ['truncated', (path: string) => truncateSync(path, 2), /holds 2 bytes, 3 expected/],
  ])('refuses to load when the snapshot file is %s', async (_name, damage, message) => {
    const directory = dataDir();
    const storage = new LevelStorage(directory);
    await storage.load();
    await storage.writeReady({ hardState: null, entries: [], snapshot: {
      meta: { index: 7, term: 2, membership }, data: new Uint8Array([1, 2, 3]) } });
    await storage.close();
    const [name] = readdirSync(join(directory, 'snap'));
    damage(join(directory, 'snap', name!));
    const again = new LevelStorage(directory);
    await expect(again.load()).rejects.toThrow(message);
    await again.close();
  });

  it('removes staged leftovers and replaced snapshot files at load', async () => {
    const directory = dataDir();
    const storage = new LevelStorage(directory);
    await storage.load();
    await storage.writeReady({ hardState: null, entries: [], snapshot: {
      meta: { index: 7, term: 2, membership }, data: new Uint8Array([1, 2, 3]) } });
    await storage.close();
    writeFileSync(join(directory, 'snap', 'staged-9.tmp'), 'half a snapshot');
    writeFileSync(join(directory, 'snap', '0000000000000002.snap'), 'an old one');
    const again = new LevelStorage(directory);
    const loaded = await again.load();
    expect(readdirSync(join(directory, 'snap'))).toEqual(['0000000000000007.snap']);
    expect(bytesOf(loaded.persisted.snapshot?.data)).toEqual([1, 2, 3]);
    closeSnapshotData(loaded.persisted.snapshot?.data);
    await again.close();
  });

  it('lets a failing producer\'s own error through (a bug is not a disk failure)', () => {
    const directory = dataDir();
    const bug = new RangeError('the encoder broke');
    expect(() => SnapshotFile.stage(join(directory, 'x.tmp'), (write) => {
      write(new Uint8Array([1]));
      throw bug;
    })).toThrow(bug);
  });

  it('reads pieces, and refuses to read once closed', () => {
    const directory = dataDir();
    const file = SnapshotFile.stage(join(directory, 'x.tmp'), (write) => {
      write(new Uint8Array([1, 2, 3]));
      write(new Uint8Array([4, 5]));
    });
    expect(file.byteLength).toBe(5);
    expect([...file.subarray(1, 4)]).toEqual([2, 3, 4]);
    expect(file.subarray(5, 5).length).toBe(0);
    file.close();
    file.close();
    expect(() => file.subarray(0, 1)).toThrow(/is open/);
  });
});
