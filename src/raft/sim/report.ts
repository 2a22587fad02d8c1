/**
 * @module raft/sim/report
 * Text reports of runs and campaigns, as the CLI prints them. Pure functions from results to
 * lines, so tests can check them and the shell only writes them out.
 */
import type { CampaignSummary, FailedRun } from './campaign.js';
import type { SimResult } from './simulation.js';
import { formatTraceEvent } from './trace.js';
import type { TraceEvent } from './trace.js';

/** Formats one run verbosely: verdict, statistics, faults and its trace. */
export function formatRun(result: SimResult): string[] {
  const options = result.options;
  const verdict = result.failure === undefined ? 'PASS'
    : `FAIL ${result.failure.invariant} at step ${result.failure.step}: ${result.failure.message}`;
  return [
    `seed ${options.seed} size ${options.clusterSize} steps ${result.steps}: ${verdict}`,
    `faults: ${formatCounts(result.faults)}`,
    `stats: ${formatCounts(result.stats)}`,
    `trace (last ${result.trace.length} events):`,
    ...formatTrace(result.trace),
    `replay: ${result.replay}`,
  ];
}

/** Formats a failed run of a campaign: verdict, replay commands and the trace tail. */
export function formatFailedRun(failed: FailedRun, traceLinesMax: number): string[] {
  const lines = [
    `FAIL seed ${failed.options.seed} size ${failed.options.clusterSize}: ` +
      `${failed.failure.invariant} at step ${failed.failure.step}: ${failed.failure.message}`,
    `  replay: ${failed.replay}`,
  ];
  if (failed.shrunk !== undefined) {
    lines.push(`  shrunk: ${failed.shrunk.replay} (fails at step ${failed.shrunk.failure.step})`);
  }
  const tail = failed.trace.slice(Math.max(0, failed.trace.length - traceLinesMax));
  return [...lines, ...formatTrace(tail).map((line) => `  ${line}`)];
}

/** Formats a campaign summary; `elapsedMs` comes from the shell (cores read no clock). */
export function formatSummary(summary: CampaignSummary, elapsedMs: number): string[] {
  const seconds = Math.max(elapsedMs, 1) / 1000;
  const lines = [
    `runs ${summary.runs}, passed ${summary.passed}, failed ${summary.failed.length}, ` +
      `${(summary.runs / seconds).toFixed(1)} runs/s, ${summary.steps} steps in ` +
      `${seconds.toFixed(1)} s`,
    `faults injected: ${formatCounts(summary.faults)}`,
    `totals: ${formatCounts(summary.stats)}`,
  ];
  for (const failed of summary.failed) {
    lines.push(`failed: ${failed.shrunk?.replay ?? failed.replay}  ` +
      `(${failed.failure.invariant})`);
  }
  return lines;
}

/** Formats trace events, one per line. */
export function formatTrace(events: readonly TraceEvent[]): string[] {
  return events.map(formatTraceEvent);
}

/** Formats a record of counters as `key=value` pairs. */
export function formatCounts(counts: object): string {
  return Object.entries(counts as Record<string, number>)
    .map(([key, value]) => `${key}=${value}`).join(' ');
}
