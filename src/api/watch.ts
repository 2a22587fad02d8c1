/**
 * @module api/watch
 * WATCH over HTTP (kubectl-api.md §5): a chunked stream of one JSON event per line, fed by
 * a store watch on THIS peer (no leader round trip). Semantics of API concepts "Efficient
 * detection of changes":
 * - resourceVersion N: every change after N, in revision order; 410 Expired (as an ERROR
 *   event) when N is compacted.
 * - resourceVersion "0" or unset: synthetic ADDED events for the current state first ("0"
 *   from this peer's state, unset from a linearizable read), then every change after it.
 * - Selectors are applied to the old and new object of each change, so an object that stops
 *   matching is reported DELETED and one that starts matching ADDED, as the watch cache does.
 * - `allowWatchBookmarks`: a BOOKMARK with the revision seen so far at a fixed interval.
 * - `timeoutSeconds` ends the stream cleanly; without it, a random 30–60 minutes (upstream's
 *   minRequestTimeout rule), so long-lived watchers rebalance over peers.
 * - Backpressure: while the socket is congested the store keeps the watcher's events in its
 *   bounded queue; a watcher that overflows it is closed with a 410 ERROR so it re-lists
 *   (never buffered without bound).
 */
import type { ServerResponse } from 'node:http';
import type { KubeObject, ResourceDefinition } from '../resources/types.js';
import type { WatchSubscription } from '../server/etcd-api/backend.js';
import type { WatchResponse } from '../store/watch-hub.js';
import { EventType, type WatchEvent } from '../store/types.js';
import { matchEverything } from './filters.js';
import { ensureReached } from './list.js';
import {
  decodeObject, type ObjectStore, prefixEnd, StoredObject, toAPIError,
} from './object-store.js';
import { partialMetadata, tableContentType, toTable } from './table.js';
import type { ResponseShape } from './request.js';
import type { APIError} from './status.js';
import { newResourceExpired, newTooManyRequests } from './status.js';
import { apiVersionOf } from './registry-index.js';

const encoder = new TextEncoder();

/** Default interval between bookmarks, in ms (upstream sends one about every minute). */
export const bookmarkIntervalMsDefault = 60_000;

/** WatchRequest is a parsed WATCH. */
export interface WatchRequest {
  readonly definition: ResourceDefinition;
  readonly prefix: string;
  /** undefined: unset; 0: "0"; N: after N. */
  readonly resourceVersion: number | undefined;
  readonly filter: (object: KubeObject) => boolean;
  readonly shape: ResponseShape;
  readonly bookmarks: boolean;
  /**
   * `sendInitialEvents=true` (the WatchList protocol, KEP-3157): the state at a revision not
   * older than resourceVersion as ADDED events, then a BOOKMARK annotated
   * `k8s.io/initial-events-end`, then the changes.
   */
  readonly sendInitialEvents: boolean;
  /** Converts each stored object to the served version (a kind served in two versions). */
  readonly convert?: (object: KubeObject) => KubeObject;
  readonly timeoutMs: number;
  readonly bookmarkIntervalMs: number;
  readonly now: () => Date;
}

type EventTypeName = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** WatchStream writes the events of one watch to one HTTP response. */
class WatchStream {
  private subscription: WatchSubscription | null = null;
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly response: ServerResponse, private readonly request: WatchRequest) {}

  start(): void {
    const contentType = this.request.shape === 'table' ? tableContentType : 'application/json';
    this.response.writeHead(200, {
      'Content-Type': contentType, 'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    this.response.flushHeaders();
    this.response.on('close', () => this.close());
    this.timers.push(setTimeout(() => this.close(), this.request.timeoutMs));
    if (this.request.bookmarks) {
      this.timers.push(setInterval(() => this.subscription?.requestProgress(),
        this.request.bookmarkIntervalMs));
    }
  }

  /** Sends one event line; returns false when the socket is congested. */
  send(type: EventTypeName, object: unknown): boolean {
    if (this.closed) return true;
    return this.response.write(encoder.encode(JSON.stringify({ type, object }) + '\n'));
  }

  sendObject(type: EventTypeName, object: KubeObject): boolean {
    const served = this.request.convert === undefined ? object : this.request.convert(object);
    return this.send(type, this.shaped(served));
  }

  shaped(object: KubeObject): unknown {
    if (this.request.shape === 'table') {
      return toTable(this.request.definition, [object], {
        now: this.request.now(), include: 'Metadata',
        listMetadata: { resourceVersion: object.metadata.resourceVersion ?? '' },
      });
    }
    if (this.request.shape === 'metadata') return partialMetadata(object);
    return object;
  }

  fail(error: APIError): void {
    this.send('ERROR', error.toStatus());
    this.close();
  }

  attach(subscription: WatchSubscription): void {
    this.subscription = subscription;
    if (this.closed) {
      subscription.cancel();
      return;
    }
    this.response.on('drain', () => subscription.resume?.());
    subscription.start((responses) => this.deliver(responses));
  }

  private deliver(responses: WatchResponse[]): boolean {
    let writable = true;
    for (const response of responses) {
      if (response.canceled) {
        this.fail(newResourceExpired(`watch closed: ${response.cancelReason || 'too slow'}; ` +
          'list again and watch from the new resourceVersion'));
        return false;
      }
      if (response.events.length === 0 && !response.created) {
        if (this.request.bookmarks) writable = this.bookmark(response.header.revision);
        continue;
      }
      if (this.raw) {
        writable = this.sendRaw(response.events);
        continue;
      }
      for (const event of response.events) {
        const converted = convertEvent(event, this.request.filter);
        if (converted !== undefined) writable = this.sendObject(converted.type, converted.object);
      }
    }
    return writable;
  }

  /** True when events can be sent from the stored bytes: plain JSON, no selector. */
  private get raw(): boolean {
    return this.request.shape === 'object' && this.request.filter === matchEverything &&
      this.request.convert === undefined;
  }

  /** Sends the events of one response as one write, spliced from the stored bytes. */
  private sendRaw(events: readonly WatchEvent[]): boolean {
    if (this.closed) return true;
    const chunks: Uint8Array[] = [];
    for (const event of events) chunks.push(...rawEventLine(event));
    return chunks.length === 0 || this.response.write(Buffer.concat(chunks));
  }

  bookmark(revision: number, initialEventsEnd = false): boolean {
    const definition = this.request.definition;
    return this.send('BOOKMARK', {
      kind: definition.kind, apiVersion: apiVersionOf(definition),
      metadata: { resourceVersion: String(revision),
        ...(initialEventsEnd ? { annotations: { 'k8s.io/initial-events-end': 'true' } } : {}) },
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.subscription?.cancel();
    if (!this.response.writableEnded) this.response.end();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

const addedPrefix = encoder.encode('{"type":"ADDED","object":');
const modifiedPrefix = encoder.encode('{"type":"MODIFIED","object":');
const deletedPrefix = encoder.encode('{"type":"DELETED","object":');
const lineEnd = encoder.encode('}\n');

/**
 * The watch event line of a store event for a watcher without selectors, spliced from the
 * stored bytes (see StoredObject.json): ADDED for a key's first version, MODIFIED after,
 * DELETED with the last state and the delete's revision; [] for a delete with no state.
 */
export function rawEventLine(event: WatchEvent): Uint8Array[] {
  if (event.type === EventType.DELETE) {
    if (event.prevKv === undefined) return [];
    const last = new StoredObject({ ...event.prevKv, modRevision: event.kv.modRevision });
    return [deletedPrefix, ...last.json(), lineEnd];
  }
  const prefix = event.prevKv === undefined ? addedPrefix : modifiedPrefix;
  return [prefix, ...new StoredObject(event.kv).json(), lineEnd];
}

/**
 * Turns one store event into a Kubernetes watch event, applying the selector to the old and
 * new states (see the module comment); undefined when the watcher must not see it.
 */
export function convertEvent(event: WatchEvent, filter: (object: KubeObject) => boolean):
  { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject } | undefined {
  const previous = event.prevKv === undefined ? undefined : decodeObject(event.prevKv).object;
  if (event.type === EventType.DELETE) {
    if (previous === undefined || !filter(previous)) return undefined;
    previous.metadata.resourceVersion = String(event.kv.modRevision);
    return { type: 'DELETED', object: previous };
  }
  const current = decodeObject(event.kv).object;
  const matches = filter(current);
  const matched = previous !== undefined && filter(previous);
  if (matches) return { type: matched ? 'MODIFIED' : 'ADDED', object: current };
  if (matched) {
    previous.metadata.resourceVersion = String(event.kv.modRevision);
    return { type: 'DELETED', object: previous };
  }
  return undefined;
}

async function initialState(store: ObjectStore, request: WatchRequest,
  onObject: (object: KubeObject) => void): Promise<number> {
  const consistency = request.resourceVersion === undefined ? 'linearizable' : 'local';
  if (request.resourceVersion !== undefined && request.resourceVersion > 0) {
    // NotOlderThan: this peer catches up to the revision first (504 when it is ahead).
    await ensureReached(store, request.resourceVersion);
  }
  let startKey: string | undefined;
  let revision = 0;
  for (let page = 0; page < 1_000; page++) {
    const result = await store.list(request.prefix, {
      ...(startKey === undefined ? {} : { startKey }), limit: 1000, revision,
      consistency: page === 0 ? consistency : 'local',
    });
    revision = result.revision;
    for (const item of result.items) {
      if (request.filter(item.object)) onObject(item.object);
    }
    if (!result.more || result.lastKey === undefined) return revision;
    startKey = result.lastKey + '\0';
  }
  return revision;
}

/** Serves a WATCH on `response` until the timeout, the client leaving, or an error. */
export async function serveWatch(store: ObjectStore, response: ServerResponse,
  request: WatchRequest): Promise<void> {
  const stream = new WatchStream(response, request);
  let after: number;
  if (request.resourceVersion === undefined || request.resourceVersion === 0 ||
    request.sendInitialEvents) {
    // Read first, so a read failure (no quorum) is a plain Status, not a broken stream.
    const pending: KubeObject[] = [];
    after = await initialState(store, request, (object) => pending.push(object));
    stream.start();
    for (const object of pending) stream.sendObject('ADDED', object);
    if (request.sendInitialEvents) stream.bookmark(after, true);
  } else {
    after = request.resourceVersion;
    stream.start();
  }
  if (stream.isClosed) return;
  let subscription: WatchSubscription;
  try {
    subscription = store.backend.watch({
      key: encoder.encode(request.prefix), rangeEnd: encoder.encode(prefixEnd(request.prefix)),
      startRevision: after + 1, prevKv: true,
    });
  } catch (error) {
    stream.fail(toAPIError(error));
    return;
  }
  const created = subscription.created;
  if (created.canceled) {
    stream.fail(created.compactRevision > 0
      ? newResourceExpired(`too old resource version: ${after} (${created.compactRevision})`)
      : newTooManyRequests(`watch refused: ${created.cancelReason}`, 1));
    return;
  }
  stream.attach(subscription);
}
