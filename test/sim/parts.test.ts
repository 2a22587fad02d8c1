/**
 * Goal: the simulator's own parts keep their contracts (a simulator that drops a message
 * it should deliver, or keeps an entry a crash should lose, proves nothing). Method: small
 * table-style unit tests of the network, the disk, the app and the trace ring.
 */
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/util/prng.js';
import { SimApp, encodeValue } from '../../src/raft/sim/app.js';
import { SimNetwork } from '../../src/raft/sim/network.js';
import { MemoryStorage } from '../../src/raft/sim/storage.js';
import { TraceRing } from '../../src/raft/sim/trace.js';
import { joinerState } from '../../src/raft/raft.js';
import { EntryType, MessageType, Role } from '../../src/raft/types.js';
import type { Entry, Message, Ready } from '../../src/raft/types.js';

const calm = { dropProbability: 0, duplicateProbability: 0, delayProbability: 0,
  delayTicksMax: 1, reorderProbability: 0 };

function message(from: number, to: number, index: number): Message {
  return { type: MessageType.Heartbeat, from, to, term: 1, logTerm: 0, index, entries: [],
    commit: 0, reject: false, rejectHint: 0, context: 0, snapshot: null };
}

function entry(index: number, term: number, value = `v${index}`): Entry {
  return { index, term, type: EntryType.Normal, data: encodeValue(value) };
}

function ready(fields: Partial<Ready>): Ready {
  return { softState: { leaderId: 0, role: Role.Follower, term: 1 }, hardState: null,
    entries: [], snapshot: null, committedEntries: [], messages: [], readStates: [],
    mustSync: false, ...fields };
}

function drain(network: SimNetwork, now: number): number[] {
  const indexes: number[] = [];
  while (network.hasDue(now)) {
    const next = network.takeDue(now);
    if (next !== null) indexes.push(next.index);
  }
  return indexes;
}

describe('SimNetwork', () => {
  it('delivers in order without faults, and blocks directed links both ways in time', () => {
    const network = new SimNetwork(new SeededRandom(1), { ...calm }, 100);
    for (let i = 1; i <= 5; i++) network.send(message(1, 2, i), 0);
    expect(drain(network, 1)).toEqual([1, 2, 3, 4, 5]);
    network.send(message(1, 2, 6), 1);
    network.block({ source: 1, target: 2 });
    network.send(message(1, 2, 7), 1);
    network.send(message(2, 1, 8), 1);
    expect(drain(network, 2)).toEqual([8]);
    expect(network.stats.blocked).toBe(2);
    network.heal();
    network.send(message(1, 2, 9), 2);
    expect(drain(network, 3)).toEqual([9]);
  });

  it('drops at the in-flight bound and duplicates when asked', () => {
    const network = new SimNetwork(new SeededRandom(1), { ...calm, duplicateProbability: 1 }, 3);
    network.send(message(1, 2, 1), 0);
    network.send(message(1, 2, 2), 0);
    expect(network.inFlight()).toBe(3);
    expect(network.stats.overflowed).toBe(1);
  });
});

describe('MemoryStorage', () => {
  it('overwrites a conflicting suffix and lets a snapshot replace the log', () => {
    const storage = new MemoryStorage(joinerState());
    storage.persistReady(ready({ entries: [entry(1, 1), entry(2, 1), entry(3, 1)] }));
    storage.persistReady(ready({ entries: [entry(2, 2)], hardState: { term: 2, vote: 1,
      commit: 1 } }));
    expect(storage.load().entries.map((e) => `${e.index}/${e.term}`)).toEqual(['1/1', '2/2']);
    expect(storage.load().hardState).toEqual({ term: 2, vote: 1, commit: 1 });
    const snapshot = { meta: { index: 10, term: 3, membership: { voters: [1], learners: [] } },
      data: new Uint8Array(0) };
    storage.persistReady(ready({ snapshot }));
    expect(storage.load().entries).toEqual([]);
    expect(storage.lastIndex()).toBe(10);
  });

  it('refuses a gap and compacts only what it holds', () => {
    const storage = new MemoryStorage(joinerState());
    expect(() => storage.persistReady(ready({ entries: [entry(2, 1)] }))).toThrow(/gap/);
    storage.persistReady(ready({ entries: [entry(1, 1), entry(2, 1)] }));
    const meta = { index: 2, term: 1, membership: { voters: [1], learners: [] } };
    storage.persistCompaction({ meta, data: new Uint8Array(0) });
    expect(storage.load().entries).toEqual([]);
    expect(() => storage.persistCompaction({ meta: { ...meta, index: 5 },
      data: new Uint8Array(0) })).toThrow();
  });
});

describe('SimApp', () => {
  it('ignores duplicated values and survives a snapshot round trip', () => {
    const app = new SimApp();
    expect(app.apply(entry(1, 1, 'a')).fresh).toBe(true);
    expect(app.apply(entry(2, 1, 'a')).fresh).toBe(false);
    expect(app.apply({ index: 3, term: 1, type: EntryType.Normal, data: new Uint8Array(0) })
      .value).toBeNull();
    const copy = SimApp.fromSnapshot(3, app.encode());
    expect([...copy.values]).toEqual([['a', 1]]);
    expect(() => copy.apply(entry(5, 1))).toThrow(/out of order/);
  });
});

describe('TraceRing', () => {
  it('keeps the last events, oldest first', () => {
    const ring = new TraceRing(3);
    for (let step = 1; step <= 5; step++) ring.push({ step, time: 0, kind: 'k', detail: '' });
    expect(ring.list().map((event) => event.step)).toEqual([3, 4, 5]);
    expect(ring.total).toBe(5);
  });
});
