/**
 * Goal: the WatchHub delivers every matching event after a watcher's start revision, in
 * revision order, never splitting a revision, or cancels the watcher with a reason
 * (compacted start, slow consumer). Method: a store and a hub wired by a small driver that
 * calls onApplied after every apply, then drains and checks the delivered responses.
 */
import { describe, expect, it } from 'vitest';
import { watchEventsBufferedMax } from '../../src/store/limits.js';
import { MVCCStore, type StoreCommand } from '../../src/store/mvcc-store.js';
import { EventType, WatchFilterType } from '../../src/store/types.js';
import { WatchHub, type WatchResponse } from '../../src/store/watch-hub.js';
import { b, expectOk, s } from './helpers.js';

/** Driver keeps a store and a hub in lockstep, as the shell must. */
class Driver {
  readonly store = new MVCCStore();
  readonly hub = new WatchHub(this.store);

  apply(command: StoreCommand): number[] {
    const applied = this.store.apply(command);
    return this.hub.onApplied(applied.events, applied.revision);
  }

  put(key: string, value: string): number[] {
    return this.apply({ type: 'put', request: { key: b(key), value: b(value) } });
  }

  del(key: string, rangeEnd?: string): number[] {
    const request = rangeEnd === undefined ? { key: b(key) }
      : { key: b(key), rangeEnd: b(rangeEnd) };
    return this.apply({ type: 'deleteRange', request });
  }
}

/** Flattens responses to "TYPE key@rev" strings. */
function events(responses: readonly WatchResponse[]): string[] {
  return responses.flatMap((response) => response.events.map((event) =>
    `${event.type === EventType.PUT ? 'PUT' : 'DEL'} ${s(event.kv.key)}@${event.kv.modRevision}`));
}

describe('watch hub', () => {
  it('delivers live events for a key and a range, in order', () => {
    const driver = new Driver();
    const single = expectOk(driver.hub.createWatch({ key: b('a') })).watchId;
    const ranged = expectOk(driver.hub.createWatch({ key: b('a'), rangeEnd: b('c') })).watchId;
    driver.put('a', '1');
    driver.put('b', '1');
    driver.put('c', '1');
    driver.del('a');
    expect(events(driver.hub.drain(single))).toEqual(['PUT a@2', 'DEL a@5']);
    expect(events(driver.hub.drain(ranged))).toEqual(['PUT a@2', 'PUT b@3', 'DEL a@5']);
    expect(driver.hub.drain(ranged)).toEqual([]);
  });

  it('replays history from a past start revision, then continues live', () => {
    const driver = new Driver();
    driver.put('a', '1'); // 2
    driver.put('a', '2'); // 3
    driver.put('b', '1'); // 4
    const id = expectOk(driver.hub.createWatch({ key: b('a'), startRevision: 3, prevKv: true }))
      .watchId;
    expect(driver.hub.readyWatchIds()).toEqual([id]);
    driver.put('a', '3'); // 5
    const responses = driver.hub.drain(id);
    expect(events(responses)).toEqual(['PUT a@3', 'PUT a@5']);
    expect(s(responses[0]?.events[0]?.prevKv?.value ?? b(''))).toBe('1');
    expect(responses[responses.length - 1]?.header.revision).toBe(5);
    driver.put('a', '4'); // 6
    expect(events(driver.hub.drain(id))).toEqual(['PUT a@6']);
  });

  it('strips prevKv unless asked and applies NOPUT / NODELETE filters', () => {
    const driver = new Driver();
    const noPut = expectOk(driver.hub.createWatch({ key: b('k'),
      filters: [WatchFilterType.NOPUT] })).watchId;
    const noDelete = expectOk(driver.hub.createWatch({ key: b('k'),
      filters: [WatchFilterType.NODELETE] })).watchId;
    driver.put('k', '1');
    driver.put('k', '2');
    driver.del('k');
    expect(events(driver.hub.drain(noPut))).toEqual(['DEL k@4']);
    const puts = driver.hub.drain(noDelete);
    expect(events(puts)).toEqual(['PUT k@2', 'PUT k@3']);
    expect(puts[0]?.events[1]?.prevKv).toBeUndefined();
  });

  it('cancels a watch that starts at or below the compacted revision', () => {
    const driver = new Driver();
    driver.put('a', '1');
    driver.put('a', '2');
    driver.put('a', '3'); // 4
    driver.apply({ type: 'compaction', request: { revision: 3 } });
    const created = expectOk(driver.hub.createWatch({ key: b('a'), startRevision: 3 }));
    expect(created.created).toBe(true);
    const [cancel] = driver.hub.drain(created.watchId);
    expect(cancel).toMatchObject({
      canceled: true, compactRevision: 3,
      cancelReason: 'etcdserver: mvcc: required revision has been compacted',
    });
    expect(driver.hub.size).toBe(0);
    const ok = expectOk(driver.hub.createWatch({ key: b('a'), startRevision: 4 }));
    expect(events(driver.hub.drain(ok.watchId))).toEqual(['PUT a@4']);
  });

  it('cancels an unsynced watcher when compaction overtakes its replay', () => {
    const driver = new Driver();
    for (let i = 0; i < 10; i++) {
      driver.put('a', String(i)); // 2..11
    }
    const id = expectOk(driver.hub.createWatch({ key: b('a'), startRevision: 2 })).watchId;
    expect(events(driver.hub.drain(id, { eventsMax: 3 }))).toEqual(['PUT a@2', 'PUT a@3', 'PUT a@4']);
    driver.apply({ type: 'compaction', request: { revision: 8 } });
    expect(driver.hub.drain(id)[0]).toMatchObject({ canceled: true, compactRevision: 8 });
  });

  it('cancels a slow watcher at its bound without dropping events silently', () => {
    const driver = new Driver();
    const slow = expectOk(driver.hub.createWatch({ key: b('k') })).watchId;
    const fast = expectOk(driver.hub.createWatch({ key: b('k') })).watchId;
    for (let i = 0; i < watchEventsBufferedMax; i++) {
      driver.put('k', String(i));
      if (i % 1000 === 0) {
        driver.hub.drain(fast);
      }
    }
    expect(driver.hub.drain(fast).length).toBeGreaterThan(0);
    driver.put('k', 'overflow');
    const responses = driver.hub.drain(slow);
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ canceled: true, compactRevision: 0 });
    expect(responses[0]?.cancelReason).toContain('too slow');
    expect(events(driver.hub.drain(fast))).toEqual([`PUT k@${driver.store.revision}`]);
  });

  it('never splits a revision across responses', () => {
    const driver = new Driver();
    const id = expectOk(driver.hub.createWatch({ key: b('a'), rangeEnd: b('z') })).watchId;
    driver.put('a', '1');
    driver.apply({ type: 'txn', request: { success: ['b', 'c', 'd'].map((key) => ({
      requestPut: { key: b(key), value: b('1') } })) } });
    driver.put('e', '1');
    const first = driver.hub.drain(id, { eventsMax: 2 });
    expect(events(first)).toEqual(['PUT a@2']);
    const second = driver.hub.drain(id, { eventsMax: 2 });
    expect(events(second)).toEqual(['PUT b@3', 'PUT c@3', 'PUT d@3']);
    expect(events(driver.hub.drain(id, { eventsMax: 2 }))).toEqual(['PUT e@4']);
  });

  it('batches queued revisions into responses of whole revisions within the budget', () => {
    const driver = new Driver();
    const id = expectOk(driver.hub.createWatch({ key: b('a'), rangeEnd: b('z') })).watchId;
    driver.put('a', '1'); // 2
    driver.apply({ type: 'txn', request: { success: ['b', 'c'].map((key) => ({
      requestPut: { key: b(key), value: b('1') } })) } }); // 3
    driver.put('d', '1'); // 4
    expect(driver.hub.requestProgress(id)).toBe(true);
    driver.put('e', '1'); // 5
    driver.put('f', '1'); // 6
    const first = driver.hub.drain(id, { eventsMax: 3 });
    // Revisions 2 and 3 fit in 3 events; 4 would not. Progress never joins an event run.
    expect(first.map((response) => [response.header.revision, events([response])]))
      .toEqual([[3, ['PUT a@2', 'PUT b@3', 'PUT c@3']]]);
    const second = driver.hub.drain(id, { eventsMax: 3 });
    expect(second.map((response) => [response.header.revision, events([response])]))
      .toEqual([[4, ['PUT d@4']], [4, []], [6, ['PUT e@5', 'PUT f@6']]]);
    expect(driver.hub.drain(id)).toEqual([]);
  });

  it('keeps a long-behind watcher bounded and in order while it is drained in steps', () => {
    const driver = new Driver();
    const id = expectOk(driver.hub.createWatch({ key: b('k'), rangeEnd: b('l') })).watchId;
    const seen: string[] = [];
    for (let i = 0; i < 5000; i++) {
      driver.put(`k${i % 7}`, String(i));
      if (i % 3 === 0) seen.push(...events(driver.hub.drain(id, { eventsMax: 2 })));
    }
    while (driver.hub.readyWatchIds().includes(id)) {
      seen.push(...events(driver.hub.drain(id, { eventsMax: 500 })));
    }
    expect(seen).toHaveLength(5000);
    expect(seen.map((line) => Number(line.split('@')[1])))
      .toEqual(Array.from({ length: 5000 }, (_, i) => i + 2));
  });

  it('sends progress on request and to idle progressNotify watchers', () => {
    const driver = new Driver();
    const plain = expectOk(driver.hub.createWatch({ key: b('a') })).watchId;
    const notified = expectOk(driver.hub.createWatch({ key: b('a'), progressNotify: true }))
      .watchId;
    driver.put('b', '1');
    expect(driver.hub.notifyProgress()).toEqual([notified]);
    expect(driver.hub.drain(notified)).toMatchObject([{ header: { revision: 2 }, events: [] }]);
    expect(driver.hub.requestProgress(plain)).toBe(true);
    expect(driver.hub.drain(plain)).toMatchObject([{ header: { revision: 2 }, events: [] }]);
  });

  it('honours future start revisions, explicit ids and cancel', () => {
    const driver = new Driver();
    const future = expectOk(driver.hub.createWatch({ key: b('a'), startRevision: 4,
      watchId: 7 }));
    expect(future.watchId).toBe(7);
    expect(driver.hub.createWatch({ key: b('a'), watchId: 7 }).ok).toBe(false);
    driver.put('a', '1'); // 2
    driver.put('a', '2'); // 3
    driver.put('a', '3'); // 4
    expect(events(driver.hub.drain(7))).toEqual(['PUT a@4']);
    expect(driver.hub.cancelWatch(7)).toMatchObject({ canceled: true, watchId: 7 });
    expect(driver.hub.size).toBe(0);
    expect(driver.put('a', '4')).toEqual([]);
  });
});

describe('watch hub contract', () => {
  it('asserts that it sees every revision', () => {
    const store = new MVCCStore();
    const hub = new WatchHub(store);
    store.apply({ type: 'put', request: { key: b('a') } });
    const skipped = store.apply({ type: 'put', request: { key: b('b') } });
    expect(() => hub.onApplied(skipped.events, skipped.revision)).toThrow(/every revision/);
  });

  it('catches up in bounded steps and then turns synced', () => {
    const driver = new Driver();
    for (let i = 0; i < 50; i++) {
      driver.put(`k${i % 5}`, String(i)); // revisions 2..51
    }
    const id = expectOk(driver.hub.createWatch({ key: b('k'), rangeEnd: b('l'),
      startRevision: 2 })).watchId;
    const seen: string[] = [];
    for (let round = 0; round < 20 && driver.hub.readyWatchIds().includes(id); round++) {
      seen.push(...events(driver.hub.drain(id, { eventsMax: 7 })));
    }
    expect(seen).toHaveLength(50);
    expect(seen[49]).toBe('PUT k4@51');
    driver.put('k0', 'live');
    expect(events(driver.hub.drain(id))).toEqual(['PUT k0@52']);
  });
});
