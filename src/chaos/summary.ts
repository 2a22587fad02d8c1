/**
 * @module chaos/summary
 * The one-screen text summary of a chaos run: operations by kind and outcome, faults by
 * kind, how long the cluster was unavailable after each fault, and every checker verdict.
 *
 * Unavailability, per fault (times relative to the fault's start):
 * - recovery: until the first ok operation INVOKED at or after the start completed (an
 *   operation already in flight says little about the faulty cluster);
 * - longest gap: the longest stretch without any ok completion, from the start until the
 *   fault ended (or the run ended), closed by the first ok completion after that.
 *
 * Contract: pure and deterministic; the output is bounded (at most `faultLinesMax` fault
 * lines and `anomalyCharsMax` characters of explanation).
 */
import { assert } from '../util/assert.js';
import type { DurabilityResult } from './durability-checker.js';
import type { FaultRecord, History, Operation, OperationKind, Outcome } from './history.js';
import type { LinearizabilityResult, Verdict } from './linearizability.js';
import { formatSeconds } from './linearizability.js';
import type { WatchCheckResult } from './watch-checker.js';

/** SummaryRun is the part of a chaos run the summary and the report read. */
export interface SummaryRun {
  readonly history: History;
  /** The run's planned duration in ms (the timeline ends at the later of it and the data). */
  readonly durationMs?: number;
}

/** SummaryVerdicts are the checker results the summary and the report show. */
export interface SummaryVerdicts {
  readonly linearizability?: LinearizabilityResult;
  readonly watches?: WatchCheckResult;
  readonly agreement?: { readonly verdict: Verdict; readonly detail: string };
  readonly durability?: DurabilityResult;
}

/** FaultAvailability is the unavailability measured after one fault. */
export interface FaultAvailability {
  readonly fault: FaultRecord;
  /** Ms from the fault's start until the first ok operation invoked after it completed. */
  readonly recoveryMs: number | null;
  /** The longest stretch without an ok completion (see the module comment), ms. */
  readonly longestGapMs: number;
}

/** RunSummary is the data behind the text summary. */
export interface RunSummary {
  readonly endMs: number;
  readonly counts: Record<OperationKind, Record<Outcome, number>>;
  readonly faultsByKind: { kind: string; count: number; totalMs: number }[];
  readonly availability: FaultAvailability[];
}

const KINDS: readonly OperationKind[] = ['read', 'write', 'cas'];
const OUTCOMES: readonly Outcome[] = ['ok', 'fail', 'unknown'];
/** Fault lines printed at most; the rest are counted. */
const FAULT_LINES_MAX = 20;
/** Characters of an anomaly explanation printed at most. */
const ANOMALY_CHARS_MAX = 600;

/** Returns the run's last instant: the later of its duration and its last record. */
export function runEndMs(run: SummaryRun): number {
  let endMs = run.durationMs ?? 0;
  for (const op of run.history.operations) endMs = Math.max(endMs, op.completeMs ?? op.invokeMs);
  for (const fault of run.history.faults) endMs = Math.max(endMs, fault.endMs ?? fault.startMs);
  return endMs;
}

/** Returns the index of the first element >= `timeMs` in a sorted array. */
function lowerBound(sorted: readonly number[], timeMs: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < timeMs) low = middle + 1;
    else high = middle;
  }
  return low;
}

function faultAvailability(
  fault: FaultRecord, okOperations: readonly Operation[], okCompletions: readonly number[],
  endMs: number,
): FaultAvailability {
  let recoveryMs: number | null = null;
  for (const op of okOperations) {
    if (op.invokeMs < fault.startMs || op.completeMs === null) continue;
    const sinceMs = op.completeMs - fault.startMs;
    if (recoveryMs === null || sinceMs < recoveryMs) recoveryMs = sinceMs;
  }
  const windowEndMs = fault.endMs ?? endMs;
  let previousMs = fault.startMs;
  let longestGapMs = 0;
  for (let slot = lowerBound(okCompletions, fault.startMs); slot < okCompletions.length;
    slot++) {
    const timeMs = okCompletions[slot]!;
    longestGapMs = Math.max(longestGapMs, timeMs - previousMs);
    previousMs = timeMs;
    if (timeMs > windowEndMs) break;
  }
  if (previousMs <= windowEndMs) longestGapMs = Math.max(longestGapMs, windowEndMs - previousMs);
  assert(longestGapMs >= 0, 'gaps are non-negative');
  return { fault, recoveryMs, longestGapMs };
}

/** Computes the summary data of a run. */
export function computeSummary(run: SummaryRun): RunSummary {
  const endMs = runEndMs(run);
  const counts = Object.fromEntries(KINDS.map((kind) =>
    [kind, Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0]))])) as
    Record<OperationKind, Record<Outcome, number>>;
  for (const op of run.history.operations) counts[op.kind][op.outcome]++;
  const byKind = new Map<string, { kind: string; count: number; totalMs: number }>();
  for (const fault of run.history.faults) {
    const entry = byKind.get(fault.kind) ?? { kind: fault.kind, count: 0, totalMs: 0 };
    entry.count++;
    entry.totalMs += (fault.endMs ?? endMs) - fault.startMs;
    byKind.set(fault.kind, entry);
  }
  const okOperations = run.history.operations.filter((op) => op.outcome === 'ok');
  const okCompletions = okOperations.map((op) => op.completeMs ?? op.invokeMs)
    .sort((a, b) => a - b);
  const availability = [...run.history.faults].sort((a, b) => a.startMs - b.startMs)
    .map((fault) => faultAvailability(fault, okOperations, okCompletions, endMs));
  return { endMs, counts, availability,
    faultsByKind: [...byKind.values()].sort((a, b) => a.kind.localeCompare(b.kind)) };
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function operationLines(summary: RunSummary): string[] {
  const lines = [`  ${pad('', 8)}${OUTCOMES.map((o) => pad(o, 10)).join('')}total`];
  const totals = { ok: 0, fail: 0, unknown: 0 };
  for (const kind of KINDS) {
    const row = summary.counts[kind];
    for (const outcome of OUTCOMES) totals[outcome] += row[outcome];
    const total = OUTCOMES.reduce((sum, outcome) => sum + row[outcome], 0);
    lines.push(`  ${pad(kind, 8)}${OUTCOMES.map((o) => pad(String(row[o]), 10)).join('')}` +
      `${total}`);
  }
  const total = totals.ok + totals.fail + totals.unknown;
  lines.push(`  ${pad('all', 8)}${OUTCOMES.map((o) => pad(String(totals[o]), 10)).join('')}` +
    `${total}`);
  return lines;
}

function faultLines(summary: RunSummary): string[] {
  if (summary.faultsByKind.length === 0) return ['Faults: none'];
  const lines = ['Faults: ' + summary.faultsByKind.map((entry) =>
    `${entry.kind} x${entry.count} (${formatSeconds(entry.totalMs)})`).join(', ')];
  lines.push('Unavailability after each fault (first ok op invoked after the start; ' +
    'longest gap without an ok completion):');
  for (const entry of summary.availability.slice(0, FAULT_LINES_MAX)) {
    const recovery = entry.recoveryMs === null ? 'no ok op afterwards'
      : `first ok after ${formatSeconds(entry.recoveryMs)}`;
    lines.push(`  ${formatSeconds(entry.fault.startMs)} ${entry.fault.kind} ` +
      `${entry.fault.target}: ${recovery}, longest gap ${formatSeconds(entry.longestGapMs)}`);
  }
  const rest = summary.availability.length - FAULT_LINES_MAX;
  if (rest > 0) lines.push(`  ... and ${rest} more faults`);
  return lines;
}

/** Formats the linearizability verdict in one or two lines. */
export function linearizabilityLine(result: LinearizabilityResult): string {
  const steps = result.keys.reduce((sum, key) => sum + key.steps, 0);
  const unknown = result.keys.filter((key) => key.verdict === 'unknown').map((key) => key.key);
  let line = `linearizability: ${result.verdict.toUpperCase()} (${result.keys.length} keys, ` +
    `${steps} search steps)`;
  if (unknown.length > 0) line += `; budget exhausted on ${unknown.slice(0, 5).join(', ')}`;
  if (result.anomaly !== undefined) {
    const text = result.anomaly.explanation;
    line += `\n    ${text.length > ANOMALY_CHARS_MAX ? text.slice(0, ANOMALY_CHARS_MAX) + '...'
      : text}`;
  }
  return line;
}

/** Formats the watch verdict in one line. */
export function watchLine(result: WatchCheckResult): string {
  const broken = result.guarantees.filter((g) => g.verdict === 'violation')
    .map((g) => `${g.guarantee} (${g.violations})`);
  return `watches: ${result.verdict.toUpperCase()} (${result.watchers} watchers, ` +
    `${result.sessions} sessions, ${result.events} events)` +
    (broken.length > 0 ? `; broken: ${broken.join(', ')}` : '');
}

function verdictLines(verdicts: SummaryVerdicts): string[] {
  const lines: string[] = [];
  if (verdicts.linearizability !== undefined) {
    lines.push(linearizabilityLine(verdicts.linearizability));
  }
  if (verdicts.watches !== undefined) lines.push(watchLine(verdicts.watches));
  if (verdicts.agreement !== undefined) {
    lines.push(`agreement: ${verdicts.agreement.verdict.toUpperCase()} ` +
      `(${verdicts.agreement.detail})`);
  }
  if (verdicts.durability !== undefined) {
    const durability = verdicts.durability;
    lines.push(`durability: ${durability.verdict.toUpperCase()} (${durability.finalReads} ` +
      `final reads, ${durability.divergent.length} divergent keys)`);
  }
  return lines.map((line) => `  ${line}`);
}

/** Returns the one-screen text summary of a run and its verdicts. */
export function summarize(run: SummaryRun, verdicts: SummaryVerdicts): string {
  const summary = computeSummary(run);
  const history = run.history;
  const lines = [
    `Chaos run seed ${history.seed}: ${history.operations.length} operations over ` +
      `${formatSeconds(summary.endMs)}, ${history.faults.length} faults, ` +
      `${history.watches.length} watch sessions`,
    'Operations:', ...operationLines(summary), ...faultLines(summary), 'Verdicts:',
    ...verdictLines(verdicts),
  ];
  return lines.join('\n');
}
