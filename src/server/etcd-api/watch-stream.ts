/**
 * @module server/etcd-api/watch-stream
 * One etcd Watch stream (a bidirectional gRPC call carrying many watchers), after etcd's
 * v3rpc/watch.go serverWatchStream.
 *
 * Semantics (etcd v3.5):
 * - Watch ids belong to the stream: a create with watch_id 0 gets the next free id counting
 *   from 0; a requested id already in use is answered with a created+canceled response whose
 *   watch_id is -1 (clientv3.InvalidWatchID) and cancel_reason "mvcc: duplicate watch ID
 *   provided". A negative start revision is answered the same way with etcd's compacted
 *   message. The backend's own watcher ids never reach the client.
 * - A cancel request for a live id is answered with canceled=true; an unknown id is ignored.
 * - A progress request asks every watcher for progress; once each has answered, ONE response
 *   with watch_id -1 is sent whose header revision is the smallest revision they reported,
 *   so every later event on the stream is above it (etcd 3.5 RequestProgressAll). A watcher
 *   still replaying history does not answer (etcd 3.5.8+ sends nothing then either). With no
 *   watchers the current store revision is reported.
 * - When the stream ends, is cancelled or fails, all its watchers are cancelled.
 *
 * Flow control and bounds (STYLE §6):
 *   backend --onResponses--> [write to gRPC] --write() false--> [queue] --'drain'--> gRPC
 * While gRPC does not take more (the client does not read), responses wait in `queue`, and
 * `onResponses` returns false so the backend stops delivering (events then wait in the
 * store's bounded per-watcher queue, which cancels a watcher that overflows it). On 'drain'
 * the queue is flushed and paused watchers are resumed. If the queue still grows past
 * `streamEventsBufferedMax` events or `streamResponsesBufferedMax` responses (a backend that
 * ignores backpressure), the watchers with the most queued events are cancelled with
 * ETCD_ERR_WATCH_STREAM_TOO_SLOW; their queued responses are replaced by the cancel response.
 * If answers to the client's own requests alone fill `streamResponsesBufferedMax`, the stream
 * stops reading requests until the queue has drained (etcd blocks on its bounded ctrlStream).
 */
import type { StreamingCall } from '../../grpc/calls.js';
import type { WatchCreateRequest, WatchResponse } from '../../store/watch-hub.js';
import { storeError } from '../../store/errors.js';
import type { WatchSubscription } from './backend.js';
import type { WatchStreamRequest } from './decode.js';
import { EtcdError, etcdError, toEtcdError } from './errors.js';
import {
  type ActiveStream, type ServiceContext, endStreamWithError, logFailure, responseHeader,
} from './handler.js';
import { streamEventsBufferedMax, streamResponsesBufferedMax, streamWatchersMax } from './limits.js';

/** clientv3.InvalidWatchID: the watch_id of failed creates and of stream-wide progress. */
export const invalidWatchId = -1;

/** One watcher of this stream. */
interface StreamWatcher {
  readonly streamId: number;
  readonly subscription: WatchSubscription;
  /** Events of this watcher waiting in the stream's queue. */
  queuedEvents: number;
  /** True after `onResponses` returned false, until `resume()` is called. */
  paused: boolean;
}

/** One response waiting for gRPC. */
interface Outgoing {
  readonly response: object;
  readonly watcher: StreamWatcher | undefined;
  readonly events: number;
}

/** Progress request in flight: the watchers yet to answer and the smallest revision so far. */
interface ProgressRound {
  readonly pending: Set<number>;
  revision: number;
}

/** The fields every WatchResponse the stream sends has besides the header. */
const emptyWatchResponse = {
  watchId: 0, created: false, canceled: false, compactRevision: 0, cancelReason: '',
  fragment: false, events: [],
};

/** WatchStream serves one Watch call (see the module comment). */
export class WatchStream implements ActiveStream {
  private readonly watchers = new Map<number, StreamWatcher>();
  private readonly queue: Outgoing[] = [];
  private queuedEvents = 0;
  private writable = true;
  private closed = false;
  private readingPaused = false;
  private watchIdNext = 0;
  private revisionSeen = 0;
  private progress: ProgressRound | undefined;

  /** Starts serving `call`; the stream registers itself in `context.streams` until it ends. */
  constructor(
    private readonly context: ServiceContext,
    private readonly call: StreamingCall,
  ) {
    context.streams.add(this);
    call.on('data', (request: WatchStreamRequest | EtcdError) => this.handleRequest(request));
    call.on('drain', () => this.flush());
    call.on('end', () => {
      this.teardown();
      this.call.end();
    });
    for (const event of ['cancelled', 'close', 'error', 'finish'] as const) {
      call.on(event, () => this.teardown());
    }
  }

  /** Number of watchers on the stream. */
  get watcherCount(): number {
    return this.watchers.size;
  }

  /** Ends the stream with `error` (server shutdown), cancelling every watcher. */
  stop(error: EtcdError): void {
    if (!this.closed) {
      this.teardown();
      endStreamWithError(this.call, error);
    }
  }

  private handleRequest(request: WatchStreamRequest | EtcdError): void {
    if (this.closed) {
      return;
    }
    if (request instanceof EtcdError) {
      logFailure(this.context.logger, 'Watch', request);
      this.stop(request);
      return;
    }
    try {
      switch (request.kind) {
        case 'create': this.create(request.request); break;
        case 'cancel': this.cancel(request.watchId); break;
        case 'progress': this.requestProgress(); break;
        case 'empty': break;
      }
    } catch (error) {
      const failure = toEtcdError(error);
      logFailure(this.context.logger, 'Watch', failure);
      this.stop(failure);
    }
  }

  private create(request: WatchCreateRequest): void {
    const requested = request.watchId ?? 0;
    const refusal = (request.startRevision ?? 0) < 0 ? storeError('STORE_ERR_COMPACTED').message
      : requested !== 0 && this.watchers.has(requested)
        ? storeError('STORE_ERR_DUPLICATE_WATCH_ID').message
        : this.watchers.size >= streamWatchersMax
          ? etcdError('ETCD_ERR_TOO_MANY_STREAM_WATCHERS').message : undefined;
    if (refusal !== undefined) {
      this.refuse(refusal, this.revisionSeen);
      return;
    }
    const subscription = this.context.backend.watch({ ...request, watchId: 0 });
    const created = subscription.created;
    this.noteRevision(created.header.revision);
    if (created.canceled && created.compactRevision === 0) {
      this.refuse(created.cancelReason, created.header.revision);
      return;
    }
    const streamId = requested !== 0 ? requested : this.pickWatchId();
    this.send({ response: this.translate(created, streamId), watcher: undefined, events: 0 });
    if (created.canceled) {
      // NB: etcd reports a compacted start revision as a created watcher that is then
      // cancelled with compact_revision set; a backend may fold both into `created`.
      this.send({ response: { ...this.translate(created, streamId), created: false },
        watcher: undefined, events: 0 });
      return;
    }
    const watcher: StreamWatcher = { streamId, subscription, queuedEvents: 0, paused: false };
    this.watchers.set(streamId, watcher);
    subscription.start((responses) => this.deliver(watcher, responses), () => {
      if (this.writable && this.queue.length === 0) return true;
      watcher.paused = true;
      return false;
    });
  }

  /** Answers a create that failed: created and canceled at once, watch_id -1 (etcd). */
  private refuse(cancelReason: string, revision: number): void {
    this.send({
      response: {
        ...emptyWatchResponse, header: responseHeader(this.context.backend, revision),
        watchId: invalidWatchId, created: true, canceled: true, cancelReason,
      },
      watcher: undefined, events: 0,
    });
  }

  private cancel(streamId: number): void {
    const watcher = this.watchers.get(streamId);
    if (watcher === undefined) {
      return;
    }
    this.forget(watcher);
    watcher.subscription.cancel();
    this.send({
      response: {
        ...emptyWatchResponse, header: responseHeader(this.context.backend, this.revisionSeen),
        watchId: streamId, canceled: true,
      },
      watcher: undefined, events: 0,
    });
  }

  private requestProgress(): void {
    if (this.watchers.size === 0) {
      this.progress = undefined;
      this.context.backend.status().then(
        (status) => this.sendProgress(status.revision),
        (error: unknown) => logFailure(this.context.logger, 'Watch', toEtcdError(error)),
      );
      return;
    }
    this.progress = { pending: new Set(this.watchers.keys()), revision: Number.MAX_SAFE_INTEGER };
    for (const watcher of [...this.watchers.values()]) {
      watcher.subscription.requestProgress();
    }
  }

  private sendProgress(revision: number): void {
    if (!this.closed) {
      this.send({
        response: {
          ...emptyWatchResponse, header: responseHeader(this.context.backend, revision),
          watchId: invalidWatchId,
        },
        watcher: undefined, events: 0,
      });
    }
  }

  /** Takes one watcher's responses from the backend; false asks the backend to pause. */
  private deliver(watcher: StreamWatcher, responses: WatchResponse[]): boolean {
    if (this.closed || this.watchers.get(watcher.streamId) !== watcher) {
      return true;
    }
    for (const response of responses) {
      this.noteRevision(response.header.revision);
      if (this.maybeAnswerProgress(watcher, response)) {
        continue;
      }
      if (response.canceled) {
        this.forget(watcher);
      }
      this.send({
        response: this.translate(response, watcher.streamId), watcher,
        events: response.events.length,
      });
    }
    if (!this.writable) {
      watcher.paused = true;
    }
    return this.writable;
  }

  /** Swallows a watcher's answer to the progress round; true if it was one. */
  private maybeAnswerProgress(watcher: StreamWatcher, response: WatchResponse): boolean {
    const round = this.progress;
    if (round === undefined || !round.pending.has(watcher.streamId)) {
      return false;
    }
    if (response.events.length > 0 || response.canceled || response.created) {
      return false;
    }
    round.pending.delete(watcher.streamId);
    round.revision = Math.min(round.revision, response.header.revision);
    this.maybeFinishProgress();
    return true;
  }

  /** Sends the stream-wide progress response once every watcher of the round answered. */
  private maybeFinishProgress(): void {
    const round = this.progress;
    if (round === undefined || round.pending.size > 0) {
      return;
    }
    this.progress = undefined;
    if (round.revision !== Number.MAX_SAFE_INTEGER) {
      this.sendProgress(round.revision);
    }
  }

  private translate(response: WatchResponse, streamId: number): object {
    return {
      header: responseHeader(this.context.backend, response.header.revision),
      watchId: streamId, created: response.created, canceled: response.canceled,
      compactRevision: response.compactRevision, cancelReason: response.cancelReason,
      fragment: false, events: response.events,
    };
  }

  /** Writes a response, or queues it while gRPC is full; enforces the queue bounds. */
  private send(outgoing: Outgoing): void {
    if (this.closed) {
      return;
    }
    if (this.writable && this.queue.length === 0) {
      this.writable = this.call.write(outgoing.response);
      if (!this.writable) {
        this.context.logger.debug({ watchers: this.watchers.size },
          'watch stream full: pausing its watchers until the client reads');
      }
      return;
    }
    this.queue.push(outgoing);
    this.queuedEvents += outgoing.events;
    if (outgoing.watcher !== undefined) {
      outgoing.watcher.queuedEvents += outgoing.events;
    }
    this.maybeCancelSlow();
    if (this.queue.length >= streamResponsesBufferedMax && !this.readingPaused) {
      // NB: what is left are answers to the client's own requests (creates, cancels); stop
      // reading them until it reads ours, as etcd's bounded ctrlStream blocks its recvLoop.
      this.readingPaused = true;
      this.call.pause();
    }
  }

  /** Writes queued responses after 'drain'; resumes paused watchers once the queue is empty. */
  private flush(): void {
    this.writable = true;
    while (this.writable && !this.closed) {
      const next = this.queue.shift();
      if (next === undefined) {
        break;
      }
      this.queuedEvents -= next.events;
      if (next.watcher !== undefined) {
        next.watcher.queuedEvents -= next.events;
      }
      this.writable = this.call.write(next.response);
    }
    if (this.writable && this.queue.length === 0) {
      if (this.readingPaused) {
        this.readingPaused = false;
        this.call.resume();
      }
      for (const watcher of [...this.watchers.values()]) {
        if (watcher.paused) {
          watcher.paused = false;
          watcher.subscription.resume?.();
        }
      }
    }
  }

  /** Cancels the watchers with the largest backlog while the queue exceeds its bounds. */
  private maybeCancelSlow(): void {
    while (this.queuedEvents > streamEventsBufferedMax
      || this.queue.length > streamResponsesBufferedMax) {
      let slowest: StreamWatcher | undefined;
      for (const watcher of this.watchers.values()) {
        if (slowest === undefined || watcher.queuedEvents > slowest.queuedEvents) {
          slowest = watcher;
        }
      }
      if (slowest === undefined || slowest.queuedEvents === 0) {
        return;
      }
      this.cancelSlow(slowest);
    }
  }

  private cancelSlow(watcher: StreamWatcher): void {
    this.context.logger.warn(
      { watchId: watcher.streamId, queuedEvents: watcher.queuedEvents },
      'cancelling a watcher whose watch stream is not read fast enough',
    );
    this.forget(watcher);
    watcher.subscription.cancel();
    let kept = 0;
    for (const outgoing of this.queue) {
      if (outgoing.watcher === watcher) {
        this.queuedEvents -= outgoing.events;
      } else {
        this.queue[kept] = outgoing;
        kept += 1;
      }
    }
    this.queue.length = kept;
    watcher.queuedEvents = 0;
    this.queue.push({
      response: {
        ...emptyWatchResponse, header: responseHeader(this.context.backend, this.revisionSeen),
        watchId: watcher.streamId, canceled: true,
        cancelReason: etcdError('ETCD_ERR_WATCH_STREAM_TOO_SLOW').message,
      },
      watcher: undefined, events: 0,
    });
  }

  /** Removes a watcher from the stream's tables (the caller cancels its subscription). */
  private forget(watcher: StreamWatcher): void {
    this.watchers.delete(watcher.streamId);
    if (this.progress?.pending.delete(watcher.streamId) === true) {
      this.maybeFinishProgress();
    }
  }

  private noteRevision(revision: number): void {
    this.revisionSeen = Math.max(this.revisionSeen, revision);
  }

  private pickWatchId(): number {
    while (this.watchers.has(this.watchIdNext)) {
      this.watchIdNext += 1;
    }
    const id = this.watchIdNext;
    this.watchIdNext += 1;
    return id;
  }

  private teardown(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    const watchers = [...this.watchers.values()];
    this.watchers.clear();
    this.queue.length = 0;
    this.queuedEvents = 0;
    this.progress = undefined;
    for (const watcher of watchers) {
      watcher.subscription.cancel();
    }
    this.context.streams.delete(this);
  }
}
