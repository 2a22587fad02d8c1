/**
 * @module cli/chaos-command
 * `coracle chaos`: a real multi-process cluster, a workload, faults on a seeded schedule,
 * a recorded history, and the checkers' verdicts. Exit status 1 on any violation.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkRun } from '../chaos/checks.js';
import type { ChaosVerdicts } from '../chaos/checks.js';
import { faultKinds } from '../chaos/faults.js';
import type { FaultKind } from '../chaos/faults.js';
import { renderReport } from '../chaos/report-html.js';
import { discardRun, runChaos, workloadKinds } from '../chaos/run.js';
import type { ChaosRun, WorkloadKind } from '../chaos/run.js';
import { summarize } from '../chaos/summary.js';

interface ChaosFlags {
  seed: string;
  duration: string;
  faults: string;
  peers: string;
  clients: string;
  watchers: string;
  keys: string;
  workload: string;
  report: string;
  json?: string;
  keepData?: boolean;
  unsafeServeStaleReads?: boolean;
  unsafeAckBeforeFsync?: boolean;
  snapshotEntries?: string;
}

/** Parses `30s`, `2m`, `1500ms` or a bare number of seconds into milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (match === null) throw new Error(`--duration: expected e.g. 60s, 2m or 1500ms, got "${text}"`);
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  return Math.round(unit === 'ms' ? value : unit === 's' ? value * 1000 : value * 60_000);
}

/** Parses `--faults kill,pause,...` (or `all`, `none`). */
export function parseFaults(text: string): FaultKind[] {
  if (text === 'all') return [...faultKinds];
  if (text === 'none') return [];
  const kinds = text.split(',').map((kind) => kind.trim()).filter((kind) => kind !== '');
  for (const kind of kinds) {
    if (!(faultKinds as readonly string[]).includes(kind)) {
      throw new Error(`--faults: unknown fault "${kind}" (known: ${faultKinds.join(', ')})`);
    }
  }
  return kinds as FaultKind[];
}

/** Parses `--workload kv|k8s`. */
export function parseWorkload(text: string): WorkloadKind {
  const kind = workloadKinds.find((known) => known === text.trim());
  if (kind === undefined) {
    throw new Error(`--workload: unknown workload "${text}" (known: ${workloadKinds.join(', ')})`);
  }
  return kind;
}

function positive(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${flag} must be positive`);
  return value;
}

/** Registers `coracle chaos`. */
export function registerChaosCommand(program: Command): void {
  program
    .command('chaos')
    .description('fault injection against a live local cluster, with history checking')
    .option('--seed <n>', 'seed of the fault schedule (replays the same faults)', '1')
    .option('--duration <time>', 'how long faults are injected (e.g. 60s, 5m)', '60s')
    .option('--faults <list>', `fault kinds, or all/none: ${faultKinds.join(',')}`, 'all')
    .option('--peers <n>', 'control-plane peers', '3')
    .option('--clients <n>', 'register clients (spread over the peers)', '6')
    .option('--watchers <n>', 'watchers (spread over the peers)', '3')
    .option('--keys <n>', 'registers (etcd keys or ConfigMaps) the clients share', '5')
    .option('--workload <kind>', 'kv: etcd registers and watches; k8s: ConfigMaps through ' +
      'the Kubernetes API of random peers, with informer-style watchers', 'kv')
    .option('--report <file>', 'where to write the HTML report', 'chaos-report.html')
    .option('--json <file>', 'also write the history and verdicts as JSON')
    .option('--keep-data', 'keep the cluster\'s data dirs and logs')
    .option('--snapshot-entries <n>', 'peers snapshot every n applied entries (small values ' +
      'exercise snapshots and catch-up by snapshot under faults); their write-ahead logs ' +
      'then also start a new segment every 32 KiB, so segment changes and compaction are hit')
    .option('--unsafe-serve-stale-reads', 'DEBUG: run peers that skip ReadIndex (must fail)')
    .option('--unsafe-ack-before-fsync', 'DEBUG: run peers that ack before fsync (must fail)')
    .action(async (flags: ChaosFlags) => {
      const run = await runChaos({
        seed: Number(flags.seed), durationMs: parseDuration(flags.duration),
        faults: parseFaults(flags.faults), peers: positive(flags.peers, '--peers'),
        clients: positive(flags.clients, '--clients'),
        watchers: Number(flags.watchers), keys: positive(flags.keys, '--keys'),
        workload: parseWorkload(flags.workload),
        serverArgs: [
          ...(flags.snapshotEntries === undefined ? []
            : ['--snapshot-entries', String(positive(flags.snapshotEntries, '--snapshot-entries')),
              '--wal-segment-bytes', '32768']),
          ...(flags.unsafeServeStaleReads === true ? ['--unsafe-serve-stale-reads'] : []),
          ...(flags.unsafeAckBeforeFsync === true ? ['--unsafe-ack-before-fsync'] : []),
        ],
        keepData: flags.keepData === true, log: (line) => console.error(line),
      });
      const verdicts = checkRun(run);
      report(run, verdicts, flags);
      if (verdicts.violated) {
        process.exitCode = 1;
        console.log(`data and logs of the violating run kept in ${run.directory}`);
      } else if (flags.keepData !== true) {
        discardRun(run);
      }
    });
}

function report(run: ChaosRun, verdicts: ChaosVerdicts, flags: ChaosFlags): void {
  console.log(summarize(run, verdicts));
  writeFileSync(flags.report, renderReport(run, verdicts));
  console.log(`HTML report: ${flags.report}`);
  if (flags.json !== undefined) {
    writeFileSync(flags.json, JSON.stringify({
      history: run.history, verdicts,
      finalState: { ...run.finalState, reads: [...run.finalState.reads].map(([peer, values]) =>
        [peer, [...values]]), members: [...run.finalState.members] },
    }));
  }
  if (flags.keepData === true && !verdicts.violated) {
    console.log(`data and logs kept in ${run.directory}`);
  }
}
