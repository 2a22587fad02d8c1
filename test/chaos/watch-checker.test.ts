/**
 * Goal: the watch checker passes a clean multi-session history and flags each etcd watch
 * guarantee it breaks (gap, duplicate, reorder, split revision, missed acknowledged write,
 * bookmark ahead of delivery, bad resume, disagreeing watchers) under the right name.
 * Method: one clean history of ten single-key revisions seen by two watchers (one of them
 * resuming once), then one targeted edit per case.
 */
import { describe, expect, it } from 'vitest';
import { checkWatches } from '../../src/chaos/watch-checker.js';
import type { WatchCheckResult, WatchGuarantee } from '../../src/chaos/watch-checker.js';
import type { History, Operation, WatchEventRecord, WatchSession } from '../../src/chaos/history.js';

const keyAt = (revision: number): string => `k${revision % 2}`;
const valueAt = (revision: number): string => `v${revision}`;

function event(revision: number, key = keyAt(revision), value = valueAt(revision)):
  WatchEventRecord {
  return { type: 'put', key, value, modRevision: revision, receivedMs: revision * 10 };
}

function session(
  watcher: number, startRevision: number, revisions: readonly number[], progress: number[] = [],
): WatchSession {
  return { watcher, peer: 'p0', startRevision, events: revisions.map((r) => event(r)),
    progressRevisions: progress, endReason: 'stopped' };
}

/** Ok writes creating revisions 2..11, one key each. */
function writes(): Operation[] {
  return Array.from({ length: 10 }, (_, i) => {
    const revision = i + 2;
    return { id: i + 1, client: 1, peer: 'p0', kind: 'write', key: keyAt(revision),
      value: valueAt(revision), invokeMs: revision * 10, completeMs: revision * 10 + 5,
      outcome: 'ok', revision } as const;
  });
}

const all = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

function clean(): History {
  return { seed: 1, operations: writes(), faults: [], watches: [
    session(0, 1, all, [5, 11]),
    session(1, 1, [2, 3, 4, 5, 6], [6]),
    session(1, 7, [7, 8, 9, 10, 11], [11]),
  ] };
}

function violated(result: WatchCheckResult): WatchGuarantee[] {
  return result.guarantees.filter((g) => g.verdict === 'violation').map((g) => g.guarantee);
}

describe('watch checker', () => {
  it('passes a clean history with a resumed session', () => {
    const result = checkWatches(clean());
    expect(violated(result)).toEqual([]);
    expect(result).toMatchObject({ verdict: 'ok', watchers: 2, sessions: 3, events: 20 });
    expect(result.referenceRevisions).toBe(10);
  });

  it('detects a gap (reliable) and the missed acknowledged write', () => {
    const history = clean();
    history.watches[0] = session(0, 1, all.filter((r) => r !== 5), [11]);
    const result = checkWatches(history);
    expect(violated(result)).toEqual(['reliable', 'bookmarkable', 'acknowledged']);
    const reliable = result.guarantees.find((g) => g.guarantee === 'reliable')!;
    expect(reliable.examples[0]).toMatchObject({ watcher: 0, revision: 5, key: 'k1' });
    expect(reliable.examples[0]!.message).toContain('skipped revision 5');
  });

  it('detects a duplicate event (unique)', () => {
    const history = clean();
    history.watches[0] = session(0, 1, [2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(violated(checkWatches(history))).toEqual(['unique']);
  });

  it('detects a duplicate across a resume that restarted too early (unique)', () => {
    const history = clean();
    history.watches[2] = session(1, 6, [6, 7, 8, 9, 10, 11]);
    expect(violated(checkWatches(history))).toEqual(['unique']);
  });

  it('detects a reorder (ordered)', () => {
    const history = clean();
    history.watches[0] = session(0, 1, [2, 4, 3, 5, 6, 7, 8, 9, 10, 11]);
    expect(violated(checkWatches(history))).toEqual(['ordered']);
  });

  it('detects a split revision (atomic)', () => {
    const history = clean();
    history.watches[0]!.events.splice(4, 0, event(6, 'k9', 'txn'));
    const result = checkWatches(history);
    // NB: watcher 1's bookmark at 6 also claimed the half-delivered revision complete.
    expect(violated(result)).toEqual(['atomic', 'bookmarkable']);
    expect(result.guarantees.find((g) => g.guarantee === 'atomic')!.examples[0])
      .toMatchObject({ watcher: 1, revision: 6, key: 'k9' });
  });

  it('detects an acknowledged write no watcher received', () => {
    const history = clean();
    history.operations.push({ id: 99, client: 4, peer: 'p1', kind: 'write', key: 'k1',
      value: 'lost', invokeMs: 200, completeMs: 210, outcome: 'ok', revision: 12 });
    history.watches[0]!.progressRevisions.push(13);
    const result = checkWatches(history);
    expect(violated(result)).toEqual(['bookmarkable', 'acknowledged']);
    const acknowledged = result.guarantees.find((g) => g.guarantee === 'acknowledged')!;
    expect(acknowledged.violations).toBe(1);
    expect(acknowledged.examples[0]!.message).toContain('never reached watcher 0');
  });

  it('exempts a watcher whose sessions ended before the write', () => {
    const history = clean();
    history.operations.push({ id: 99, client: 4, peer: 'p1', kind: 'write', key: 'k1',
      value: 'late', invokeMs: 200, completeMs: 210, outcome: 'ok', revision: 12 });
    expect(violated(checkWatches(history))).toEqual([]);
  });

  it('detects a bookmark ahead of an undelivered event, and one going backwards', () => {
    const history = clean();
    history.watches[2] = session(1, 7, [7], [9, 8]);
    const result = checkWatches(history);
    expect(violated(result)).toEqual(['bookmarkable', 'acknowledged']);
    const messages = result.guarantees.find((g) => g.guarantee === 'bookmarkable')!
      .examples.map((example) => example.message);
    expect(messages).toEqual([
      'watcher 1 got a progress notification at revision 9 but never received k0 at revision 8',
      'watcher 1 got a progress notification at revision 9 but never received k1 at revision 9',
      'watcher 1 got a progress notification at revision 8 after one at 9',
    ]);
  });

  it('detects a resume that skipped its start revision (resumable)', () => {
    const history = clean();
    history.watches[2] = session(1, 7, [8, 9, 10, 11]);
    const result = checkWatches(history);
    expect(violated(result)).toContain('resumable');
    expect(violated(result)).toContain('acknowledged');
  });

  it('detects watchers that disagree about a revision (consistent)', () => {
    const history = clean();
    history.watches[1]!.events[1] = event(3, 'k1', 'other');
    expect(violated(checkWatches(history))).toEqual(['acknowledged', 'consistent']);
  });

  it('caps examples but counts every violation', () => {
    const history = clean();
    history.watches[0] = session(0, 1, [2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
    const unique = checkWatches(history, { examplesMax: 2 }).guarantees
      .find((g) => g.guarantee === 'unique')!;
    expect(unique.violations).toBe(8);
    expect(unique.examples).toHaveLength(2);
  });
});
