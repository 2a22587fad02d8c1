/**
 * @module bench/api-operations
 * What one request of each `coracle bench api` operation is, as a `Send` for the load
 * runners: POST a new pod, GET one pod of the 1,000-pod namespace, PUT a pod with its
 * current resourceVersion (a new label value), GET a whole namespace of 1,000 or 10,000
 * pods, and "watch": POST a pod into a namespace a watcher on the same peer follows, done
 * when the watch event for that pod arrives (so its latency runs from the send to the
 * event). Request bodies come from templates split once, so a send only concatenates.
 *
 * Namespaces and names are fixed (`namespaceNames`, `listPodName`, `updatePodName`) so the
 * no-op server of the client's ceiling answers the very same paths.
 */
import type { APIClient } from './api-http.js';
import type { Send } from './api-load.js';
import type { APIOperation } from './api-plan.js';
import { listPods } from './api-plan.js';

/** The namespaces of one run. */
export const namespaceNames = {
  create: 'bench-create', list1k: 'bench-list-1k', list10k: 'bench-list-10k',
  update: 'bench-update', watch: 'bench-watch',
} as const;

/** Image of every benchmark pod (never pulled: no kubelet runs). */
const podImage = 'registry.k8s.io/pause:3.10';

/** Name of pod `index` of a list namespace. */
export function listPodName(index: number): string {
  return `p-${String(index).padStart(5, '0')}`;
}

/** Name of update pod `index`. */
export function updatePodName(index: number): string {
  return `u-${index}`;
}

/** Returns `JSON.stringify(object)` split at each `@@KEY@@` marker, as a fill-in function. */
function template(object: unknown, keys: readonly string[]): (values: readonly string[]) =>
  string {
  let rest = JSON.stringify(object);
  const parts: string[] = [];
  for (const key of keys) {
    const at = rest.indexOf(`@@${key}@@`);
    if (at < 0) throw new Error(`template marker ${key} missing`);
    parts.push(rest.slice(0, at));
    rest = rest.slice(at + key.length + 4);
  }
  parts.push(rest);
  return (values) => {
    let text = parts[0]!;
    for (let index = 0; index < values.length; index++) text += values[index]! + parts[index + 1]!;
    return text;
  };
}

/** Returns a pod body for `namespace` with a name and a `seq` label to fill in. */
export function podBody(namespace: string): (name: string, seq: number) => string {
  const fill = template({ apiVersion: 'v1', kind: 'Pod',
    metadata: { name: '@@NAME@@', namespace, labels: { app: 'bench', seq: '@@SEQ@@' } },
    spec: { containers: [{ name: 'main', image: podImage }] } }, ['NAME', 'SEQ']);
  return (name, seq) => fill([name, String(seq)]);
}

/** Returns a pod update body: name, resourceVersion and a new `generation` label. */
function updateBody(namespace: string): (name: string, rv: string, value: number) => string {
  const fill = template({ apiVersion: 'v1', kind: 'Pod',
    metadata: { name: '@@NAME@@', namespace, resourceVersion: '@@RV@@',
      labels: { app: 'bench', generation: '@@VALUE@@' } },
    spec: { containers: [{ name: 'main', image: podImage }] } }, ['NAME', 'RV', 'VALUE']);
  return (name, rv, value) => fill([name, rv, String(value)]);
}

/** Returns the metadata.resourceVersion of a pod's JSON (the first one in it). */
export function resourceVersionOf(text: string): string {
  const match = /"resourceVersion":"(\d+)"/.exec(text);
  if (match === null) throw new Error(`no resourceVersion in ${text.slice(0, 200)}`);
  return match[1]!;
}

/**
 * UpdatePool hands out update pods with their current resourceVersion, one request at a
 * time per pod, so concurrent updates never conflict with each other. A request that finds
 * every pod busy waits in FIFO order (its wait is part of its latency).
 */
export class UpdatePool {
  private readonly free: number[];
  private readonly waiters: Array<(pod: number) => void> = [];

  /** Creates the pool over pods 0..n-1 with their resourceVersions. */
  constructor(private readonly versions: string[]) {
    this.free = versions.map((_, index) => index);
  }

  /** Waits for a free pod; returns its index and current resourceVersion. */
  acquire(): Promise<{ pod: number; rv: string }> {
    const pod = this.free.shift();
    if (pod !== undefined) return Promise.resolve({ pod, rv: this.versions[pod]! });
    return new Promise((resolvePod) => this.waiters.push((next) =>
      resolvePod({ pod: next, rv: this.versions[next]! })));
  }

  /** Returns `pod` with its new resourceVersion (unchanged when the update failed). */
  release(pod: number, rv: string | null): void {
    if (rv !== null) this.versions[pod] = rv;
    const waiter = this.waiters.shift();
    if (waiter === undefined) this.free.push(pod);
    else waiter(pod);
  }
}

/**
 * WatchTracker resolves a pending write's promise when the watch event carrying its `seq`
 * label arrives, with the arrival moment; past `timeoutMs` it rejects.
 */
export class WatchTracker {
  private readonly waiting = new Map<string, { resolve: (atMs: number) => void;
    timer: NodeJS.Timeout }>();

  constructor(private readonly timeoutMs: number) {}

  /** Registers `seq` BEFORE its write is sent (the event may beat the write's answer). */
  expect(seq: number): { arrived: Promise<number>; cancel: () => void } {
    const key = String(seq);
    let cancel = (): void => undefined;
    const arrived = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`no watch event for seq ${key} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting.set(key, { resolve, timer });
      cancel = () => {
        clearTimeout(timer);
        this.waiting.delete(key);
      };
    });
    // NB: a timeout may fire while the write is still in flight, before anyone awaits.
    arrived.catch(() => undefined);
    return { arrived, cancel };
  }

  /** Handles one watch line; an event for an unknown seq is ignored. */
  onLine(line: string): void {
    const atMs = performance.now();
    const seq = /"seq":"(\d+)"/.exec(line)?.[1];
    if (seq === undefined) return;
    const waiter = this.waiting.get(seq);
    if (waiter === undefined) return;
    this.waiting.delete(seq);
    clearTimeout(waiter.timer);
    waiter.resolve(atMs);
  }

  /** Rejects nothing further: clears every timer (after a phase). */
  clear(): void {
    for (const waiter of this.waiting.values()) clearTimeout(waiter.timer);
    this.waiting.clear();
  }
}

/** Everything the sends of one phase share. */
export interface SendContext {
  readonly client: APIClient;
  /** A run-wide unique number for pod names and `seq` labels. */
  readonly nextSeq: () => number;
  readonly updatePool: UpdatePool;
  /** The tracker of the watch open on this phase's peer (watch phases only). */
  readonly tracker: WatchTracker | null;
}

const podsPath = (namespace: string): string => `/api/v1/namespaces/${namespace}/pods`;

/** Returns the Send of `operation`. */
export function sendFor(operation: APIOperation, context: SendContext): Send {
  const { client } = context;
  switch (operation) {
    case 'create': {
      const body = podBody(namespaceNames.create);
      return async () => {
        const seq = context.nextSeq();
        await client.request('POST', podsPath(namespaceNames.create),
          { body: body(`c-${seq}`, seq), use: 'count' });
        return performance.now();
      };
    }
    case 'get':
      return async (index) => {
        await client.request('GET', `${podsPath(namespaceNames.list1k)}/` +
          listPodName(index % listPods.list1k), { use: 'count' });
        return performance.now();
      };
    case 'update': return updateSend(context);
    case 'list1k': case 'list10k': {
      const path = podsPath(namespaceNames[operation]);
      return async () => {
        await client.request('GET', path, { use: 'count' });
        return performance.now();
      };
    }
    case 'watch': return watchSend(context);
  }
}

function updateSend(context: SendContext): Send {
  const body = updateBody(namespaceNames.update);
  return async (index) => {
    const { pod, rv } = await context.updatePool.acquire();
    const name = updatePodName(pod);
    let next: string | null = null;
    try {
      const reply = await context.client.request('PUT',
        `${podsPath(namespaceNames.update)}/${name}`, { body: body(name, rv, index) });
      next = resourceVersionOf(reply.text);
      return performance.now();
    } finally {
      if (next === null) next = await refreshVersion(context.client, name);
      context.updatePool.release(pod, next);
    }
  };
}

/** Reads an update pod's resourceVersion again after a failed update (null: unknown). */
async function refreshVersion(client: APIClient, name: string): Promise<string | null> {
  try {
    const reply = await client.request('GET', `${podsPath(namespaceNames.update)}/${name}`);
    return resourceVersionOf(reply.text);
  } catch {
    return null;
  }
}

function watchSend(context: SendContext): Send {
  const tracker = context.tracker;
  if (tracker === null) throw new Error('a watch phase needs a watch tracker');
  const body = podBody(namespaceNames.watch);
  return async () => {
    const seq = context.nextSeq();
    const event = tracker.expect(seq);
    try {
      await context.client.request('POST', podsPath(namespaceNames.watch),
        { body: body(`w-${seq}`, seq), use: 'count' });
    } catch (error) {
      event.cancel();
      throw error;
    }
    return event.arrived;
  };
}
