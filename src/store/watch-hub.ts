/**
 * @module store/watch-hub
 *
 * WatchHub fans the store's watch events out to watchers, synchronously and
 * deterministically, after etcd's watchableStore (synced and unsynced watcher groups).
 *
 * Contract (pull-based; the shell pushes responses to its streams):
 * - The hub MUST see every revision: call `onApplied(events, revision)` after EVERY
 *   `MVCCStore.apply`, in apply order, BEFORE the next apply. It asserts the revisions are
 *   contiguous. It returns the ids of watchers that have something new to drain.
 * - `drain(watchId, eventsMax)` returns the watcher's pending responses in revision order.
 *   Events of one revision are never split across responses (one response may exceed
 *   `eventsMax` when a single revision does); a response never mixes events and cancellation.
 * - A watcher is "unsynced" while it replays history from its start revision; `drain` reads
 *   that history from the store in bounded steps (`watchSyncRevisionsMax` revisions, about
 *   `eventsMax` events) and the watcher turns "synced" once it reaches the store revision.
 *   Synced watchers receive new events from `onApplied`.
 * - Nothing is dropped or reordered: a watcher either gets every matching event after its
 *   start revision in order, or it is cancelled with a reason, after which it gets nothing:
 *   - start revision <= compacted revision (also detected during replay): cancelled with
 *     `compactRevision` set (etcd's compacted WatchResponse; clients re-list). Coracle
 *     cancels at start == compacted too, because compaction drops that revision's
 *     tombstones, so etcd's replay from it could miss deletes.
 *   - pending events would exceed `watchEventsBufferedMax`: cancelled with
 *     STORE_ERR_WATCHER_TOO_SLOW (etcd would park it as a victim; Coracle re-lists instead).
 * - A response's `header.revision` means: every matching event up to this revision has been
 *   delivered to this watcher. Progress responses (no events) carry the hub revision, and
 *   are queued by `requestProgress` or, for watchers created with progressNotify, by
 *   `notifyProgress` (which the shell calls on its own timer, as etcd does every 10 min).
 * - `fragment` is accepted and ignored: responses are never fragmented.
 */
import { assert, assertSafeInteger } from './assert.js';
import { bytesToBinary } from './bytes.js';
import { type Outcome, fail, ok, storeError } from './errors.js';
import type { KeyBounds } from './key-index.js';
import {
  watchEventsBufferedMax, watchersMax, watchResponseBytesMax, watchResponseEventsMax,
  watchSyncRevisionsMax,
} from './limits.js';
import type { WatchableHistory } from './mvcc-store.js';
import { keyBounds } from './range.js';
import {
  EventType, type ResponseHeader, type WatchEvent, WatchFilterType, type WatchFilterTypeValue,
} from './types.js';

/** WatchCreateRequest (etcdserverpb), camelCase. */
export interface WatchCreateRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  /** First revision to deliver; 0 (or absent) means the next one (store revision + 1). */
  readonly startRevision?: number;
  readonly progressNotify?: boolean;
  readonly filters?: readonly WatchFilterTypeValue[];
  readonly prevKv?: boolean;
  /** Requested id; 0 (or absent) picks the next free id, like etcd's AutoWatchID. */
  readonly watchId?: number;
  readonly fragment?: boolean;
}

/** WatchResponse (etcdserverpb), camelCase. */
export interface WatchResponse {
  readonly header: ResponseHeader;
  readonly watchId: number;
  readonly created: boolean;
  readonly canceled: boolean;
  readonly compactRevision: number;
  readonly cancelReason: string;
  readonly fragment: boolean;
  readonly events: WatchEvent[];
}

/** Watcher is the hub's state for one watch. */
interface Watcher {
  readonly id: number;
  readonly bounds: KeyBounds;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly progressNotify: boolean;
  /**
   * The next revision this watcher has not yet seen. Exact while unsynced; once synced it
   * only moves on revisions that matched, and serves to hold back future start revisions.
   */
  nextRevision: number;
  synced: boolean;
  canceled: boolean;
  /** Responses not yet drained, oldest first; consecutive event runs are merged here. */
  readonly queue: Pending[];
  queuedEvents: number;
}

/**
 * A queued response. Events responses of consecutive revisions are merged into one while
 * they wait (up to `watchResponseEventsMax` events and `watchResponseBytesMax` bytes), so a
 * consumer that drains once per apply batch sends one message per watcher, not one per
 * revision; `events` is owned by the queue and appended to in place.
 */
interface Pending {
  revision: number;
  readonly events: WatchEvent[];
  bytes: number;
  readonly cancel?: { readonly compactRevision: number; readonly cancelReason: string };
}

/**
 * Watchers with the same bounds, filters and prevKv choice: they match exactly the same
 * events, so `onApplied` selects and shapes a revision's events once per group, then only
 * appends them to each member's queue.
 */
interface WatchGroup {
  readonly key: string;
  readonly bounds: KeyBounds;
  readonly watchers: Set<Watcher>;
  /** This revision's events for the group while `onApplied` collects them, else null. */
  revisionEvents: WatchEvent[] | null;
}

function groupKey(watcher: Watcher): string {
  return JSON.stringify([watcher.bounds.start, watcher.bounds.end ?? null, watcher.bounds.single,
    watcher.noPut, watcher.noDelete, watcher.prevKv]);
}

/** True if `watcher` (or any member of its group) receives `event`. */
function wants(watcher: Watcher, event: WatchEvent): boolean {
  return !((event.type === EventType.PUT && watcher.noPut)
    || (event.type === EventType.DELETE && watcher.noDelete));
}

/** The event as `watcher` receives it (prevKv only if asked for). */
function shape(watcher: Watcher, event: WatchEvent): WatchEvent {
  return eventForm(event, watcher.prevKv);
}

function response(watcher: Watcher, revision: number, events: WatchEvent[]): WatchResponse {
  return {
    header: { revision }, watchId: watcher.id, created: false, canceled: false,
    compactRevision: 0, cancelReason: '', fragment: false, events,
  };
}

function toResponse(watcher: Watcher, pending: Pending): WatchResponse {
  const plain = response(watcher, pending.revision, pending.events);
  return pending.cancel === undefined ? plain : { ...plain, canceled: true, ...pending.cancel };
}

/** Approximate encoded size of an event (what the merge bound counts). */
function eventBytes(event: WatchEvent): number {
  const kv = event.kv;
  const prev = event.prevKv;
  return 48 + kv.key.length + kv.value.length
    + (prev === undefined ? 0 : 32 + prev.key.length + prev.value.length);
}

/**
 * Where to cut `events` (ascending revisions) to deliver at most `room` of them without
 * splitting a revision: the largest revision boundary <= room; when none fits, the end of
 * the first revision if `atLeastOne`, else 0.
 */
function revisionCut(events: readonly WatchEvent[], room: number, atLeastOne: boolean): number {
  let cut = 0;
  let index = 0;
  while (index < events.length) {
    const revision = events[index]!.kv.modRevision;
    let end = index + 1;
    while (end < events.length && events[end]!.kv.modRevision === revision) end += 1;
    if (end > room && (cut > 0 || !atLeastOne)) break;
    cut = end;
    index = end;
  }
  return cut;
}

/**
 * The two forms of an event watchers receive, each built once per event and shared by every
 * watcher: without prevKv, and with it. A store event's `prevKv` may read a value from disk
 * (store/key-index IndexEvent), so it is read only for watchers that asked for it, and at
 * once: the stored form never refers back to the store, so it may outlive later applies.
 */
const plainForms = new WeakMap<WatchEvent, WatchEvent>();
const fullForms = new WeakMap<WatchEvent, WatchEvent>();
function eventForm(event: WatchEvent, prevKv: boolean): WatchEvent {
  const forms = prevKv ? fullForms : plainForms;
  let form = forms.get(event);
  if (form === undefined) {
    const previous = prevKv ? event.prevKv : undefined;
    form = previous === undefined ? { type: event.type, kv: event.kv }
      : { type: event.type, kv: event.kv, prevKv: previous };
    forms.set(event, form);
  }
  return form;
}

/** Adds `event` to the group's events of this revision, if the group wants it. */
function collect(touched: WatchGroup[], group: WatchGroup, event: WatchEvent): void {
  const sample = group.watchers.values().next().value;
  if (sample === undefined || !wants(sample, event)) return;
  if (group.revisionEvents === null) {
    group.revisionEvents = [];
    touched.push(group);
  }
  group.revisionEvents.push(shape(sample, event));
}

/** One revision's events for a watcher, with their approximate size. */
interface EventRun {
  readonly events: readonly WatchEvent[];
  readonly bytes: number;
}

/** Appends a revision's events to the queue, merging into the last events response. */
function push(watcher: Watcher, revision: number, run: EventRun): void {
  watcher.queuedEvents += run.events.length;
  const tail = watcher.queue[watcher.queue.length - 1];
  if (tail !== undefined && tail.cancel === undefined && tail.events.length > 0
    && tail.events.length + run.events.length <= watchResponseEventsMax
    && tail.bytes + run.bytes <= watchResponseBytesMax) {
    for (const event of run.events) tail.events.push(event);
    tail.revision = revision;
    tail.bytes += run.bytes;
    return;
  }
  watcher.queue.push({ revision, events: [...run.events], bytes: run.bytes });
}

function inBounds(bounds: KeyBounds, keyText: string): boolean {
  if (bounds.single) {
    return keyText === bounds.start;
  }
  return keyText >= bounds.start && (bounds.end === undefined || keyText < bounds.end);
}

/** WatchHub delivers store events to watchers (see the module comment). */
export class WatchHub {
  private readonly watchers = new Map<number, Watcher>();
  /** Every group by its key (see groupKey). */
  private readonly groups = new Map<string, WatchGroup>();
  /** Groups of single-key watchers by key; groups of ranged watchers. */
  private readonly singleKey = new Map<string, Set<WatchGroup>>();
  private readonly ranged = new Set<WatchGroup>();
  private readonly ready = new Set<number>();
  private watchIdNext = 0;
  private revision: number;

  /** Creates a hub over `history`, seeing it at its current revision. */
  constructor(private readonly history: WatchableHistory) {
    this.revision = history.revision;
  }

  /** The store revision the hub has seen (every event up to it is fanned out). */
  get currentRevision(): number {
    return this.revision;
  }

  /** Number of watchers, cancelled ones not yet drained included. */
  get size(): number {
    return this.watchers.size;
  }

  /** Creates a watcher and returns its created response (see the module comment). */
  createWatch(request: WatchCreateRequest): Outcome<WatchResponse> {
    const startRevision = request.startRevision ?? 0;
    assertSafeInteger(startRevision, 'watch start revision');
    const requested = request.watchId ?? 0;
    if (requested !== 0 && this.watchers.has(requested)) {
      return fail('STORE_ERR_DUPLICATE_WATCH_ID');
    }
    if (this.watchers.size >= watchersMax) {
      return fail('STORE_ERR_TOO_MANY_WATCHERS');
    }
    const filters = request.filters ?? [];
    const current = this.history.revision;
    const nextRevision = startRevision > 0 ? startRevision : current + 1;
    const watcher: Watcher = {
      id: requested !== 0 ? requested : this.pickWatchId(),
      bounds: keyBounds(request.key, request.rangeEnd),
      prevKv: request.prevKv === true,
      noPut: filters.includes(WatchFilterType.NOPUT),
      noDelete: filters.includes(WatchFilterType.NODELETE),
      progressNotify: request.progressNotify === true,
      nextRevision, synced: nextRevision > current, canceled: false, queue: [], queuedEvents: 0,
    };
    this.watchers.set(watcher.id, watcher);
    this.index(watcher, true);
    if (!watcher.synced) {
      this.ready.add(watcher.id);
      this.maybeCancelCompacted(watcher);
    }
    return ok({ ...response(watcher, current, []), created: true });
  }

  /** Removes a watcher at once; returns its cancel response, or undefined if unknown. */
  cancelWatch(watchId: number): WatchResponse | undefined {
    const watcher = this.watchers.get(watchId);
    if (watcher === undefined) {
      return undefined;
    }
    this.remove(watcher);
    return { ...response(watcher, this.revision, []), canceled: true };
  }

  /**
   * Fans the events of one applied command out to synced watchers. `revision` is the store
   * revision after the apply; events, when present, all carry it. Returns the ids of the
   * watchers that became ready to drain, ascending.
   */
  onApplied(events: readonly WatchEvent[], revision: number): number[] {
    if (events.length === 0) {
      assert(revision === this.revision, 'an apply without events keeps the revision');
      return [];
    }
    assert(revision === this.revision + 1, 'the hub sees every revision in order');
    this.revision = revision;
    const touched: WatchGroup[] = [];
    for (const event of events) {
      assert(event.kv.modRevision === revision, 'events carry the applied revision');
      const keyText = bytesToBinary(event.kv.key);
      for (const group of this.singleKey.get(keyText) ?? []) collect(touched, group, event);
      for (const group of this.ranged) {
        if (inBounds(group.bounds, keyText)) collect(touched, group, event);
      }
    }
    const readied: number[] = [];
    for (const group of touched) {
      const mine = group.revisionEvents;
      group.revisionEvents = null;
      assert(mine !== null, 'a touched group has events');
      let bytes = 0;
      for (const event of mine) bytes += eventBytes(event);
      // NB: unsynced watchers skip live events (replay reads them from history), and so does
      // a watcher whose replay already went past `revision` or whose start is in the future.
      for (const watcher of group.watchers) {
        if (watcher.synced && !watcher.canceled && watcher.nextRevision <= revision) {
          watcher.nextRevision = revision + 1;
          if (this.enqueue(watcher, revision, { events: mine, bytes })) readied.push(watcher.id);
        }
      }
    }
    return readied.sort((left, right) => left - right);
  }

  /** Returns the ids of watchers with something to drain (or history to replay), ascending. */
  readyWatchIds(): number[] {
    return [...this.ready].sort((left, right) => left - right);
  }

  /**
   * Returns the watcher's pending responses, oldest first, with about `eventsMax` events at
   * most (never splitting a revision). A cancelled watcher is removed once its cancel
   * response is drained. Unknown ids return [].
   */
  drain(watchId: number, options: { eventsMax?: number } = {}): WatchResponse[] {
    const eventsMax = options.eventsMax ?? watchEventsBufferedMax;
    assert(Number.isSafeInteger(eventsMax) && eventsMax > 0, 'eventsMax > 0');
    const watcher = this.watchers.get(watchId);
    if (watcher === undefined) {
      return [];
    }
    const budget = Math.min(eventsMax, watchEventsBufferedMax);
    if (!watcher.synced && !watcher.canceled && watcher.queue.length === 0) {
      this.replay(watcher, budget);
    }
    const out = this.take(watcher, budget);
    if (watcher.canceled && watcher.queue.length === 0) {
      this.remove(watcher);
    } else if (watcher.queue.length === 0 && watcher.synced) {
      this.ready.delete(watcher.id);
    }
    return out;
  }

  /** Queues a progress response for a synced watcher; returns false when it cannot. */
  requestProgress(watchId: number): boolean {
    const watcher = this.watchers.get(watchId);
    if (watcher === undefined || !watcher.synced || watcher.canceled) {
      return false;
    }
    this.queueProgress(watcher);
    return true;
  }

  /** Queues progress for idle synced watchers created with progressNotify; returns ids. */
  notifyProgress(): number[] {
    const notified: number[] = [];
    for (const watcher of this.watchers.values()) {
      if (watcher.progressNotify && watcher.synced && !watcher.canceled
        && watcher.queue.length === 0) {
        this.queueProgress(watcher);
        notified.push(watcher.id);
      }
    }
    return notified.sort((left, right) => left - right);
  }

  /** Queues one revision's events; cancels the watcher at the bound. True if newly ready. */
  private enqueue(watcher: Watcher, revision: number, run: EventRun): boolean {
    assert(run.events.length > 0, 'only non-empty revisions are queued');
    const wasIdle = watcher.queue.length === 0;
    if (!wasIdle && watcher.queuedEvents + run.events.length > watchEventsBufferedMax) {
      this.cancel(watcher, { cancelReason: storeError('STORE_ERR_WATCHER_TOO_SLOW').message });
      return true;
    }
    push(watcher, revision, run);
    if (wasIdle) this.ready.add(watcher.id);
    return wasIdle;
  }

  /** Replays history for an unsynced watcher, in bounded steps. */
  private replay(watcher: Watcher, eventsMax: number): void {
    if (this.maybeCancelCompacted(watcher)) {
      return;
    }
    const last = this.history.revision;
    let collected = 0;
    for (let scanned = 0; scanned < watchSyncRevisionsMax && collected < eventsMax; scanned++) {
      if (watcher.nextRevision > last) {
        break;
      }
      const revision = watcher.nextRevision;
      const mine: WatchEvent[] = [];
      let bytes = 0;
      for (const event of this.history.eventsAt(revision)) {
        if (inBounds(watcher.bounds, bytesToBinary(event.kv.key)) && wants(watcher, event)) {
          const shaped = shape(watcher, event);
          mine.push(shaped);
          bytes += eventBytes(shaped);
        }
      }
      watcher.nextRevision = revision + 1;
      if (mine.length > 0) {
        push(watcher, revision, { events: mine, bytes });
        collected += mine.length;
      }
    }
    watcher.synced = watcher.nextRevision > last;
    assert(watcher.synced || watcher.nextRevision <= last, 'replay stays within history');
  }

  private maybeCancelCompacted(watcher: Watcher): boolean {
    const compactRevision = this.history.compactRevision;
    if (watcher.nextRevision > compactRevision) {
      return false;
    }
    this.cancel(watcher, {
      compactRevision, cancelReason: storeError('STORE_ERR_COMPACTED').message,
    });
    return true;
  }

  private cancel(
    watcher: Watcher, reason: { compactRevision?: number; cancelReason: string },
  ): void {
    assert(!watcher.canceled, 'a watcher is cancelled once');
    watcher.canceled = true;
    watcher.queue.length = 0;
    watcher.queuedEvents = 0;
    watcher.queue.push({
      revision: this.revision, events: [], bytes: 0,
      cancel: { compactRevision: reason.compactRevision ?? 0, cancelReason: reason.cancelReason },
    });
    this.index(watcher, false);
    this.ready.add(watcher.id);
  }

  private take(watcher: Watcher, eventsMax: number): WatchResponse[] {
    const out: WatchResponse[] = [];
    let delivered = 0;
    for (let head = watcher.queue[0]; head !== undefined; head = watcher.queue[0]) {
      const room = eventsMax - delivered;
      if (head.events.length > room) {
        // A merged run that does not fit is cut at a revision boundary (never inside one).
        const cut = revisionCut(head.events, room, out.length === 0);
        if (cut === 0) break;
        if (cut < head.events.length) {
          const part = head.events.splice(0, cut);
          for (const event of part) head.bytes -= eventBytes(event);
          const last = part[part.length - 1]!;
          out.push(response(watcher, last.kv.modRevision, part));
          delivered += cut;
          break;
        }
      }
      watcher.queue.shift();
      delivered += head.events.length;
      out.push(toResponse(watcher, head));
    }
    watcher.queuedEvents -= delivered;
    assert(watcher.queuedEvents >= 0, 'queued event count stays non-negative');
    return out;
  }

  private queueProgress(watcher: Watcher): void {
    const last = watcher.queue[watcher.queue.length - 1];
    if (last !== undefined && last.events.length === 0 && last.cancel === undefined) {
      watcher.queue.pop();
    }
    watcher.queue.push({ revision: this.revision, events: [], bytes: 0 });
    this.ready.add(watcher.id);
  }

  private index(watcher: Watcher, add: boolean): void {
    const key = groupKey(watcher);
    let group = this.groups.get(key);
    if (group === undefined) {
      if (!add) return;
      group = { key, bounds: watcher.bounds, watchers: new Set(), revisionEvents: null };
      this.groups.set(key, group);
      if (watcher.bounds.single) {
        const set = this.singleKey.get(watcher.bounds.start) ?? new Set<WatchGroup>();
        set.add(group);
        this.singleKey.set(watcher.bounds.start, set);
      } else {
        this.ranged.add(group);
      }
    }
    if (add) {
      group.watchers.add(watcher);
      return;
    }
    group.watchers.delete(watcher);
    if (group.watchers.size > 0) return;
    this.groups.delete(key);
    if (!watcher.bounds.single) {
      this.ranged.delete(group);
      return;
    }
    const set = this.singleKey.get(watcher.bounds.start);
    set?.delete(group);
    if (set?.size === 0) this.singleKey.delete(watcher.bounds.start);
  }

  private remove(watcher: Watcher): void {
    if (!watcher.canceled) {
      this.index(watcher, false);
    }
    this.watchers.delete(watcher.id);
    this.ready.delete(watcher.id);
    assert(!this.watchers.has(watcher.id), 'removed watcher is gone');
  }

  private pickWatchId(): number {
    while (this.watchers.has(this.watchIdNext)) {
      this.watchIdNext += 1;
    }
    const id = this.watchIdNext;
    this.watchIdNext += 1;
    return id;
  }
}
