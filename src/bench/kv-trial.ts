/**
 * @module bench/kv-trial
 * The measurements of one system trial of `coracle bench kv` on a running cluster, in
 * order: sequential put latency, put throughput at 16/64/256 in flight (to the leader),
 * linearizable and serializable range throughput on a follower, watch fan-out with 100 and
 * 1000 watchers on a follower, then the loaded memory reading. Failover runs after this,
 * in kv-bench.ts, because it restarts members.
 */
import { EtcdClient } from '../server/etcd-client.js';
import type { BenchCluster, SystemName } from './clusters.js';
import { valueBytes } from './generator.js';
import type { LoadGenerator } from './generator.js';
import type { KVBenchOptions, Progress } from './kv-bench.js';
import type { KVBenchPlan } from './plan.js';
import type { ProcessRegistry } from './processes.js';
import type { MetricId, MetricValues } from './report.js';
import type { LoadResult } from './stats.js';
import { sleep } from './wait.js';

/** Put and watch connections per run (clients share them round robin). */
const connections = 8;
/** Bound on one watch fan-out run, seconds. */
const watchMaxTimeS = 120;

/** What one system collected over its trials so far. */
export interface SystemTrials {
  trials: MetricValues[];
  failoverSamplesMs: number[];
  rssMbPerPeer: Array<{ idle: number[]; loaded: number[] }>;
}

/** Everything one system trial needs. */
export interface TrialContext {
  readonly system: SystemName;
  readonly trial: number;
  readonly plan: KVBenchPlan;
  readonly generator: LoadGenerator;
  readonly options: KVBenchOptions;
  readonly context: { processes: ProcessRegistry; progress: Progress };
  readonly notes: string[];
  readonly into: SystemTrials;
}

/** Runs one measurement; a failure becomes a note and a null figure, not an abort. */
export async function attempt<T>(trial: TrialContext, what: string,
  measure: () => Promise<T>): Promise<T | null> {
  try {
    return await measure();
  } catch (error) {
    trial.notes.push(`${trial.system} trial ${trial.trial + 1}: ${what} failed: ` +
      `${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

/** Writes the 256-byte value every range run reads. */
export async function seedRangeKey(endpoint: string): Promise<void> {
  const client = new EtcdClient(endpoint);
  try {
    await client.call('Put', { key: Buffer.from('foo'), value: Buffer.alloc(valueBytes, 'v') });
  } finally {
    client.close();
  }
}

/** Records `result`'s throughput and latency under the given metric ids. */
export function recordLoad(values: MetricValues, result: LoadResult | null,
  ids: { perS?: MetricId; p50Ms?: MetricId; p99Ms?: MetricId }): void {
  if (result === null) return;
  if (ids.perS !== undefined) values[ids.perS] = result.requestsPerS;
  if (ids.p50Ms !== undefined) values[ids.p50Ms] = result.p50Ms;
  if (ids.p99Ms !== undefined) values[ids.p99Ms] = result.p99Ms;
}

/** Runs the load measurements; returns each peer's RSS (MB) after loading the keys. */
export async function measureTrial(cluster: BenchCluster, trial: TrialContext,
  values: MetricValues): Promise<number[]> {
  const { plan, generator, context } = trial;
  const label = `${trial.system} #${trial.trial + 1}`;
  const leaderIndex = await cluster.waitForLeader(plan.waitDeadlineMs);
  const leader = [cluster.endpoints[leaderIndex]!];
  const follower = [cluster.endpoints[(leaderIndex + 1) % cluster.endpoints.length]!];
  context.progress.step(`${label}: warm-up`);
  await attempt(trial, 'warm-up', () => generator.put({ endpoints: leader, clients: 64,
    connections, total: plan.warmupPuts }));
  context.progress.step(`${label}: sequential put`);
  recordLoad(values, await attempt(trial, 'sequential put', () => generator.put({
    endpoints: leader, clients: 1, connections: 1, total: plan.sequentialPuts })),
  { p50Ms: 'putSequentialP50Ms', p99Ms: 'putSequentialP99Ms' });
  for (const clients of [16, 64, 256] as const) {
    context.progress.step(`${label}: put, ${clients} in flight`);
    const cpuBefore = cluster.cpuSeconds();
    const result = await attempt(trial, `put ${clients}`, () => generator.put({
      endpoints: leader, clients, connections, total: plan.throughputPuts[clients] }));
    recordLoad(values, result, { perS: `put${clients}PerS`, p99Ms: `put${clients}P99Ms` });
    if (clients === 256 && result !== null) {
      // CPU seconds are immune to how busy the shared machine is, unlike rates.
      values.put256CpuUs = (cluster.cpuSeconds() - cpuBefore) / plan.throughputPuts[clients] * 1e6;
    }
  }
  await measureRanges({ trial, values, leader, follower, label });
  await measureWatches({ trial, values, leader, follower, label });
  context.progress.step(`${label}: load ${plan.loadedKeys} keys`);
  await attempt(trial, 'loading keys', () => generator.put({ endpoints: leader, clients: 64,
    connections, total: plan.loadedKeys, keySpace: plan.loadedKeys }));
  await sleep(plan.settleMs);
  const loaded = cluster.rssMb();
  values.rssLoadedMb = Math.max(...loaded);
  return loaded;
}

interface StepContext {
  readonly trial: TrialContext;
  readonly values: MetricValues;
  readonly leader: string[];
  readonly follower: string[];
  readonly label: string;
}

async function measureRanges(step: StepContext): Promise<void> {
  const { trial, values, leader, follower, label } = step;
  await attempt(trial, 'seeding the range key', () => seedRangeKey(leader[0]!));
  for (const consistency of ['linearizable', 'serializable'] as const) {
    trial.context.progress.step(`${label}: ${consistency} range on a follower`);
    recordLoad(values, await attempt(trial, `${consistency} range`, () =>
      trial.generator.range({ endpoints: follower, clients: 64, connections,
        total: trial.plan.rangeReads, key: 'foo', consistency })),
    { perS: consistency === 'linearizable' ? 'rangeLinearizableFollowerPerS'
      : 'rangeSerializableFollowerPerS' });
  }
}

async function measureWatches(step: StepContext): Promise<void> {
  const { trial, values, leader, follower, label } = step;
  const [few, many] = trial.plan.watcherCounts;
  for (const watchers of [few, many]) {
    trial.context.progress.step(`${label}: watch fan-out, ${watchers} watchers`);
    const result = await attempt(trial, `watch ${watchers}`, () => trial.generator.watch({
      watchEndpoints: follower, putEndpoints: leader, watchers, puts: trial.plan.watchPuts,
      putClients: 64, maxTimeS: watchMaxTimeS }));
    if (result === null) continue;
    if (!result.complete) {
      trial.notes.push(`${trial.system} trial ${trial.trial + 1}: watch ${watchers}: only ` +
        `${result.eventsReceived} of ${result.eventsExpected} events within ${watchMaxTimeS} s`);
      continue;
    }
    values[watchers === few ? 'watch100FanoutS' : 'watch1000FanoutS'] = result.fanoutS;
  }
}
