/**
 * @module chaos/watch-checker
 * Checks the etcd watch guarantees (https://etcd.io/docs/v3.6/learning/api_guarantees/
 * #watch-apis) over the watch sessions of a chaos run, after the validators of etcd's
 * robustness tests (tests/robustness/validate/watch.go), plus one of ours: every
 * acknowledged write reaches every watcher that covered its revision.
 *
 * The REFERENCE of what happened at each revision is the union of every watcher's events
 * and of every ok write or successful CAS whose response revision is known (an etcd put or
 * txn answers with the revision it created). Two sources that disagree about one
 * (revision, key) break `consistent`. Definitions, per watcher (sessions in history order):
 * - ordered: event revisions never decrease across the watcher's sessions.
 * - unique: no (revision, key) event is delivered twice.
 * - atomic: a session that delivers any event of revision r delivers every reference
 *   event of r in its range (a revision is never split, also not across a reconnect).
 * - reliable: a session misses no reference revision in its range between its first and
 *   its last delivered event (no gaps).
 * - resumable: a session's first event is the first reference event at or after its start
 *   revision (a resumed watch restarts exactly where it asked to).
 * - bookmarkable: within a session progress revisions never decrease, and a progress
 *   notification at R means every reference event in range with start <= revision <= R was
 *   delivered by that session. NB: the history does not record where progress
 *   notifications fall among events, so we check the only interleaving a correct stream
 *   allows (each bookmark after every event at or below it); this detects a bookmark that
 *   runs ahead of undelivered events, not one that merely arrives late.
 * - acknowledged: an acknowledged write at revision r is delivered, with its value, to
 *   every watcher with a session whose covered span [start, highest revision seen in an
 *   event or bookmark] contains r. Watchers that never covered r are exempt.
 *
 * Contract: pure and deterministic; the work is linear in events plus reference revisions
 * per session; examples per guarantee are capped by `examplesMax`, counts are exact.
 */
import { assert } from '../util/assert.js';
import type { History, Operation, WatchSession } from './history.js';

/** WatchGuarantee names one checked guarantee (see the module comment). */
export type WatchGuarantee = 'ordered' | 'unique' | 'atomic' | 'reliable' | 'resumable' |
  'bookmarkable' | 'acknowledged' | 'consistent';

/** Every guarantee, in report order. */
export const WATCH_GUARANTEES: readonly WatchGuarantee[] = [
  'ordered', 'unique', 'atomic', 'reliable', 'resumable', 'bookmarkable', 'acknowledged',
  'consistent',
];

/** WatchViolation is one broken guarantee with where it happened. */
export interface WatchViolation {
  readonly guarantee: WatchGuarantee;
  /** The watcher, or -1 for a disagreement between sources (`consistent`). */
  readonly watcher: number;
  /** Index of the session in `history.watches`, or -1 when not about one session. */
  readonly session: number;
  readonly revision: number;
  readonly key?: string;
  readonly message: string;
}

/** WatchGuaranteeResult is the verdict of one guarantee with a few examples. */
export interface WatchGuaranteeResult {
  readonly guarantee: WatchGuarantee;
  readonly verdict: 'ok' | 'violation';
  /** Exact number of violations found. */
  readonly violations: number;
  /** The first `examplesMax` violations. */
  readonly examples: WatchViolation[];
}

/** WatchCheckResult is the watch checker's report. */
export interface WatchCheckResult {
  readonly verdict: 'ok' | 'violation';
  readonly guarantees: WatchGuaranteeResult[];
  readonly watchers: number;
  readonly sessions: number;
  readonly events: number;
  /** Revisions in the reference (revisions some source knows an event for). */
  readonly referenceRevisions: number;
}

/** WatchCheckOptions tune the checker; every field is optional. */
export interface WatchCheckOptions {
  /** Examples kept per guarantee (default 5, at least 0); further ones are only counted. */
  readonly examplesMax?: number;
  /** Whether `watcher` watches `key` (default: every watcher watches every key). */
  readonly watches?: (watcher: number, key: string) => boolean;
}

const EXAMPLES_DEFAULT = 5;

/** ReferenceEvent is what the reference says happened to one key at one revision. */
interface ReferenceEvent {
  readonly key: string;
  readonly type: 'put' | 'delete';
  readonly value: string | null;
  readonly revision: number;
  /** Where it came from, for messages. */
  readonly source: string;
}

/** Reference is every known event, by revision, with the revisions sorted. */
interface Reference {
  readonly byRevision: Map<number, ReferenceEvent[]>;
  readonly revisions: number[];
}

/** Collector counts violations and keeps the first examples of each guarantee. */
class Collector {
  private readonly counts = new Map<WatchGuarantee, number>();
  private readonly examples = new Map<WatchGuarantee, WatchViolation[]>();

  constructor(private readonly examplesMax: number) {
    assert(Number.isSafeInteger(examplesMax) && examplesMax >= 0, 'examplesMax >= 0');
  }

  add(violation: WatchViolation): void {
    this.counts.set(violation.guarantee, (this.counts.get(violation.guarantee) ?? 0) + 1);
    const list = this.examples.get(violation.guarantee) ?? [];
    if (list.length < this.examplesMax) list.push(violation);
    this.examples.set(violation.guarantee, list);
  }

  results(): WatchGuaranteeResult[] {
    return WATCH_GUARANTEES.map((guarantee) => {
      const violations = this.counts.get(guarantee) ?? 0;
      return {
        guarantee, verdict: violations === 0 ? 'ok' : 'violation', violations,
        examples: this.examples.get(guarantee) ?? [],
      };
    });
  }
}

function eventKey(revision: number, key: string): string {
  return `${revision}\u0000${key}`;
}

/** Returns the revision an acknowledged write created, or undefined when unknown. */
function acknowledgedRevision(op: Operation): number | undefined {
  const acknowledged = op.outcome === 'ok' &&
    (op.kind === 'write' || (op.kind === 'cas' && op.succeeded === true));
  if (!acknowledged || op.revision === undefined || op.revision <= 0) return undefined;
  return op.value === undefined ? undefined : op.revision;
}

/** Builds the reference from every session's events and the acknowledged writes. */
function buildReference(history: History, collector: Collector): Reference {
  const byRevision = new Map<number, ReferenceEvent[]>();
  const add = (event: ReferenceEvent): void => {
    const list = byRevision.get(event.revision) ?? [];
    const known = list.find((other) => other.key === event.key);
    if (known === undefined) {
      list.push(event);
      byRevision.set(event.revision, list);
    } else if (known.type !== event.type || known.value !== event.value) {
      collector.add({ guarantee: 'consistent', watcher: -1, session: -1,
        revision: event.revision, key: event.key,
        message: `at revision ${event.revision} ${known.source} saw ${event.key} ` +
          `${known.type} ${String(known.value)}, but ${event.source} saw ${event.type} ` +
          `${String(event.value)}` });
    }
  };
  history.watches.forEach((session, index) => {
    for (const event of session.events) {
      add({ key: event.key, type: event.type, value: event.value,
        revision: event.modRevision, source: `watcher ${session.watcher} (session ${index})` });
    }
  });
  for (const op of history.operations) {
    const revision = acknowledgedRevision(op);
    if (revision === undefined) continue;
    add({ key: op.key, type: 'put', value: op.value ?? null, revision,
      source: `the acknowledged ${op.kind} by client ${op.client}` });
  }
  const revisions = [...byRevision.keys()].sort((a, b) => a - b);
  assert(revisions.every((revision) => Number.isSafeInteger(revision)), 'revisions are ints');
  return { byRevision, revisions };
}

/** Returns the index of the first revision >= `revision` in the sorted list. */
function lowerBound(revisions: readonly number[], revision: number): number {
  let low = 0;
  let high = revisions.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (revisions[middle]! < revision) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** SessionContext is one session with what the per-session checks need. */
interface SessionContext {
  readonly session: WatchSession;
  readonly index: number;
  readonly delivered: Map<string, string | null>;
  readonly reference: Reference;
  readonly matches: (key: string) => boolean;
  readonly collector: Collector;
}

/**
 * Checks a run's watch sessions against every guarantee (see the module comment).
 */
export function checkWatches(
  history: History, options: WatchCheckOptions = {},
): WatchCheckResult {
  const collector = new Collector(options.examplesMax ?? EXAMPLES_DEFAULT);
  const reference = buildReference(history, collector);
  const watches = options.watches ?? ((): boolean => true);
  const watchers = new Map<number, number[]>();
  history.watches.forEach((session, index) => {
    const list = watchers.get(session.watcher) ?? [];
    list.push(index);
    watchers.set(session.watcher, list);
  });
  let events = 0;
  for (const [watcher, indexes] of watchers) {
    const matches = (key: string): boolean => watches(watcher, key);
    checkWatcherStream(history, watcher, indexes, collector);
    for (const index of indexes) {
      const session = history.watches[index]!;
      events += session.events.length;
      const delivered = new Map(session.events.map((event) =>
        [eventKey(event.modRevision, event.key), event.value] as const));
      const context = { session, index, delivered, reference, matches, collector };
      checkAtomicAndReliable(context);
      checkResumable(context);
      checkBookmarkable(context);
    }
  }
  checkAcknowledged(history, watchers, watches, collector);
  const guarantees = collector.results();
  const verdict = guarantees.some((result) => result.verdict === 'violation') ? 'violation'
    : 'ok';
  return { verdict, guarantees, watchers: watchers.size, sessions: history.watches.length,
    events, referenceRevisions: reference.revisions.length };
}

/** Checks `ordered` and `unique` over a watcher's sessions in order. */
function checkWatcherStream(
  history: History, watcher: number, indexes: readonly number[], collector: Collector,
): void {
  let lastRevision = 0;
  const seen = new Set<string>();
  for (const index of indexes) {
    for (const event of history.watches[index]!.events) {
      const where = { watcher, session: index, revision: event.modRevision, key: event.key };
      if (event.modRevision < lastRevision) {
        collector.add({ guarantee: 'ordered', ...where,
          message: `watcher ${watcher} received ${event.key} at revision ${event.modRevision} ` +
            `after an event at revision ${lastRevision}` });
      }
      const id = eventKey(event.modRevision, event.key);
      if (seen.has(id)) {
        collector.add({ guarantee: 'unique', ...where,
          message: `watcher ${watcher} received ${event.key} at revision ${event.modRevision} ` +
            'twice' });
      }
      seen.add(id);
      lastRevision = Math.max(lastRevision, event.modRevision);
    }
  }
}

/** Returns the reference events of `revision` that the session's watcher watches. */
function inRange(context: SessionContext, revision: number): ReferenceEvent[] {
  const events = context.reference.byRevision.get(revision) ?? [];
  return events.filter((event) => context.matches(event.key));
}

/**
 * Checks `atomic` (a revision the session touched is complete) and `reliable` (no
 * revision with in-range events is skipped between the first and last delivered event).
 */
function checkAtomicAndReliable(context: SessionContext): void {
  const { session, index, collector, reference } = context;
  if (session.events.length === 0) return;
  const touched = new Set(session.events.map((event) => event.modRevision));
  // NB: loops, not Math.min(...spread): a long session overflows the call stack.
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const revision of touched) {
    first = Math.min(first, revision);
    last = Math.max(last, revision);
  }
  for (let slot = lowerBound(reference.revisions, first); slot < reference.revisions.length;
    slot++) {
    const revision = reference.revisions[slot]!;
    if (revision > last) break;
    const missing = inRange(context, revision)
      .filter((event) => !context.delivered.has(eventKey(revision, event.key)));
    if (missing.length === 0) continue;
    const guarantee = touched.has(revision) ? 'atomic' : 'reliable';
    const names = missing.map((event) => event.key).join(', ');
    collector.add({ guarantee, watcher: session.watcher, session: index, revision,
      key: missing[0]!.key,
      message: guarantee === 'atomic'
        ? `watcher ${session.watcher} received only part of revision ${revision}: ` +
          `missing ${names}`
        : `watcher ${session.watcher} skipped revision ${revision} (${names}, from ` +
          `${missing[0]!.source}) between revisions ${first} and ${last}` });
  }
}

/** Checks `resumable`: the first event is the first reference event at or after start. */
function checkResumable(context: SessionContext): void {
  const { session, index, collector, reference } = context;
  const firstEvent = session.events[0];
  if (firstEvent === undefined) return;
  for (let slot = lowerBound(reference.revisions, session.startRevision);
    slot < reference.revisions.length; slot++) {
    const revision = reference.revisions[slot]!;
    if (revision >= firstEvent.modRevision) return;
    const expected = inRange(context, revision)[0];
    if (expected === undefined) continue;
    collector.add({ guarantee: 'resumable', watcher: session.watcher, session: index,
      revision, key: expected.key,
      message: `watcher ${session.watcher} resumed from revision ${session.startRevision} ` +
        `but its first event was at revision ${firstEvent.modRevision}, not ${expected.key} ` +
        `at revision ${revision}` });
    return;
  }
}

/** Checks `bookmarkable` (see the module comment for the interleaving we assume). */
function checkBookmarkable(context: SessionContext): void {
  const { session, index, collector, reference } = context;
  let previous = 0;
  let checkedUpTo = session.startRevision - 1;
  for (const progress of session.progressRevisions) {
    if (progress < previous) {
      collector.add({ guarantee: 'bookmarkable', watcher: session.watcher, session: index,
        revision: progress, message: `watcher ${session.watcher} got a progress notification ` +
          `at revision ${progress} after one at ${previous}` });
    }
    previous = Math.max(previous, progress);
    for (let slot = lowerBound(reference.revisions, checkedUpTo + 1);
      slot < reference.revisions.length && reference.revisions[slot]! <= progress; slot++) {
      const revision = reference.revisions[slot]!;
      const missing = inRange(context, revision)
        .find((event) => !context.delivered.has(eventKey(revision, event.key)));
      if (missing === undefined) continue;
      collector.add({ guarantee: 'bookmarkable', watcher: session.watcher, session: index,
        revision, key: missing.key,
        message: `watcher ${session.watcher} got a progress notification at revision ` +
          `${progress} but never received ${missing.key} at revision ${revision}` });
    }
    checkedUpTo = Math.max(checkedUpTo, progress);
  }
}

/** Returns the revisions a session covered: [start, highest event or bookmark revision]. */
function coveredSpan(session: WatchSession): readonly [number, number] {
  let high = 0;
  for (const event of session.events) high = Math.max(high, event.modRevision);
  for (const progress of session.progressRevisions) high = Math.max(high, progress);
  return [session.startRevision, high];
}

/** Checks `acknowledged`: every covering watcher received every acknowledged write. */
function checkAcknowledged(
  history: History, watchers: ReadonlyMap<number, number[]>,
  watches: (watcher: number, key: string) => boolean, collector: Collector,
): void {
  const spans = history.watches.map(coveredSpan);
  const received = new Map<number, Map<string, string | null>>();
  for (const [watcher, indexes] of watchers) {
    const map = new Map<string, string | null>();
    for (const index of indexes) {
      for (const event of history.watches[index]!.events) {
        map.set(eventKey(event.modRevision, event.key), event.value);
      }
    }
    received.set(watcher, map);
  }
  for (const op of history.operations) {
    const revision = acknowledgedRevision(op);
    if (revision === undefined) continue;
    for (const [watcher, indexes] of watchers) {
      const covering = indexes.find((index) =>
        spans[index]![0] <= revision && revision <= spans[index]![1]);
      if (covering === undefined || !watches(watcher, op.key)) continue;
      const value = received.get(watcher)!.get(eventKey(revision, op.key));
      if (value === op.value) continue;
      collector.add({ guarantee: 'acknowledged', watcher, session: covering, revision,
        key: op.key, message: `the ${op.kind} of ${op.value ?? ''} to ${op.key} by client ` +
          `${op.client}, acknowledged at revision ${revision}, ` +
          (value === undefined ? `never reached watcher ${watcher}`
            : `reached watcher ${watcher} as ${String(value)}`) +
          ` although its session ${covering} covered that revision` });
    }
  }
}
