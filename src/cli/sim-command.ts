/**
 * @module cli/sim-command
 * `coracle sim`: runs deterministic Raft simulation campaigns (src/raft/sim) and prints a
 * progress line, a summary and, for each failing seed, its replay command.
 *
 * ```
 *   coracle sim [--seeds N] [--steps M] [--sizes 3,5,7] [--seed S] [--seed-start S]
 *               [--faults drop,dup,...|all|none] [--workers W] [--no-shrink]
 *   SEED=123 [SIZE=3] [STEPS=3000] [FAULTS=...] npm run sim     # replay one run verbosely
 * ```
 *
 * Contract: the command only parses flags and environment, measures wall time and moves
 * work to worker threads; every decision about a run lives in src/raft/sim. `--seed` (or
 * env SEED) replays that one seed for each size (or env SIZE) with its full trace. The exit
 * code is 1 when any run failed, 0 otherwise. Worker threads load this same file and run one
 * shard of the campaign each (`workerData.kind === 'coracle-sim-shard'`).
 */
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { cpus } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import {
  addResult, campaignRuns, emptySummary, mergeSummaries, runCampaign,
} from '../raft/sim/campaign.js';
import type { CampaignOptions, CampaignSummary } from '../raft/sim/campaign.js';
import { allFaultKinds, parseFaultKinds, simLimits } from '../raft/sim/options.js';
import type { FaultKind } from '../raft/sim/options.js';
import { formatFailedRun, formatRun, formatSummary } from '../raft/sim/report.js';
import { runSimulation } from '../raft/sim/simulation.js';

/** The largest number of worker threads `--workers` accepts. */
const workersMax = 64;
/** Trace lines printed per failing run of a campaign (a replay prints the whole ring). */
const failureTraceLinesMax = 40;

interface SimFlags {
  seeds: number;
  steps: number;
  sizes: number[];
  seed?: number;
  seedStart: number;
  faults: FaultKind[];
  workers: number;
  shrink: boolean;
}

interface ShardMessage {
  readonly kind: 'progress' | 'done';
  readonly done: number;
  readonly failedLines?: string[];
  readonly summary?: CampaignSummary;
}

/** Registers `coracle sim`. */
export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('run deterministic Raft simulation campaigns (replay one with SEED=n)')
    .option('--seeds <n>', 'seeds per cluster size', parseCount, 100)
    .option('--steps <n>', 'steps of the faulty phase of each run', parseCount, 3000)
    .option('--sizes <list>', 'cluster sizes, comma-separated', parseSizes, [3, 5, 7])
    .option('--seed <n>', 'replay this one seed verbosely (env SEED)', parseSeed)
    .option('--seed-start <n>', 'first seed of a campaign', parseSeed, 1)
    .addOption(new Option('--faults <list>', `fault kinds: ${allFaultKinds.join(',')}, all ` +
      'or none (env FAULTS)').argParser(parseFaults).default([...allFaultKinds], 'all'))
    .option('--workers <n>', 'worker threads (1 = run in this thread)', parseWorkers,
      Math.min(2, cpus().length))
    .option('--no-shrink', 'report failures without shrinking them')
    .action(async (raw: SimFlags) => {
      const flags = applyEnvironment(raw);
      const failed = flags.seed !== undefined ? replay(flags) : await campaign(flags);
      if (failed) process.exitCode = 1;
    });
}

function applyEnvironment(flags: SimFlags): SimFlags {
  const env = process.env;
  const result: SimFlags = { ...flags };
  if (env['SEED'] !== undefined && env['SEED'] !== '') result.seed = parseSeed(env['SEED']);
  if (env['STEPS'] !== undefined && env['STEPS'] !== '') result.steps = parseCount(env['STEPS']);
  if (env['SIZE'] !== undefined && env['SIZE'] !== '') result.sizes = parseSizes(env['SIZE']);
  if (env['FAULTS'] !== undefined) result.faults = parseFaults(env['FAULTS']);
  return result;
}

function replay(flags: SimFlags): boolean {
  let failed = false;
  for (const clusterSize of flags.sizes) {
    const result = runSimulation({
      seed: flags.seed!, clusterSize, steps: flags.steps, faults: flags.faults,
    });
    for (const line of formatRun(result)) console.log(line);
    failed ||= !result.ok;
  }
  return failed;
}

async function campaign(flags: SimFlags): Promise<boolean> {
  const options: CampaignOptions = {
    seedStart: flags.seedStart, seeds: flags.seeds, sizes: flags.sizes, steps: flags.steps,
    faults: flags.faults, shrink: flags.shrink,
  };
  const total = campaignRuns(options).length;
  console.log(`sim: ${flags.seeds} seeds from ${flags.seedStart} x sizes ` +
    `${flags.sizes.join(',')} = ${total} runs, ${flags.steps} steps each, faults ` +
    `${flags.faults.join(',') || 'none'}, ${flags.workers} worker(s)`);
  const started = performance.now();
  const progress = makeProgress({ total, started });
  const summary = flags.workers <= 1
    ? runCampaign(options, ({ failed }) => {
      progress(1, failed === null ? [] : formatFailedRun(failed, failureTraceLinesMax));
    })
    : await runSharded(options, flags.workers, progress);
  for (const line of formatSummary(summary, performance.now() - started)) console.log(line);
  return summary.failed.length > 0;
}

function makeProgress({ total, started }: { total: number; started: number }):
  (runs: number, failedLines: readonly string[]) => void {
  let done = 0;
  let failed = 0;
  const every = Math.max(1, Math.floor(total / 10));
  return (runs, failedLines) => {
    const before = done;
    done += runs;
    if (failedLines.length > 0) {
      failed++;
      for (const line of failedLines) console.log(line);
    }
    const crossed = Math.floor(done / every) !== Math.floor(before / every);
    if (!crossed && !(done === total && before !== total)) return;
    const seconds = (performance.now() - started) / 1000;
    console.log(`progress: ${done}/${total} runs, ${failed} failed, ` +
      `${(done / Math.max(seconds, 0.001)).toFixed(1)} runs/s`);
  };
}

function runSharded(options: CampaignOptions, workers: number,
  progress: (runs: number, failedLines: readonly string[]) => void): Promise<CampaignSummary> {
  const shards = Array.from({ length: workers }, (_, index) =>
    new Promise<CampaignSummary>((resolve, reject) => {
      const worker = new Worker(new URL(import.meta.url), {
        workerData: { kind: 'coracle-sim-shard', options: { ...options, shard: {
          index, count: workers } } },
      });
      let last = 0;
      worker.on('message', (message: ShardMessage) => {
        progress(message.done - last, message.failedLines ?? []);
        last = message.done;
        if (message.kind === 'done' && message.summary !== undefined) resolve(message.summary);
      });
      worker.on('error', reject);
      worker.on('exit', (code) => {
        if (code !== 0) reject(new Error(`sim worker ${index} exited with code ${code}`));
      });
    }));
  return Promise.all(shards).then(mergeSummaries);
}

/** Runs one shard of a campaign inside a worker thread and reports to the parent. */
function runShard(options: CampaignOptions): void {
  const port = parentPort;
  if (port === null) return;
  const summary = emptySummary();
  const runs = campaignRuns(options);
  for (const run of runs) {
    const failed = addResult(summary, runSimulation(run), options.shrink);
    const failedLines = failed === null ? [] : formatFailedRun(failed, failureTraceLinesMax);
    if (failed !== null || summary.runs % 10 === 0) {
      port.postMessage({ kind: 'progress', done: summary.runs, failedLines });
    }
  }
  port.postMessage({ kind: 'done', done: summary.runs, summary });
}

function parseCount(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1 || value > simLimits.stepsMax) {
    throw new InvalidArgumentError(`expected an integer in 1..${simLimits.stepsMax}`);
  }
  return value;
}

function parseWorkers(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1 || value > workersMax) {
    throw new InvalidArgumentError(`expected 1..${workersMax} workers`);
  }
  return value;
}

function parseSeed(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError('expected a non-negative integer seed');
  }
  return value;
}

function parseSizes(text: string): number[] {
  const sizes = text.split(',').map((part) => Number(part.trim()));
  if (sizes.some((size) => !Number.isSafeInteger(size) || size < 1 ||
    size > simLimits.clusterSizeMax)) {
    throw new InvalidArgumentError(`expected sizes in 1..${simLimits.clusterSizeMax}`);
  }
  return sizes;
}

function parseFaults(text: string): FaultKind[] {
  const { faults, unknown } = parseFaultKinds(text);
  if (unknown.length > 0) {
    throw new InvalidArgumentError(`unknown fault kinds: ${unknown.join(',')} (known: ` +
      `${allFaultKinds.join(',')})`);
  }
  return faults;
}

if (!isMainThread && isShardData(workerData)) runShard(workerData.options);

function isShardData(data: unknown): data is { kind: string; options: CampaignOptions } {
  return typeof data === 'object' && data !== null &&
    (data as { kind?: unknown }).kind === 'coracle-sim-shard';
}
