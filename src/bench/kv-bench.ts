/**
 * @module bench/kv-bench
 * `coracle bench kv`: Coracle and (when installed) etcd side by side over the etcd v3 API,
 * driven by one load generator. Per trial each system gets a fresh 3-member cluster in the
 * run's temp dir and the same sequence of measurements; the systems alternate per trial
 * (C,E then E,C ...) so drift on a shared machine hits both alike. The generator's own
 * ceiling against a no-op server is measured in the same run, first. Every figure reported
 * is the median over trials; failover is the median over all its samples.
 *
 * Every child process is tracked by the ProcessRegistry the caller passes in and stopped by
 * PID; the caller owns the temp dir and its removal.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../cli/local-cluster.js';
import { CoracleCluster, EtcdCluster } from './clusters.js';
import type { BenchCluster, SystemName } from './clusters.js';
import { EtcdloadGenerator, findEtcdload } from './etcdload-generator.js';
import type { LoadGenerator } from './generator.js';
import { NodeGenerator } from './node-generator.js';
import { planKVBench } from './plan.js';
import type { KVBenchPlan } from './plan.js';
import type { ProcessRegistry } from './processes.js';
import { buildRows, ceilingWorkloads, emptyMetricValues, metricDefinitions } from './report.js';
import type { Ceilings, MetricValues, TableRow } from './report.js';
import { measureFailover } from './failover.js';
import { median, medianOrNull } from './stats.js';
import type { LoadResult } from './stats.js';
import { sleep } from './wait.js';
import { attempt, measureTrial } from './kv-trial.js';
import type { SystemTrials, TrialContext } from './kv-trial.js';

/** KVBenchOptions are the flags of `coracle bench kv`. */
export interface KVBenchOptions {
  readonly generator: 'auto' | 'etcdload' | 'node';
  /** Path of the etcdload binary (else the usual places are searched). */
  readonly etcdloadPath?: string;
  readonly trials: number;
  readonly quick: boolean;
  /** False with --no-etcd: measure Coracle alone even when etcd is installed. */
  readonly etcd: boolean;
  /** The run's temp dir; every cluster's data and logs go below it. */
  readonly directory: string;
}

/** Progress receives one `step` per finished unit of work. */
export interface Progress {
  start(total: number): void;
  step(stage: string): void;
  stop(): void;
}

/** SystemReport is what one system measured over all trials. */
export interface SystemReport {
  readonly medians: MetricValues;
  readonly trials: readonly MetricValues[];
  readonly failoverSamplesMs: readonly number[];
  readonly rssMbPerPeer: ReadonlyArray<{ idle: number[]; loaded: number[] }>;
}

/** KVBenchReport is the whole result, as `--json` prints it. */
export interface KVBenchReport {
  readonly benchmark: 'kv';
  readonly generator: { readonly name: string; readonly description: string };
  readonly plan: KVBenchPlan;
  readonly etcd: { readonly available: boolean; readonly version: string | null;
    readonly note: string | null };
  readonly ceilings: Ceilings;
  readonly systems: { readonly coracle: SystemReport; readonly etcd: SystemReport | null };
  readonly rows: readonly TableRow[];
  readonly notes: readonly string[];
}

/** Returns etcd's version line when `etcd` is on PATH, else null. */
export function etcdVersion(): string | null {
  const result = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) return null;
  return /etcd Version: (\S+)/.exec(result.stdout)?.[1] ?? 'unknown';
}

/** Chooses the load generator the flags ask for. */
export function chooseGenerator(options: KVBenchOptions, processes: ProcessRegistry):
  LoadGenerator {
  const candidates = options.etcdloadPath === undefined ? undefined : [options.etcdloadPath];
  if (options.generator === 'node') return new NodeGenerator(processes);
  const path = findEtcdload(candidates);
  if (path !== null) return new EtcdloadGenerator(path, processes);
  if (options.generator === 'etcdload') {
    throw new Error('etcdload not found: build it with shared/tools/etcdload/build.sh ' +
      'or pass --etcdload PATH');
  }
  return new NodeGenerator(processes);
}

/** Measures the generator against its own no-op server with the plan's workloads. */
async function measureCeilings(generator: LoadGenerator, plan: KVBenchPlan,
  context: { processes: ProcessRegistry; progress: Progress }): Promise<Ceilings> {
  const port = await freePort();
  const server = await generator.startNoopServer(port);
  const endpoints = [`127.0.0.1:${port}`];
  const ceilings: Ceilings = {};
  try {
    for (const workload of ceilingWorkloads) {
      context.progress.step(`generator ceiling: ${workload}`);
      ceilings[workload] = await ceilingRun(generator, plan, { workload, endpoints });
    }
  } finally {
    await context.processes.kill(server);
  }
  return ceilings;
}

function ceilingRun(generator: LoadGenerator, plan: KVBenchPlan, options: {
  workload: (typeof ceilingWorkloads)[number]; endpoints: string[] }): Promise<LoadResult> {
  const { workload, endpoints } = options;
  switch (workload) {
    case 'putSequential':
      return generator.put({ endpoints, clients: 1, connections: 1,
        total: plan.sequentialPuts });
    case 'put16': case 'put64': case 'put256': {
      const clients = Number(workload.slice(3)) as 16 | 64 | 256;
      return generator.put({ endpoints, clients, connections: 8,
        total: plan.throughputPuts[clients] });
    }
    case 'range64':
      return generator.range({ endpoints, clients: 64, connections: 8, total: plan.rangeReads,
        key: 'foo', consistency: 'serializable' });
  }
}

/** Runs the whole benchmark; `progress` sees every step. */
export async function runKVBench(options: KVBenchOptions, context: {
  processes: ProcessRegistry; progress: Progress }): Promise<KVBenchReport> {
  const plan = planKVBench({ trials: options.trials, quick: options.quick });
  const generator = chooseGenerator(options, context.processes);
  const version = options.etcd ? etcdVersion() : null;
  const systems: SystemName[] = version === null ? ['coracle'] : ['coracle', 'etcd'];
  const notes: string[] = [];
  if (generator.watchUnsupported !== null) notes.push(generator.watchUnsupported);
  context.progress.start(ceilingWorkloads.length +
    plan.trials * systems.length * (13 + plan.failoversPerTrial));
  const ceilings = await measureCeilings(generator, plan, context);
  const collected = new Map<SystemName, SystemTrials>(systems.map((system) =>
    [system, { trials: [], failoverSamplesMs: [], rssMbPerPeer: [] }]));
  for (let trial = 0; trial < plan.trials; trial++) {
    const order = trial % 2 === 0 ? systems : [...systems].reverse();
    for (const system of order) {
      await runSystemTrial({ system, trial, plan, generator, options, context, notes,
        into: collected.get(system)! });
    }
  }
  const coracle = summarizeSystem(collected.get('coracle')!);
  const etcdTrials = collected.get('etcd');
  const etcd = etcdTrials === undefined ? null : summarizeSystem(etcdTrials);
  return {
    benchmark: 'kv', generator: { name: generator.name, description: generator.description },
    plan, etcd: { available: version !== null, version, note: etcdNote(options, version) },
    ceilings, systems: { coracle, etcd },
    rows: buildRows({ coracle: coracle.medians, etcd: etcd?.medians ?? null, ceilings }),
    notes,
  };
}

function etcdNote(options: KVBenchOptions, version: string | null): string | null {
  if (!options.etcd) return 'etcd left out (--no-etcd): Coracle alone';
  if (version === null) {
    return 'etcd is not on PATH (Debian: apt-get install etcd-server): Coracle alone';
  }
  return null;
}

function summarizeSystem(collected: SystemTrials): SystemReport {
  const medians = emptyMetricValues();
  for (const { id } of metricDefinitions) {
    medians[id] = medianOrNull(collected.trials.map((trial) => trial[id]));
  }
  medians.failoverMs = collected.failoverSamplesMs.length === 0 ? null
    : median(collected.failoverSamplesMs);
  return { medians, trials: collected.trials, failoverSamplesMs: collected.failoverSamplesMs,
    rssMbPerPeer: collected.rssMbPerPeer };
}

async function runSystemTrial(trial: TrialContext): Promise<void> {
  const { system, plan, options, context } = trial;
  const directory = join(options.directory, `trial-${trial.trial + 1}`, system);
  mkdirSync(directory, { recursive: true });
  const cluster: BenchCluster = system === 'coracle'
    ? await CoracleCluster.create(context.processes, directory)
    : await EtcdCluster.create(context.processes, directory);
  const values = emptyMetricValues();
  try {
    context.progress.step(`${system} #${trial.trial + 1}: start`);
    values.startToLeaderMs = await cluster.start(plan.waitDeadlineMs);
    await sleep(plan.settleMs);
    const idle = cluster.rssMb();
    values.rssIdleMb = Math.max(...idle);
    const loaded = await measureTrial(cluster, trial, values);
    trial.into.rssMbPerPeer.push({ idle, loaded });
    for (let sample = 0; sample < plan.failoversPerTrial; sample++) {
      context.progress.step(`${system} #${trial.trial + 1}: failover ${sample + 1}`);
      const sampleMs = await attempt(trial, 'failover',
        () => measureFailover(cluster, plan.waitDeadlineMs));
      if (sampleMs !== null) trial.into.failoverSamplesMs.push(sampleMs);
    }
  } finally {
    context.progress.step(`${system} #${trial.trial + 1}: stop`);
    await cluster.stop();
    trial.into.trials.push(values);
  }
}

