/**
 * @module cli/bench-command
 * `coracle bench`: benchmarks, side by side with etcd when it is installed. `bench kv`
 * measures the etcd v3 key-value API (src/bench/kv-bench.ts); `bench api` (the Kubernetes
 * API) joins it later as a sibling subcommand. `bench noop-server` is the hidden
 * instant-answer server the TypeScript load generator measures its own ceiling against.
 *
 * Everything a run writes goes to one temp dir, removed at the end (kept with --keep); every
 * child process is stopped by PID at the end, on errors and on Ctrl-C.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
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
function progressBar(): Progress {
  const bar = new cliProgress.SingleBar({ stream: process.stderr, hideCursor: true,
    format: 'bench kv [{bar}] {percentage}% | {value}/{total} | {stage}' },
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

async function runKV(flags: KVFlags): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'coracle-bench-'));
  const processes = new ProcessRegistry();
  const progress = progressBar();
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
    const report = await runKVBench(parseKVFlags(flags, directory), { processes, progress });
    progress.stop();
    console.log(flags.json === true ? JSON.stringify(report, null, 2) : renderKVReport(report));
  } finally {
    progress.stop();
    await processes.stopAll();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    cleanUp();
  }
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
