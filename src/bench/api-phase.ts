/**
 * @module bench/api-phase
 * One measured phase of `coracle bench api`: one operation, in one mode, against one
 * endpoint (a peer's `--api-listen`, or the no-op server for the client's ceiling). A phase
 * gets its own client, sized to its concurrency, runs an unmeasured warm-up with the same
 * load (connections opened, code paths warm), then the measured run. A watch phase first
 * opens a watch on the same endpoint from the watch namespace's current resourceVersion.
 */
import { APIClient } from './api-http.js';
import { runClosedLoop, runOpenLoop } from './api-load.js';
import type { PhaseResult, Send } from './api-load.js';
import { namespaceNames, sendFor, WatchTracker } from './api-operations.js';
import type { UpdatePool } from './api-operations.js';
import type { APILoadMode, APIOperation } from './api-plan.js';
import { operationShapes } from './api-plan.js';

/**
 * Sockets of an open-loop phase: enough for 200/s at up to ~300 ms each before requests
 * queue inside the client (which the open-loop latency then shows, as it should).
 */
export const openLoopSocketsMax = 64;

/** PhaseSpec is one phase to run. */
export interface PhaseSpec {
  readonly endpoint: string;
  readonly operation: APIOperation;
  readonly mode: APILoadMode;
  /** Measured duration, and the warm-up before it, ms. */
  readonly durationMs: number;
  readonly warmUpMs: number;
  readonly requestTimeoutMs: number;
  readonly updatePool: UpdatePool;
  readonly nextSeq: () => number;
}

function runLoad(spec: PhaseSpec, send: Send, durationMs: number): Promise<PhaseResult> {
  const shape = operationShapes[spec.operation];
  return spec.mode === 'fixed'
    ? runOpenLoop({ ratePerS: shape.fixedRatePerS, durationMs, send })
    : runClosedLoop({ clients: shape.saturationClients, durationMs, send });
}

/** Returns the current resourceVersion of the watch namespace, as seen by `client`. */
async function watchStartVersion(client: APIClient): Promise<string> {
  const reply = await client.request('GET',
    `/api/v1/namespaces/${namespaceNames.watch}/pods?limit=1`);
  const list = JSON.parse(reply.text) as { metadata?: { resourceVersion?: string } };
  const rv = list.metadata?.resourceVersion;
  if (rv === undefined) throw new Error('the watch namespace list has no resourceVersion');
  return rv;
}

/** Runs one phase; resolves with the measured run's result. */
export async function runPhase(spec: PhaseSpec): Promise<PhaseResult> {
  const shape = operationShapes[spec.operation];
  const client = new APIClient(spec.endpoint, { requestTimeoutMs: spec.requestTimeoutMs,
    maxSockets: spec.mode === 'fixed' ? openLoopSocketsMax : shape.saturationClients });
  const tracker = spec.operation === 'watch' ? new WatchTracker(spec.requestTimeoutMs) : null;
  try {
    if (tracker !== null) {
      const rv = await watchStartVersion(client);
      const watch = client.watch(`/api/v1/namespaces/${namespaceNames.watch}/pods?watch=1` +
        `&resourceVersion=${rv}&allowWatchBookmarks=false`, (line) => tracker.onLine(line));
      await watch.ready;
    }
    const send = sendFor(spec.operation, { client, nextSeq: spec.nextSeq,
      updatePool: spec.updatePool, tracker });
    if (spec.warmUpMs > 0) await runLoad(spec, send, spec.warmUpMs);
    return await runLoad(spec, send, spec.durationMs);
  } finally {
    tracker?.clear();
    client.close();
  }
}
