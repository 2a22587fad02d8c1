/**
 * @module bench/api-trial
 * One trial of `coracle bench api`: a fresh 3-peer cluster (every peer with `--api-listen`)
 * in the trial's directory; the namespaces created through the leader and awaited on every
 * peer; the list namespaces filled (1,000 and 10,000 pods) and the update pods created;
 * then every operation in both modes against a FOLLOWER and then against the LEADER (found
 * again before each, and checked after: a leader change is noted). The cluster is stopped
 * by PID at the end, whatever happened.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CoracleCluster } from './clusters.js';
import { APIClient } from './api-http.js';
import { runClosedLoop } from './api-load.js';
import type { PhaseResult } from './api-load.js';
import type { NoopBodies } from './api-noop-server.js';
import {
  listPodName, namespaceNames, podBody, resourceVersionOf, updatePodName, UpdatePool,
} from './api-operations.js';
import { runPhase } from './api-phase.js';
import type { APIBenchPlan, APITarget } from './api-plan.js';
import { listPods, updatePodsMax } from './api-plan.js';
import { phaseKey } from './api-report.js';
import type { Progress } from './kv-bench.js';
import type { ProcessRegistry } from './processes.js';
import { sleep } from './wait.js';

/** Creates in flight while filling namespaces. */
const fillClients = 32;

/** Everything a trial needs from the run. */
export interface APIRunContext {
  readonly plan: APIBenchPlan;
  readonly processes: ProcessRegistry;
  readonly progress: Progress;
  /** The run's temp dir. */
  readonly directory: string;
  readonly notes: string[];
}

/** TrialOutcome: every phase's result by `phaseKey`, and bodies for the no-op server. */
export interface TrialOutcome {
  readonly results: Map<string, PhaseResult>;
  readonly bodies: NoopBodies | null;
}

/** A run-wide counter for unique pod names and `seq` labels. */
export function sequence(): () => number {
  let next = 0;
  return () => next++;
}

/** Polls `GET path` on every endpoint until each answers 2xx; throws past the deadline. */
async function waitForEvery(endpoints: readonly string[], path: string,
  deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (const endpoint of endpoints) {
    const client = new APIClient(endpoint, { maxSockets: 1, requestTimeoutMs: 2_000 });
    try {
      for (;;) {
        const answered = await client.request('GET', path).then(() => true, () => false);
        if (answered) break;
        if (Date.now() > deadline) throw new Error(`${endpoint}${path}: no 2xx in time`);
        await sleep(50);
      }
    } finally {
      client.close();
    }
  }
}

/** Attempts per pod while filling: a leader change mid-fill answers 503 (retried). */
const fillAttemptsMax = 5;

/**
 * Creates pod `name` and returns its resourceVersion, retrying a failed attempt after a
 * pause; an AlreadyExists on a retry means an earlier attempt did land, so the pod is read.
 */
async function createPod(client: APIClient, namespace: string, body: string,
  name: string): Promise<string> {
  const path = `/api/v1/namespaces/${namespace}/pods`;
  for (let attempt = 1; ; attempt++) {
    try {
      return resourceVersionOf((await client.request('POST', path, { body })).text);
    } catch (error) {
      if (attempt >= fillAttemptsMax) throw error;
      if (attempt > 1 && String(error).includes(': 409 ')) {
        return resourceVersionOf((await client.request('GET', `${path}/${name}`)).text);
      }
      await sleep(250 * attempt);
    }
  }
}

/** Creates `total` pods named by `name` in `namespace`; returns their resourceVersions. */
async function fill(client: APIClient, namespace: string, options: { total: number;
  name: (index: number) => string; deadlineMs: number; nextSeq: () => number }):
  Promise<string[]> {
  const body = podBody(namespace);
  const versions: string[] = new Array<string>(options.total).fill('');
  const result = await runClosedLoop({ clients: fillClients, durationMs: options.deadlineMs,
    total: options.total, send: async (index) => {
      const name = options.name(index);
      versions[index] = await createPod(client, namespace, body(name, options.nextSeq()), name);
      return performance.now();
    } });
  const created = result.load?.requests ?? 0;
  if (created !== options.total) {
    throw new Error(`filling ${namespace}: ${created} of ${options.total} pods created` +
      (result.firstError === null ? '' : ` (${result.firstError})`));
  }
  return versions;
}

/** Creates the namespaces and pods every phase needs, through the leader. */
async function prepare(cluster: CoracleCluster, leader: string, context: APIRunContext,
  nextSeq: () => number): Promise<UpdatePool> {
  const { plan } = context;
  const client = new APIClient(leader, { maxSockets: fillClients,
    requestTimeoutMs: plan.requestTimeoutMs });
  try {
    for (const namespace of Object.values(namespaceNames)) {
      await client.request('POST', '/api/v1/namespaces', { body: JSON.stringify({
        apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }) });
      await waitForEvery(cluster.apiEndpoints, `/api/v1/namespaces/${namespace}`,
        plan.waitDeadlineMs);
    }
    const deadlineMs = plan.waitDeadlineMs * 4;
    for (const operation of ['list1k', 'list10k'] as const) {
      if (!plan.operations.includes(operation)) continue;
      await fill(client, namespaceNames[operation], { total: listPods[operation],
        name: listPodName, deadlineMs, nextSeq });
    }
    return new UpdatePool(await fill(client, namespaceNames.update, { total: updatePodsMax,
      name: updatePodName, deadlineMs, nextSeq }));
  } finally {
    client.close();
  }
}

/** Reads the answers the no-op server will give, from the filled cluster. */
async function captureBodies(endpoint: string, plan: APIBenchPlan): Promise<NoopBodies> {
  const client = new APIClient(endpoint, { maxSockets: 1,
    requestTimeoutMs: plan.requestTimeoutMs });
  const pods = (namespace: string): string => `/api/v1/namespaces/${namespace}/pods`;
  const emptyList = '{"kind":"PodList","apiVersion":"v1","metadata":' +
    '{"resourceVersion":"1"},"items":[]}';
  try {
    const pod = await client.request('GET', `${pods(namespaceNames.list1k)}/${listPodName(0)}`);
    const list1k = await client.request('GET', pods(namespaceNames.list1k));
    const list10k = plan.operations.includes('list10k')
      ? (await client.request('GET', pods(namespaceNames.list10k))).text : emptyList;
    return { pod: pod.text, list1k: list1k.text, list10k, emptyList };
  } finally {
    client.close();
  }
}

/** Runs every phase against `target`; results go into `results`. */
async function runTarget(cluster: CoracleCluster, target: Exclude<APITarget, 'noop'>,
  state: { context: APIRunContext; trial: number; results: Map<string, PhaseResult>;
    updatePool: UpdatePool; nextSeq: () => number }): Promise<void> {
  const { context, trial } = state;
  const { plan } = context;
  const leaderIndex = await cluster.waitForLeader(plan.waitDeadlineMs);
  const peers = cluster.apiEndpoints.length;
  const endpoint = cluster.apiEndpoints[target === 'leader' ? leaderIndex
    : (leaderIndex + 1) % peers]!;
  for (const operation of plan.operations) {
    for (const mode of ['fixed', 'saturation'] as const) {
      context.progress.step(`#${trial + 1} ${target}: ${operation} ${mode}`);
      const key = phaseKey({ operation, target, mode });
      try {
        const result = await runPhase({ endpoint, operation, mode, warmUpMs: plan.warmUpMs,
          durationMs: mode === 'fixed' ? plan.fixedPhaseMs : plan.saturationPhaseMs,
          requestTimeoutMs: plan.requestTimeoutMs, updatePool: state.updatePool,
          nextSeq: state.nextSeq });
        state.results.set(key, result);
        if (result.errors > 0) {
          context.notes.push(`trial ${trial + 1} ${key}: ${result.errors} errors, first: ` +
            `${result.firstError ?? '?'}`);
        }
      } catch (error) {
        context.notes.push(`trial ${trial + 1} ${key} failed: ${String(error)}`);
      }
    }
  }
  if (await cluster.waitForLeader(plan.waitDeadlineMs) !== leaderIndex) {
    context.notes.push(`trial ${trial + 1}: the leader changed during the ${target} phases`);
  }
}

/** Runs trial `trial` (0-based); captures no-op bodies when `captureNoopBodies`. */
export async function runAPITrial(context: APIRunContext, trial: number,
  options: { captureNoopBodies: boolean }): Promise<TrialOutcome> {
  const { plan, progress } = context;
  const directory = join(context.directory, `trial-${trial + 1}`);
  mkdirSync(directory, { recursive: true });
  const cluster = await CoracleCluster.create(context.processes, directory);
  const results = new Map<string, PhaseResult>();
  let bodies: NoopBodies | null = null;
  try {
    progress.step(`#${trial + 1}: start cluster`);
    await cluster.start(plan.waitDeadlineMs);
    const leaderIndex = await cluster.waitForLeader(plan.waitDeadlineMs);
    await waitForEvery(cluster.apiEndpoints, '/readyz', plan.waitDeadlineMs);
    await waitForEvery(cluster.apiEndpoints, '/api/v1/namespaces/default',
      plan.waitDeadlineMs);
    progress.step(`#${trial + 1}: fill namespaces`);
    const nextSeq = sequence();
    const leader = cluster.apiEndpoints[leaderIndex]!;
    const updatePool = await prepare(cluster, leader, context, nextSeq);
    if (options.captureNoopBodies) bodies = await captureBodies(leader, plan);
    for (const target of ['follower', 'leader'] as const) {
      await runTarget(cluster, target, { context, trial, results, updatePool, nextSeq });
    }
  } catch (error) {
    context.notes.push(`trial ${trial + 1} failed: ${String(error)}`);
  } finally {
    progress.step(`#${trial + 1}: stop cluster`);
    await cluster.stop();
  }
  return { results, bodies };
}
