/**
 * @module cli/bench-command
 * `coracle bench`: benchmarks, side by side with etcd when it is installed. `bench kv`
 * measures the etcd v3 key-value API (src/bench/kv-bench.ts); `bench api` measures the
 * Kubernetes REST API on a follower and on the leader (src/bench/api-bench.ts). `bench
 * noop-server` is the hidden instant-answer server the TypeScript load generator measures
 * its own ceiling against.
 *
 * Everything a run writes goes to one temp dir, removed at the end (kept with --keep); every
 * child process is stopped by PID at the end, on errors and on Ctrl-C.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { Option } from 'commander';
import type { Command } from 'commander';
import { runAPIBench } from '../bench/api-bench.js';
import type { APIBenchOptions, APIBenchReport } from '../bench/api-bench.js';
import { renderAPICeilings, renderAPITable } from '../bench/api-report.js';
import { runKVBench } from '../bench/kv-bench.js';
import type { KVBenchOptions, KVBenchReport, Progress } from '../bench/kv-bench.js';
import { startNoopServer } from '../bench/noop-server.js';
import { ProcessRegistry } from '../bench/processes.js';
import { renderCeilings, renderTable } from '../bench/report.js';

interface KVFlags {
  generator: string;
  etcdload?: string;
  trials: string;
  quick?: boolean;
  json?: boolean;
  keep?: boolean;
  etcd: boolean;
}

function parseKVFlags(flags: KVFlags, directory: string): KVBenchOptions {
  const trials = Number(flags.trials);
  if (!Number.isSafeInteger(trials) || trials < 1 || trials > 100) {
    throw new Error(`--trials must be an integer from 1 to 100, got "${flags.trials}"`);
  }
  if (!['auto', 'etcdload', 'node'].includes(flags.generator)) {
    throw new Error(`--generator must be auto, etcdload or node, got "${flags.generator}"`);
  }
  return { generator: flags.generator as KVBenchOptions['generator'], trials,
    quick: flags.quick === true, etcd: flags.etcd, directory,
    ...(flags.etcdload === undefined ? {} : { etcdloadPath: flags.etcdload }) };
}

/** A progress bar on stderr (drawn only when stderr is a terminal). */
function progressBar(name: string): Progress {
  const bar = new cliProgress.SingleBar({ stream: process.stderr, hideCursor: true,
    format: `bench ${name} [{bar}] {percentage}% | {value}/{total} | {stage}` },
  cliProgress.Presets.shades_classic);
  return {
    start: (total) => bar.start(total, 0, { stage: 'starting' }),
    step: (stage) => bar.increment(1, { stage }),
    stop: () => bar.stop(),
  };
}

/** Renders the human-readable report: generator, its ceiling, the table, notes. */
export function renderKVReport(report: KVBenchReport): string {
  const withEtcd = report.systems.etcd !== null;
  const lines = [`coracle bench kv — load generator: ${report.generator.description}`,
    `trials: ${report.plan.trials} (medians; failover over ` +
    `${report.systems.coracle.failoverSamplesMs.length} samples)` +
    (withEtcd ? `, etcd ${report.etcd.version ?? ''}, alternating per trial` : ''),
    'generator ceiling against an instant-answer server (same run):',
    renderCeilings(report.ceilings), '', renderTable(report.rows, { withEtcd })];
  if (report.etcd.note !== null) lines.push('', report.etcd.note);
  if (report.notes.length > 0) lines.push('', 'notes:', ...report.notes.map((n) => `  ${n}`));
  return lines.join('\n');
}

/**
 * Runs one benchmark in a fresh temp dir with a progress bar and prints its report; every
 * child is stopped by PID and the dir removed (unless --keep) on every way out.
 */
async function runBench<R>(name: string, flags: { json?: boolean; keep?: boolean },
  bench: (directory: string, context: { processes: ProcessRegistry; progress: Progress }) =>
    Promise<R>, render: (report: R) => string): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'coracle-bench-'));
  const processes = new ProcessRegistry();
  const progress = progressBar(name);
  const cleanUp = (): void => {
    if (flags.keep === true) console.error(`kept ${directory}`);
    else rmSync(directory, { recursive: true, force: true });
  };
  const interrupt = (signal: NodeJS.Signals): void => {
    progress.stop();
    processes.killAllNow();
    cleanUp();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const report = await bench(directory, { processes, progress });
    progress.stop();
    console.log(flags.json === true ? JSON.stringify(report, null, 2) : render(report));
  } finally {
    progress.stop();
    await processes.stopAll();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    cleanUp();
  }
}

function runKV(flags: KVFlags): Promise<void> {
  return runBench('kv', flags, (directory, context) =>
    runKVBench(parseKVFlags(flags, directory), context), renderKVReport);
}

interface APIFlags {
  trials: string;
  quick?: boolean;
  json?: boolean;
  keep?: boolean;
  phaseMs?: string;
}

function parseAPIFlags(flags: APIFlags, directory: string): APIBenchOptions {
  const trials = Number(flags.trials);
  if (!Number.isSafeInteger(trials) || trials < 1 || trials > 100) {
    throw new Error(`--trials must be an integer from 1 to 100, got "${flags.trials}"`);
  }
  const phaseMs = flags.phaseMs === undefined ? undefined : Number(flags.phaseMs);
  if (phaseMs !== undefined && (!Number.isSafeInteger(phaseMs) || phaseMs < 10 ||
    phaseMs > 600_000)) {
    throw new Error(`--phase-ms must be an integer from 10 to 600000, got "${flags.phaseMs}"`);
  }
  return { trials, quick: flags.quick === true, directory,
    ...(phaseMs === undefined ? {} : { phaseMs }) };
}

/** Renders the human-readable report of `bench api`: client ceiling, the table, notes. */
export function renderAPIReport(report: APIBenchReport): string {
  const ceilings = new Map(Object.entries(report.ceilings).map(([key, load]) =>
    [key, { load, errors: 0, firstError: null }]));
  const lines = [`coracle bench api — 3 peers, client: ${report.client}`,
    `trials: ${report.plan.trials} (medians); phases: fixed rate ${report.plan.fixedPhaseMs} ms, ` +
    `saturation ${report.plan.saturationPhaseMs} ms, each after a ${report.plan.warmUpMs} ms ` +
    'warm-up; fixed rate is open-loop (latency from the scheduled send)',
    'client ceiling against an instant-answer server (same run):',
    renderAPICeilings(ceilings, report.plan.operations), '', renderAPITable(report.rows)];
  if (report.notes.length > 0) lines.push('', 'notes:', ...report.notes.map((n) => `  ${n}`));
  return lines.join('\n');
}

function runAPI(flags: APIFlags): Promise<void> {
  return runBench('api', flags, (directory, context) =>
    runAPIBench(parseAPIFlags(flags, directory), context), renderAPIReport);
}

/** Registers `coracle bench` and its subcommands. */
export function registerBenchCommand(program: Command): void {
  const bench = program.command('bench')
    .description('benchmarks, side by side with etcd when installed');
  bench.command('kv')
    .description('etcd v3 key-value API: 3-peer Coracle vs 3-member etcd, same load generator')
    .option('--generator <name>', 'auto (etcdload when found), etcdload or node', 'auto')
    .option('--etcdload <path>', 'path of the etcdload binary (shared/tools/etcdload)')
    .option('--trials <n>', 'trials per system; figures are medians', '3')
    .option('--quick', 'smoke run: 1 trial, small totals (not comparable figures)')
    .option('--no-etcd', 'measure Coracle alone even when etcd is installed')
    .option('--json', 'print the report as JSON on stdout')
    .option('--keep', 'keep the temp dir (data and logs of every cluster)')
    .action((flags: KVFlags) => runKV(flags));
  bench.command('api')
    .description('Kubernetes API of a 3-peer cluster: follower and leader, fixed rate and ' +
      'saturation')
    .option('--trials <n>', 'trials (a fresh cluster each); figures are medians', '3')
    .option('--quick', 'smoke run: 1 trial, short phases, no 10,000-pod list')
    .option('--json', 'print the report as JSON on stdout')
    .option('--keep', 'keep the temp dir (data and logs of every cluster)')
    .addOption(new Option('--phase-ms <ms>', 'every phase this long (smoke tests)').hideHelp())
    .action((flags: APIFlags) => runAPI(flags));
  bench.command('noop-server', { hidden: true })
    .description('instant-answer KV server for the TypeScript generator\'s ceiling')
    .requiredOption('--listen <host:port>', 'where to listen')
    .action(async (flags: { listen: string }) => {
      const server = await startNoopServer(flags.listen);
      const stop = (): void => server.tryShutdown(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
