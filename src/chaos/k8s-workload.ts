/**
 * @module chaos/k8s-workload
 * The Kubernetes workload of `coracle chaos --workload k8s`: register clients and
 * informer-style watchers over ConfigMaps, through the REST API of RANDOM peers.
 *
 * Each ConfigMap `<namespace>/<name>` is one register whose value is `.data.v` (values are
 * unique per run). A client step is a GET (a linearizable read: no resourceVersion) and then,
 * most of the time, a compare-and-set through another random peer: a POST when the read found
 * nothing (expected: absent), else a PUT carrying the read's `metadata.resourceVersion` as
 * its precondition. NB: the register is the linearizability checker's CAS register keyed by
 * VALUE, which is exact here: every successful write creates a fresh value and a fresh
 * resourceVersion and nothing deletes, so per object value and resourceVersion determine
 * each other, and "resourceVersion still r" holds iff "value still the one read at r".
 *
 * Watchers act as client-go's reflector does: list (no resourceVersion), watch from the list's
 * resourceVersion, re-watch from the last resourceVersion seen (event or bookmark) when a
 * stream closes, re-list when told 410 Gone. Every watch stream is one `WatchSession`
 * starting at (resourceVersion + 1), so the etcd watch checker applies unchanged; a re-list
 * starts a new epoch whose first session starts after the list.
 */
import type { SeededRandom } from '../util/prng.js';
import type { Operation, WatchSession } from './history.js';
import {
  classifyRead, classifyWrite, requestJSON, streamWatch, type HTTPResult, type WireWatchEvent,
} from './k8s-http.js';
import type { RunClock, Workload } from './kv-workload.js';

/** K8sWorkloadOptions configure the clients and watchers. */
export interface K8sWorkloadOptions {
  /** The members' API base URLs (`http://127.0.0.1:port`) by name, asked at each step. */
  readonly endpoints: () => ReadonlyMap<string, string>;
  readonly clients: number;
  readonly watchers: number;
  readonly namespace: string;
  /** ConfigMap names; the history key of each is `<namespace>/<name>`. */
  readonly names: readonly string[];
  /** Deadline of one request, ms (a watch stream lives 4–8 s plus this). */
  readonly requestTimeoutMs: number;
  readonly random: SeededRandom;
  readonly clock: RunClock;
  readonly operations: Operation[];
  readonly sessions: WatchSession[];
  /** Operations recorded at most (clients stop issuing new ones beyond it). */
  readonly operationsMax: number;
  /** Events recorded per watcher at most (the watcher stops beyond it). */
  readonly eventsMax: number;
}

/** Returns the history key of a ConfigMap. */
export function registerKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Returns the collection path of ConfigMaps in `namespace`. */
export function configMapsPath(namespace: string): string {
  return `/api/v1/namespaces/${namespace}/configmaps`;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** K8sWorkload runs the register clients and the watchers (see the module comment). */
export class K8sWorkload implements Workload {
  readonly name = 'k8s-configmaps';
  private valueNext = 1;

  /** Creates the workload. */
  constructor(private readonly options: K8sWorkloadOptions) {}

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([
      ...Array.from({ length: this.options.clients }, (_, client) =>
        this.runClient(client, signal)),
      ...Array.from({ length: this.options.watchers }, (_, watcher) =>
        this.runWatcher(watcher, signal)),
    ]);
  }

  private pickPeer(): [string, string] | undefined {
    const members = [...this.options.endpoints()].sort(([a], [b]) => a.localeCompare(b));
    return members.length === 0 ? undefined : this.options.random.pick(members);
  }

  private async runClient(client: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && this.options.operations.length < this.options.operationsMax) {
      const name = this.options.random.pick(this.options.names);
      const read = await this.read(client, name);
      if (read === undefined) {
        await pause(50);
        continue;
      }
      if (this.options.random.chance(0.7)) await this.compareAndSet(client, name, read);
    }
  }

  private async read(client: number, name: string):
    Promise<{ value: string | null; resourceVersion: string } | undefined> {
    const peer = this.pickPeer();
    if (peer === undefined) return undefined;
    const base = { id: this.options.clock.nextOperationId(), client, peer: peer[0],
      kind: 'read' as const, key: registerKey(this.options.namespace, name),
      invokeMs: this.options.clock.nowMs() };
    const result = classifyRead(await requestJSON(peer[1], { method: 'GET',
      path: `${configMapsPath(this.options.namespace)}/${name}`,
      timeoutMs: this.options.requestTimeoutMs }));
    const completeMs = this.options.clock.nowMs();
    if (result.outcome === 'fail') {
      this.options.operations.push({ ...base, completeMs, outcome: 'fail', error: result.error });
      return undefined;
    }
    this.options.operations.push({ ...base, completeMs, outcome: 'ok', read: result.value });
    return result;
  }

  /** POSTs (expected absent) or PUTs with the read's resourceVersion as precondition. */
  private async compareAndSet(client: number, name: string,
    read: { value: string | null; resourceVersion: string }): Promise<void> {
    const peer = this.pickPeer();
    if (peer === undefined) return;
    const value = `v${this.valueNext++}`;
    const base = { id: this.options.clock.nextOperationId(), client, peer: peer[0],
      kind: 'cas' as const, key: registerKey(this.options.namespace, name), value,
      expected: read.value, invokeMs: this.options.clock.nowMs() };
    const metadata = read.value === null ? { name }
      : { name, resourceVersion: read.resourceVersion };
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { v: value } };
    const path = configMapsPath(this.options.namespace) + (read.value === null ? '' : `/${name}`);
    const result = await requestJSON(peer[1], { method: read.value === null ? 'POST' : 'PUT',
      path, body, timeoutMs: this.options.requestTimeoutMs });
    const outcome = classifyWrite(result);
    const completeMs = outcome === 'unknown' ? null : this.options.clock.nowMs();
    if (outcome === 'ok') {
      this.options.operations.push({ ...base, completeMs, outcome, succeeded: true,
        revision: resourceVersionOf(result) });
      return;
    }
    this.options.operations.push({ ...base, completeMs, outcome, error: describe(result) });
    await pause(50);
  }

  private async runWatcher(watcher: number, signal: AbortSignal): Promise<void> {
    let resourceVersion: number | undefined;
    let recorded = 0;
    while (!signal.aborted && recorded < this.options.eventsMax) {
      const peer = this.pickPeer();
      if (peer === undefined) return;
      if (resourceVersion === undefined) {
        resourceVersion = await this.list(peer[1]);
        if (resourceVersion === undefined) await pause(100);
        continue;
      }
      const session: WatchSession = { watcher, peer: peer[0], startRevision: resourceVersion + 1,
        events: [], progressRevisions: [], endReason: '' };
      this.options.sessions.push(session);
      const end = await this.watch(peer[1], session, signal);
      recorded += session.events.length;
      session.endReason = signal.aborted ? 'stopped' : end.reason;
      const last = Math.max(session.events.at(-1)?.modRevision ?? 0,
        session.progressRevisions.at(-1) ?? 0);
      // Re-watch from the last resourceVersion seen; a 410 starts a new epoch (re-list).
      resourceVersion = end.kind === 'expired' ? undefined : Math.max(resourceVersion, last);
      if (end.kind === 'expired') session.endReason = 'compacted';
    }
  }

  /** Lists (linearizably); returns the list's resourceVersion, or undefined on failure. */
  private async list(baseURL: string): Promise<number | undefined> {
    const result = await requestJSON(baseURL, { method: 'GET',
      path: configMapsPath(this.options.namespace), timeoutMs: this.options.requestTimeoutMs });
    if (result.kind !== 'response' || result.status !== 200) return undefined;
    const rv = Number((result.body as { metadata?: { resourceVersion?: string } })
      .metadata?.resourceVersion);
    return Number.isSafeInteger(rv) && rv > 0 ? rv : undefined;
  }

  private watch(baseURL: string, session: WatchSession, signal: AbortSignal):
    ReturnType<typeof streamWatch> {
    const seconds = 4 + this.options.random.int(5);
    const url = `${baseURL}${configMapsPath(this.options.namespace)}?watch=1&` +
      `resourceVersion=${session.startRevision - 1}&allowWatchBookmarks=true&` +
      `timeoutSeconds=${seconds}`;
    return streamWatch(url, { signal, timeoutMs: seconds * 1000 + this.options.requestTimeoutMs,
      onEvent: (event) => this.record(session, event) });
  }

  private record(session: WatchSession, event: WireWatchEvent): void {
    const rv = Number(event.object.metadata?.resourceVersion);
    if (!Number.isSafeInteger(rv)) return;
    if (event.type === 'BOOKMARK') {
      session.progressRevisions.push(rv);
      return;
    }
    const name = event.object.metadata?.name ?? '';
    const deleted = event.type === 'DELETED';
    session.events.push({ type: deleted ? 'delete' : 'put',
      key: registerKey(this.options.namespace, name),
      value: deleted ? null : event.object.data?.v ?? null, modRevision: rv,
      receivedMs: this.options.clock.nowMs() });
  }
}

function resourceVersionOf(result: HTTPResult): number {
  if (result.kind !== 'response') return 0;
  const rv = Number((result.body as { metadata?: { resourceVersion?: string } })
    .metadata?.resourceVersion);
  return Number.isSafeInteger(rv) ? rv : 0;
}

function describe(result: HTTPResult): string {
  if (result.kind === 'error') return result.message;
  const status = result.body as { reason?: unknown; message?: unknown };
  return `HTTP ${result.status} ${typeof status.reason === 'string' ? status.reason : ''}`.trim();
}

/**
 * Creates `namespace` through any member (AlreadyExists counts as done), polling until
 * `deadlineMs` passes: right after startup the peers may not serve writes yet.
 */
export async function ensureNamespace(endpoints: () => ReadonlyMap<string, string>,
  namespace: string, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let last = 'no member';
  while (Date.now() < deadline) {
    for (const baseURL of endpoints().values()) {
      const result = await requestJSON(baseURL, { method: 'POST', path: '/api/v1/namespaces',
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
        timeoutMs: 2000 });
      if (result.kind === 'response' && (result.status === 201 || result.status === 409)) return;
      last = describe(result);
    }
    await pause(200);
  }
  throw new Error(`namespace ${namespace} not created within ${deadlineMs} ms (${last})`);
}

/**
 * Reads every register from ONE member's own state (`resourceVersion=0`: no quorum round
 * trip), for the final reads after healing; throws when the member does not answer.
 */
export async function readRegisters(baseURL: string, namespace: string,
  names: readonly string[]): Promise<Map<string, string | null>> {
  const values = new Map<string, string | null>();
  for (const name of names) {
    const result = classifyRead(await requestJSON(baseURL, { method: 'GET',
      path: `${configMapsPath(namespace)}/${name}?resourceVersion=0`, timeoutMs: 3000 }));
    if (result.outcome === 'fail') throw new Error(`GET ${namespace}/${name}: ${result.error}`);
    values.set(registerKey(namespace, name), result.value);
  }
  return values;
}
