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
import { watchEventsBufferedMax, watchersMax, watchSyncRevisionsMax } from './limits.js';
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
  /** Pending output, in order: runs of events and progress or cancel responses. */
  readonly queue: QueueItem[];
  queuedEvents: number;
}

/**
 * One item of a watcher's queue: a run of events of consecutive revisions, ascending (their
 * revision is their kv.modRevision), consumed from `start`; or a ready-made response.
 *
 * NB: events wait as one flat run per watcher, not as one response object per revision:
 * 1000 watchers behind by 2000 revisions held 2M responses (~230 bytes each), which made a
 * follower's RSS pass 500 MB during `bench kv`'s watch fan-out (issue 5).
 */
type QueueItem =
  | { readonly kind: 'events'; events: WatchEvent[]; start: number }
  | { readonly kind: 'response'; readonly response: WatchResponse };

function response(watcher: Watcher, revision: number, events: WatchEvent[]): WatchResponse {
  return {
    header: { revision }, watchId: watcher.id, created: false, canceled: false,
    compactRevision: 0, cancelReason: '', fragment: false, events,
  };
}

/**
 * EventShapes builds the two forms of one event that watchers receive, each once and only
 * when first needed: without prevKv, and with it. Reading `prevKv` may read a value
 * (store/key-index IndexEvent), so it is done only for a watcher that asked for it, and
 * right away: the event MUST NOT outlive the next apply with an unread prevKv.
 */
class EventShapes {
  private plain: WatchEvent | null = null;
  private full: WatchEvent | null = null;

  constructor(private readonly event: WatchEvent) {}

  /** The event's type. */
  get type(): WatchEvent['type'] {
    return this.event.type;
  }

  /** Returns the event as a watcher with or without prevKv receives it. */
  shaped(prevKv: boolean): WatchEvent {
    const event = this.event;
    if (!prevKv) {
      this.plain ??= { type: event.type, kv: event.kv };
      return this.plain;
    }
    if (this.full === null) {
      const previous = event.prevKv;
      this.full = previous === undefined
        ? this.shaped(false) : { type: event.type, kv: event.kv, prevKv: previous };
    }
    return this.full;
  }
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
  private readonly singleKey = new Map<string, Set<Watcher>>();
  private readonly ranged = new Set<Watcher>();
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
    const matched = new Map<Watcher, WatchEvent[]>();
    for (const event of events) {
      assert(event.kv.modRevision === revision, 'events carry the applied revision');
      const keyText = bytesToBinary(event.kv.key);
      const shapes = new EventShapes(event);
      for (const watcher of this.singleKey.get(keyText) ?? []) {
        this.collect(matched, watcher, shapes);
      }
      for (const watcher of this.ranged) {
        if (inBounds(watcher.bounds, keyText)) {
          this.collect(matched, watcher, shapes);
        }
      }
    }
    const readied: number[] = [];
    // NB: unsynced watchers skip live events (replay reads them from history), and so does a
    // watcher whose replay already went past `revision` or whose start is in the future.
    for (const [watcher, mine] of matched) {
      if (watcher.synced && !watcher.canceled && watcher.nextRevision <= revision) {
        watcher.nextRevision = revision + 1;
        if (this.enqueue(watcher, revision, mine)) {
          readied.push(watcher.id);
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

  private collect(matched: Map<Watcher, WatchEvent[]>, watcher: Watcher,
    shapes: EventShapes): void {
    if ((shapes.type === EventType.PUT && watcher.noPut)
      || (shapes.type === EventType.DELETE && watcher.noDelete)) {
      return;
    }
    const shaped = shapes.shaped(watcher.prevKv);
    const list = matched.get(watcher);
    if (list === undefined) {
      matched.set(watcher, [shaped]);
    } else {
      list.push(shaped);
    }
  }

  /** Queues one revision's events; cancels the watcher at the bound. True if newly ready. */
  private enqueue(watcher: Watcher, revision: number, events: WatchEvent[]): boolean {
    assert(events.length > 0, 'only non-empty revisions are queued');
    const wasIdle = watcher.queue.length === 0;
    if (!wasIdle && watcher.queuedEvents + events.length > watchEventsBufferedMax) {
      this.cancel(watcher, { cancelReason: storeError('STORE_ERR_WATCHER_TOO_SLOW').message });
      return true;
    }
    this.queueEvents(watcher, events);
    assert(revision === events[events.length - 1]!.kv.modRevision, 'events carry the revision');
    this.ready.add(watcher.id);
    return wasIdle;
  }

  /** Appends events (ascending revisions, after every queued one) to the watcher's queue. */
  private queueEvents(watcher: Watcher, events: WatchEvent[]): void {
    const tail = watcher.queue[watcher.queue.length - 1];
    if (tail?.kind === 'events') {
      for (const event of events) tail.events.push(event);
    } else {
      watcher.queue.push({ kind: 'events', events, start: 0 });
    }
    watcher.queuedEvents += events.length;
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
      const matched = new Map<Watcher, WatchEvent[]>();
      for (const event of this.history.eventsAt(revision)) {
        if (inBounds(watcher.bounds, bytesToBinary(event.kv.key))) {
          this.collect(matched, watcher, new EventShapes(event));
        }
      }
      const mine = matched.get(watcher) ?? [];
      watcher.nextRevision = revision + 1;
      if (mine.length > 0) {
        this.queueEvents(watcher, mine);
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
    watcher.queue.push({ kind: 'response', response: {
      ...response(watcher, this.revision, []), canceled: true,
      compactRevision: reason.compactRevision ?? 0, cancelReason: reason.cancelReason,
    } });
    this.index(watcher, false);
    this.ready.add(watcher.id);
  }

  private take(watcher: Watcher, eventsMax: number): WatchResponse[] {
    const out: WatchResponse[] = [];
    let delivered = 0;
    for (let head = watcher.queue[0]; head !== undefined; head = watcher.queue[0]) {
      if (head.kind === 'response') {
        if (out.length > 0 && delivered > eventsMax) break;
        out.push(head.response);
        watcher.queue.shift();
        continue;
      }
      // Whole revisions only, within the budget once something was taken (so the first
      // revision of a drain goes even when it alone exceeds it), as one response.
      const events = head.events;
      let end = head.start;
      while (end < events.length) {
        const revision = events[end]!.kv.modRevision;
        let next = end + 1;
        while (next < events.length && events[next]!.kv.modRevision === revision) next++;
        const taking = out.length > 0 || end > head.start;
        if (taking && delivered + (next - head.start) > eventsMax) break;
        end = next;
      }
      if (end === head.start) break;
      const taken = events.slice(head.start, end);
      delivered += taken.length;
      watcher.queuedEvents -= taken.length;
      out.push(response(watcher, taken[taken.length - 1]!.kv.modRevision, taken));
      if (end === events.length) {
        watcher.queue.shift();
        continue;
      }
      head.start = end;
      if (end > 1024 && end * 2 > events.length) {
        // Drop the delivered prefix now and then, so a watcher that is always behind does
        // not keep every event it was ever sent.
        head.events = events.slice(end);
        head.start = 0;
      }
      break;
    }
    assert(watcher.queuedEvents >= 0, 'queued event count stays non-negative');
    return out;
  }

  private queueProgress(watcher: Watcher): void {
    const last = watcher.queue[watcher.queue.length - 1];
    if (last?.kind === 'response' && last.response.events.length === 0
      && !last.response.canceled) {
      watcher.queue.pop();
    }
    watcher.queue.push({ kind: 'response', response: response(watcher, this.revision, []) });
    this.ready.add(watcher.id);
  }

  private index(watcher: Watcher, add: boolean): void {
    if (!watcher.bounds.single) {
      if (add) {
        this.ranged.add(watcher);
      } else {
        this.ranged.delete(watcher);
      }
      return;
    }
    const key = watcher.bounds.start;
    const set = this.singleKey.get(key) ?? new Set<Watcher>();
    if (add) {
      set.add(watcher);
      this.singleKey.set(key, set);
    } else {
      set.delete(watcher);
      if (set.size === 0) {
        this.singleKey.delete(key);
      }
    }
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
