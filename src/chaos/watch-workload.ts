/**
 * @module chaos/watch-workload
 * Watchers on the register prefix, spread over the peers. Each watcher records every event
 * and progress notification (bookmark) per session; when its stream breaks (a fault), it
 * resumes on the next peer from its last seen revision + 1, which is what a Kubernetes
 * informer does. The watch checker then verifies the etcd watch guarantees.
 */
import * as grpc from '@grpc/grpc-js';
import { clientServiceDefinition } from '../server/etcd-api/proto.js';
import type { WatchSession } from './history.js';
import type { RunClock, Workload } from './kv-workload.js';

/** WatchWorkloadOptions configure the watchers. */
export interface WatchWorkloadOptions {
  /** The members' client endpoints by name, asked at each (re)connection. */
  readonly endpoints: () => ReadonlyMap<string, string>;
  readonly watchers: number;
  /** Key prefix watched (every register key starts with it). */
  readonly prefix: string;
  readonly clock: RunClock;
  readonly sessions: WatchSession[];
  /** Interval between progress requests (bookmarks), ms. */
  readonly progressIntervalMs: number;
  /** Events recorded per watcher at most; beyond it the watcher stops recording. */
  readonly eventsMax: number;
}

const watchDefinition = clientServiceDefinition('Watch');
const WatchClient = grpc.makeGenericClientConstructor(watchDefinition, 'Watch');

interface WireEvent {
  type: string | number;
  kv?: { key: Uint8Array; value: Uint8Array; modRevision: number };
}

interface WireWatchResponse {
  header?: { revision: number };
  watchId: number;
  created: boolean;
  canceled: boolean;
  compactRevision: number;
  cancelReason: string;
  events: WireEvent[];
}

function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  end[end.length - 1] = end[end.length - 1]! + 1;
  return end;
}

/** WatchWorkload runs the watchers (see the module comment). */
export class WatchWorkload implements Workload {
  readonly name = 'watchers';

  /** Creates the workload. */
  constructor(private readonly options: WatchWorkloadOptions) {}

  async run(signal: AbortSignal): Promise<void> {
    const runs = Array.from({ length: this.options.watchers },
      (_, watcher) => this.runWatcher(watcher, signal));
    await Promise.all(runs);
  }

  private async runWatcher(watcher: number, signal: AbortSignal): Promise<void> {
    let nextRevision = 1;
    let recorded = 0;
    for (let attempt = 0; !signal.aborted && recorded < this.options.eventsMax; attempt++) {
      const members = [...this.options.endpoints()].sort(([a], [b]) => a.localeCompare(b));
      const member = members[(watcher + attempt) % Math.max(1, members.length)];
      if (member === undefined) return;
      const [peer, endpoint] = member;
      const session: WatchSession = {
        watcher, peer, startRevision: nextRevision, events: [], progressRevisions: [],
        endReason: '',
      };
      this.options.sessions.push(session);
      nextRevision = await this.runSession(session, endpoint, signal);
      recorded += session.events.length;
      if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Runs one stream until it breaks; returns the revision to resume from. */
  private runSession(session: WatchSession, endpoint: string, signal: AbortSignal):
    Promise<number> {
    let next = session.startRevision;
    const client = new WatchClient(endpoint, grpc.credentials.createInsecure());
    const stream = client.makeBidiStreamRequest(
      '/etcdserverpb.Watch/Watch',
      (value: object) => watchDefinition.Watch!.requestSerialize(value),
      (bytes: Buffer) => watchDefinition.Watch!.responseDeserialize(bytes) as unknown as
        WireWatchResponse,
    );
    return new Promise((resolve) => {
      const timer = setInterval(() => stream.write({ progressRequest: {} }),
        this.options.progressIntervalMs);
      const finish = (reason: string): void => {
        if (session.endReason !== '') return;
        session.endReason = reason;
        clearInterval(timer);
        signal.removeEventListener('abort', onAbort);
        stream.cancel();
        client.close();
        resolve(next);
      };
      const onAbort = (): void => finish('stopped');
      signal.addEventListener('abort', onAbort);
      stream.on('data', (response: WireWatchResponse) => {
        if (response.canceled) {
          // After a compaction the watcher resumes past it (an informer would re-list).
          if (response.compactRevision > 0) next = response.compactRevision + 1;
          finish(response.compactRevision > 0 ? 'compacted' : `canceled: ${response.cancelReason}`);
          return;
        }
        this.record(session, response);
        const last = session.events.at(-1)?.modRevision ?? 0;
        next = Math.max(next, last + 1);
      });
      stream.on('error', (error: grpc.ServiceError) => finish(`error: ${error.details}`));
      stream.on('end', () => finish('ended'));
      stream.write({ createRequest: {
        key: Buffer.from(this.options.prefix), rangeEnd: prefixEnd(this.options.prefix),
        startRevision: session.startRevision, progressNotify: true,
      } });
    });
  }

  private record(session: WatchSession, response: WireWatchResponse): void {
    const now = this.options.clock.nowMs();
    if (response.events.length === 0 && !response.created && response.header !== undefined) {
      session.progressRevisions.push(response.header.revision);
      return;
    }
    for (const event of response.events) {
      const kv = event.kv;
      if (kv === undefined) continue;
      const isDelete = event.type === 'DELETE' || event.type === 1;
      session.events.push({
        type: isDelete ? 'delete' : 'put', key: Buffer.from(kv.key).toString(),
        value: isDelete ? null : Buffer.from(kv.value).toString(),
        modRevision: kv.modRevision, receivedMs: now,
      });
    }
  }
}
