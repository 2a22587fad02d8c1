/**
 * Goal: the store's persisted forms are complete and deterministic: snapshot bytes restore
 * to an identical store, the row mutations of every apply rebuild the full state (as a
 * LevelDB shell would at startup), and two stores fed the same commands agree on
 * stateHash. Method: seeded random command sequences; full state is compared through the
 * snapshot bytes (which encode every row) and stateHash.
 */
import { describe, expect, it } from 'vitest';
import { bytesToBinary, Fnv64 } from '../../src/store/bytes.js';
import { MVCCStore } from '../../src/store/mvcc-store.js';
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

describe('row mutations', () => {
  it.each([11, 12, 13])('rebuild the full state from the applied mutations (seed %i)', (seed) => {
    const rows = new Map<string, readonly [Uint8Array, Uint8Array]>();
    const store = run(seed, 2000, (_store, applied) => {
      for (const mutation of applied.mutations) {
        const id = bytesToBinary(mutation.key);
        if (mutation.op === 'put') {
          rows.set(id, [mutation.key, mutation.value]);
        } else {
          expect(rows.has(id)).toBe(true);
          rows.delete(id);
        }
      }
    });
    const rebuilt = MVCCStore.loadRows(rows.values());
    expect(rebuilt.snapshot()).toEqual(store.snapshot());
    expect(rebuilt.stateHash()).toBe(store.stateHash());
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
