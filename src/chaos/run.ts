/**
 * @module chaos/run
 * One chaos run: start a real cluster behind link proxies, drive the workloads, inject
 * faults on the seeded schedule for the run's duration, heal everything, wait until every
 * member applied the same log, read every register from every member, and hand the whole
 * record to the checkers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdClient } from '../server/etcd-client.js';
import type { WireMember } from '../server/etcd-client.js';
import { collectStatus } from '../cli/local-cluster.js';
import { SeededRandom } from '../util/prng.js';
import { ChaosCluster } from './chaos-cluster.js';
import { runFaultSchedule } from './faults.js';
import type { AdminOps, FaultKind } from './faults.js';
import type { History } from './history.js';
import { ensureNamespace, K8sWorkload, readRegisters, registerKey } from './k8s-workload.js';
import { KVWorkload } from './kv-workload.js';
import type { RunClock, Workload } from './kv-workload.js';
import { WatchWorkload } from './watch-workload.js';

/** Every workload `--workload` accepts: etcd registers (default) or Kubernetes ConfigMaps. */
export const workloadKinds = ['kv', 'k8s'] as const;

/** WorkloadKind is one workload (see `workloadKinds`). */
export type WorkloadKind = (typeof workloadKinds)[number];

/** ChaosOptions configure one run. */
export interface ChaosOptions {
  readonly seed: number;
  readonly durationMs: number;
  readonly faults: readonly FaultKind[];
  readonly peers: number;
  readonly clients: number;
  readonly watchers: number;
  readonly keys: number;
  /** What the clients do; default 'kv' (etcd registers). 'k8s' adds `--api-listen`. */
  readonly workload?: WorkloadKind;
  /** Extra `coracle server` flags (the DEBUG-ONLY mutations among them). */
  readonly serverArgs: readonly string[];
  /** Keep the data dir and logs even when every check passes (see `discardRun`). */
  readonly keepData: boolean;
  readonly log: (line: string) => void;
}

/** FinalState is what every member holds after healing. */
export interface FinalState {
  /** Member name → key → value (null: absent), read locally (serializable). */
  readonly reads: Map<string, Map<string, string | null>>;
  /** Member name → applied index and store hash when all had converged. */
  readonly members: Map<string, { appliedIndex: number; revision: number; hash: number }>;
  /** True when every member reached the same applied index before the deadline. */
  readonly converged: boolean;
  /** Milliseconds from healing until the members converged. */
  readonly convergeMs: number;
  /** Why the cluster could not be brought back after healing ('' when it recovered). */
  readonly recoveryError: string;
}

/** ChaosRun is the raw outcome of a run, before checking. */
export interface ChaosRun {
  readonly history: History;
  readonly finalState: FinalState;
  readonly keys: readonly string[];
  readonly directory: string;
  readonly durationMs: number;
}

const keyPrefix = 'chaos/';
/** The namespace of the k8s workload's ConfigMaps. */
const k8sNamespace = 'chaos';

function registerNames(options: ChaosOptions): string[] {
  return Array.from({ length: options.keys }, (_, i) => `k${i}`);
}

function adminFor(endpoint: string): AdminOps {
  const client = new EtcdClient(endpoint);
  return {
    async memberList() {
      const response = await client.call<{ members: WireMember[] }>('MemberList', {}, 3000);
      return response.members;
    },
    async memberRemove(id) {
      await client.call('MemberRemove', { ID: id }, 10_000);
    },
    async memberPromote(id) {
      await client.call('MemberPromote', { ID: id }, 5000);
    },
    close: () => client.close(),
  };
}

/** Runs the cluster, workloads and faults; returns the record for the checkers. */
export async function runChaos(options: ChaosOptions): Promise<ChaosRun> {
  const directory = mkdtempSync(join(tmpdir(), 'coracle-chaos-'));
  const random = new SeededRandom(options.seed);
  const cluster = await ChaosCluster.start({
    directory, peers: options.peers, spares: 3, serverArgs: options.serverArgs,
    random: new SeededRandom(options.seed ^ 0x5bd1e995), api: options.workload === 'k8s',
  });
  const started = Date.now();
  let operationIdNext = 1;
  const clock: RunClock = {
    nowMs: () => Date.now() - started,
    nextOperationId: () => operationIdNext++,
  };
  const history: History = { seed: options.seed, operations: [], watches: [], faults: [] };
  const k8s = options.workload === 'k8s';
  const keys = registerNames(options).map((name) =>
    k8s ? registerKey(k8sNamespace, name) : keyPrefix + name);
  try {
    await waitForLeader(cluster, 30_000);
    if (k8s) await ensureNamespace(() => apiURLs(cluster), k8sNamespace, 30_000);
    options.log(`cluster up in ${directory}; running ${options.durationMs} ms`);
    await drive(options, cluster, clock, history, keys, random);
    options.log('healing every fault and waiting for the members to converge');
    const finalState = await settle(cluster, clock, k8s
      ? (name) => readRegisters(cluster.apiURL(name), k8sNamespace, registerNames(options))
      : (name) => readAllFrom(cluster.endpoint(name), keys));
    return { history, finalState, keys, directory, durationMs: clock.nowMs() };
  } catch (error) {
    throw new Error(`chaos run failed (data and logs kept in ${directory})`, { cause: error });
  } finally {
    await cluster.stop();
  }
}

/**
 * Removes a run's data dir and logs. The runner always keeps them, so the caller can look
 * at the logs of a violating run; it discards them once the checks passed.
 */
export function discardRun(run: ChaosRun): void {
  rmSync(run.directory, { recursive: true, force: true });
}

function apiURLs(cluster: ChaosCluster): Map<string, string> {
  return new Map(cluster.members().map((name) => [name, cluster.apiURL(name)]));
}

function makeWorkloads(options: ChaosOptions, cluster: ChaosCluster, clock: RunClock,
  history: History, keys: readonly string[]): Workload[] {
  const random = new SeededRandom(options.seed ^ 0x27d4eb2f);
  if (options.workload === 'k8s') {
    return [new K8sWorkload({
      endpoints: () => apiURLs(cluster), clients: options.clients, watchers: options.watchers,
      namespace: k8sNamespace, names: registerNames(options), requestTimeoutMs: 2000, random,
      clock, operations: history.operations, sessions: history.watches,
      operationsMax: 200_000, eventsMax: 500_000,
    })];
  }
  const endpoints = (): Map<string, string> => new Map(cluster.members()
    .map((name) => [name, cluster.endpoint(name)]));
  return [new KVWorkload({
    endpoints, clients: options.clients, keys, requestTimeoutMs: 2000, random, clock,
    operations: history.operations, operationsMax: 200_000,
  }), new WatchWorkload({
    endpoints, watchers: options.watchers, prefix: keyPrefix, clock,
    sessions: history.watches, progressIntervalMs: 1000, eventsMax: 500_000,
  })];
}

async function drive(options: ChaosOptions, cluster: ChaosCluster, clock: RunClock,
  history: History, keys: readonly string[], random: SeededRandom): Promise<void> {
  const stopWorkload = new AbortController();
  const stopFaults = new AbortController();
  const workloads = Promise.all(makeWorkloads(options, cluster, clock, history, keys)
    .map((workload) => workload.run(stopWorkload.signal)));
  const faults = runFaultSchedule({
    cluster, random, nowMs: () => clock.nowMs(), faults: history.faults, admin: adminFor,
  }, options.faults, stopFaults.signal);
  const timer = setTimeout(() => stopFaults.abort(), options.durationMs);
  await faults;
  clearTimeout(timer);
  // Heal, then let the workload run a little longer on the healed cluster so every
  // watcher catches up and the last writes are observed.
  cluster.healAll();
  restartDead(cluster);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  stopWorkload.abort();
  await workloads;
}

function restartDead(cluster: ChaosCluster): void {
  for (const name of cluster.members()) {
    if (!cluster.alive(name)) {
      cluster.envByPeer.delete(name);
      cluster.spawn(name);
    }
  }
}

async function waitForLeader(cluster: ChaosCluster, deadlineMs: number): Promise<string> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    const leader = await cluster.leader();
    if (leader !== null) return leader;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no leader within ${deadlineMs} ms`);
}

/** Reads every register from one member's own state (key → value, null: absent). */
type FinalReader = (name: string) => Promise<Map<string, string | null>>;

async function settle(cluster: ChaosCluster, clock: RunClock, readFinal: FinalReader):
  Promise<FinalState> {
  cluster.healAll();
  restartDead(cluster);
  const healedMs = clock.nowMs();
  try {
    await waitForLeader(cluster, 30_000);
  } catch (error) {
    // A cluster that cannot elect a leader after every fault healed is itself a failure:
    // report it (with the logs kept) instead of aborting the run.
    return { reads: new Map(), members: new Map(), converged: false,
      convergeMs: clock.nowMs() - healedMs, recoveryError: String(error) };
  }
  const names = cluster.members();
  const endpoints = names.map((name) => cluster.endpoint(name));
  let converged = false;
  const deadline = Date.now() + 30_000;
  while (!converged && Date.now() < deadline) {
    const statuses = [...(await collectStatus(endpoints, 1000)).values()];
    const applied = new Set(statuses.map((status) => status.raftAppliedIndex));
    converged = statuses.length === names.length && applied.size === 1;
    if (!converged) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const convergeMs = clock.nowMs() - healedMs;
  const reads = new Map<string, Map<string, string | null>>();
  const members = new Map<string, { appliedIndex: number; revision: number; hash: number }>();
  for (const name of names) {
    try {
      reads.set(name, await readFinal(name));
    } catch (error) {
      return { reads, members, converged: false, convergeMs,
        recoveryError: `member ${name} did not answer after healing: ${String(error)}` };
    }
    const client = new EtcdClient(cluster.endpoint(name));
    try {
      const status = await client.call<{ raftAppliedIndex: number; header: { revision: number } }>(
        'Status', {}, 3000);
      const hash = await client.call<{ hash: number }>('Hash', {}, 3000);
      members.set(name, { appliedIndex: status.raftAppliedIndex,
        revision: status.header.revision, hash: hash.hash });
    } finally {
      client.close();
    }
  }
  return { reads, members, converged, convergeMs, recoveryError: '' };
}

async function readAllFrom(endpoint: string, keys: readonly string[]):
  Promise<Map<string, string | null>> {
  const client = new EtcdClient(endpoint);
  const values = new Map<string, string | null>();
  try {
    for (const key of keys) {
      const response = await client.call<{ kvs: Array<{ value: Uint8Array }> }>('Range',
        { key: Buffer.from(key), serializable: true }, 3000);
      const kv = response.kvs[0];
      values.set(key, kv === undefined ? null : Buffer.from(kv.value).toString());
    }
    return values;
  } finally {
    client.close();
  }
}
