/**
 * @module server/watch-subscriptions
 * Connects watch consumers (gRPC Watch streams, later the Kubernetes API's watches) to the
 * store's WatchHub: creates watchers, drains ready ones into their consumers in order, and
 * honours consumer backpressure so events wait in the hub's bounded queues, never in an
 * unbounded buffer here.
 */
import type { WatchCreateRequest, WatchHub, WatchResponse } from '../store/watch-hub.js';
import type { WatchSubscription } from './etcd-api/backend.js';

/** Events drained per watcher per pump turn; replays continue on the next turn. */
export const watchDrainEventsMax = 1000;

type Consumer = (responses: WatchResponse[]) => boolean | void;

interface Slot {
  consumer: Consumer | null;
  canAccept: (() => boolean) | null;
  paused: boolean;
}

/** WatchSubscriptions owns every consumer of one hub. */
export class WatchSubscriptions {
  private readonly slots = new Map<number, Slot>();
  private readonly ready = new Set<number>();
  private pumpScheduled = false;

  /** Creates the registry over `hub`. */
  constructor(private hub: WatchHub) {}

  /** Number of open subscriptions. */
  get size(): number {
    return this.slots.size;
  }

  /** Creates a watcher; a refused watch returns a created-and-canceled response. */
  create(request: WatchCreateRequest): WatchSubscription {
    const created = this.hub.createWatch(request);
    if (!created.ok) {
      const refused: WatchResponse = {
        header: { revision: this.hub.currentRevision }, watchId: request.watchId ?? -1,
        created: true, canceled: true, compactRevision: 0,
        cancelReason: created.error.message, fragment: false, events: [],
      };
      return { created: refused, start: () => undefined, requestProgress: () => undefined,
        cancel: () => undefined };
    }
    const response = created.response;
    const id = response.watchId;
    if (response.canceled) {
      this.hub.drain(id);
      return { created: response, start: () => undefined, requestProgress: () => undefined,
        cancel: () => undefined };
    }
    const slot: Slot = { consumer: null, canAccept: null, paused: false };
    this.slots.set(id, slot);
    return {
      created: response,
      start: (consumer, canAccept) => {
        slot.consumer = consumer;
        slot.canAccept = canAccept ?? null;
        this.ready.add(id);
        this.schedulePump();
      },
      requestProgress: () => {
        if (this.hub.requestProgress(id)) this.noteReady([id]);
      },
      resume: () => {
        slot.paused = false;
        this.ready.add(id);
        this.schedulePump();
      },
      cancel: () => {
        this.slots.delete(id);
        this.ready.delete(id);
        this.hub.cancelWatch(id);
      },
    };
  }

  /** Marks watchers that the hub reported ready. */
  noteReady(ids: readonly number[]): void {
    for (const id of ids) this.ready.add(id);
    if (ids.length > 0) this.schedulePump();
  }

  /** Drains every ready, unpaused watcher into its consumer (bounded work per watcher). */
  pump(): void {
    const ids = [...this.ready];
    this.ready.clear();
    for (const id of ids) {
      const slot = this.slots.get(id);
      if (slot === undefined) continue;
      if (slot.consumer === null || slot.paused) continue;
      if (slot.canAccept !== null && !slot.canAccept()) {
        // The consumer is congested: leave the events in the hub's bounded queue.
        slot.paused = true;
        continue;
      }
      const responses = this.hub.drain(id, { eventsMax: watchDrainEventsMax });
      if (responses.length > 0 && slot.consumer(responses) === false) slot.paused = true;
      if (responses.some((response) => response.canceled)) this.slots.delete(id);
    }
    // Replays of unsynced watchers (and bigger backlogs) continue on a later turn so one
    // watcher's history never starves the Raft loop.
    for (const id of this.hub.readyWatchIds()) {
      if (this.slots.get(id)?.paused === false) this.ready.add(id);
    }
    if (this.ready.size > 0) this.schedulePump();
  }

  /** Cancels every subscription with `reason` (for example after a snapshot restore). */
  cancelAll(reason: string): void {
    for (const [id, slot] of this.slots) {
      slot.consumer?.([{
        header: { revision: this.hub.currentRevision }, watchId: id, created: false, canceled: true,
        compactRevision: 0, cancelReason: reason, fragment: false, events: [],
      }]);
      this.hub.cancelWatch(id);
    }
    this.slots.clear();
    this.ready.clear();
  }

  /** Points the registry at a new hub (after cancelAll). */
  replaceHub(hub: WatchHub): void {
    this.hub = hub;
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }
}
