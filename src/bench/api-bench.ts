/**
 * @module bench/api-bench
 * `coracle bench api`: the Kubernetes REST API of a 3-peer Coracle cluster, measured on a
 * follower and on the leader — create, get, update, list of 1,000 and 10,000 pods, and
 * watch delivery — each open-loop at a fixed rate and closed-loop at saturation. Every trial
 * gets a fresh cluster (api-trial.ts); figures are medians over trials. After the first
 * trial the client's own ceiling is measured against a no-op HTTP server on a worker thread
 * answering with the bodies that trial's cluster returned, with the cluster stopped so the
 * ceiling is not shared with idle peers.
 *
 * Every child process is tracked by the ProcessRegistry the caller passes in and stopped by
 * PID; the caller owns the temp dir and its removal.
 */
import { availableParallelism } from 'node:os';
import type { PhaseResult } from './api-load.js';
import { startNoopAPIWorker } from './api-noop-server.js';
import type { NoopBodies } from './api-noop-server.js';
import { UpdatePool } from './api-operations.js';
import { runPhase } from './api-phase.js';
import { planAPIBench, updatePodsMax } from './api-plan.js';
import type { APIBenchPlan } from './api-plan.js';
import { buildRow, ceilingKey, phaseKey } from './api-report.js';
import type { APIRow } from './api-report.js';
import { runAPITrial, sequence } from './api-trial.js';
import type { APIRunContext } from './api-trial.js';
import type { Progress } from './kv-bench.js';
import type { ProcessRegistry } from './processes.js';
import type { LoadResult } from './stats.js';

/** APIBenchOptions are the flags of `coracle bench api`. */
export interface APIBenchOptions {
  readonly trials: number;
  readonly quick: boolean;
  /** Hidden knob for smoke tests: every phase this long, ms. */
  readonly phaseMs?: number;
  /** The run's temp dir; every cluster's data and logs go below it. */
  readonly directory: string;
}

/** APIBenchReport is the whole result, as `--json` prints it. */
export interface APIBenchReport {
  readonly benchmark: 'api';
  readonly client: string;
  readonly plan: APIBenchPlan;
  /** The client's ceiling by `ceilingKey` (operation/noop/mode); null: not measured. */
  readonly ceilings: Record<string, LoadResult | null>;
  readonly rows: readonly APIRow[];
  /** Every trial's figures by `phaseKey`. */
  readonly trials: ReadonlyArray<Record<string, LoadResult | null>>;
  readonly notes: readonly string[];
}

/** Measures the client against the no-op server: every operation, both modes. */
async function measureCeilings(bodies: NoopBodies, context: APIRunContext):
  Promise<Map<string, PhaseResult>> {
  const { plan } = context;
  const noop = await startNoopAPIWorker(bodies);
  const ceilings = new Map<string, PhaseResult>();
  const updatePool = new UpdatePool(Array.from({ length: updatePodsMax }, (_, index) =>
    String(index + 1)));
  const nextSeq = sequence();
  try {
    for (const operation of plan.operations) {
      for (const mode of ['fixed', 'saturation'] as const) {
        context.progress.step(`client ceiling: ${operation} ${mode}`);
        ceilings.set(ceilingKey(operation, mode), await runPhase({ endpoint: noop.endpoint,
          operation, mode, durationMs: plan.ceilingPhaseMs,
          warmUpMs: Math.min(plan.warmUpMs, plan.ceilingPhaseMs), updatePool, nextSeq,
          requestTimeoutMs: plan.requestTimeoutMs }));
      }
    }
  } finally {
    await noop.stop();
  }
  return ceilings;
}

function plainResults(results: ReadonlyMap<string, PhaseResult>):
  Record<string, LoadResult | null> {
  return Object.fromEntries([...results].map(([key, result]) => [key, result.load]));
}

function buildRows(plan: APIBenchPlan, trials: ReadonlyArray<ReadonlyMap<string, PhaseResult>>,
  ceilings: ReadonlyMap<string, PhaseResult>): APIRow[] {
  const rows: APIRow[] = [];
  for (const target of ['follower', 'leader'] as const) {
    for (const operation of plan.operations) {
      for (const mode of ['fixed', 'saturation'] as const) {
        const key = phaseKey({ operation, target, mode });
        const results = trials.flatMap((trial) => {
          const result = trial.get(key);
          return result === undefined ? [] : [result];
        });
        rows.push(buildRow({ operation, target, mode }, results,
          ceilings.get(ceilingKey(operation, mode))));
      }
    }
  }
  return rows;
}

/** Runs the whole benchmark; `progress` sees every step. */
export async function runAPIBench(options: APIBenchOptions, context: {
  processes: ProcessRegistry; progress: Progress }): Promise<APIBenchReport> {
  const plan = planAPIBench({ trials: options.trials, quick: options.quick,
    ...(options.phaseMs === undefined ? {} : { phaseMs: options.phaseMs }) });
  const notes: string[] = [];
  const run: APIRunContext = { plan, processes: context.processes,
    progress: context.progress, directory: options.directory, notes };
  const phasesPerTrial = 2 * plan.operations.length * 2;
  context.progress.start(plan.trials * (phasesPerTrial + 3) + plan.operations.length * 2);
  const trials: Array<Map<string, PhaseResult>> = [];
  let ceilings = new Map<string, PhaseResult>();
  for (let trial = 0; trial < plan.trials; trial++) {
    const outcome = await runAPITrial(run, trial, { captureNoopBodies: trial === 0 });
    trials.push(outcome.results);
    if (outcome.bodies !== null) {
      try {
        ceilings = await measureCeilings(outcome.bodies, run);
      } catch (error) {
        notes.push(`client ceiling not measured: ${String(error)}`);
      }
    }
  }
  return {
    benchmark: 'api',
    client: `node:http Agent (keep-alive, maxSockets = concurrency), one event loop; ` +
      `no-op server on a worker thread; ${availableParallelism()} cores`,
    plan, ceilings: plainResults(ceilings), rows: buildRows(plan, trials, ceilings),
    trials: trials.map(plainResults), notes,
  };
}

