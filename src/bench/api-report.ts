/**
 * @module bench/api-report
 * The rows of `coracle bench api` and their verdicts, and the pure rendering of its one
 * table: operation, target, mode, p50, p99, throughput, PASS/FAIL. No IO.
 *
 * Targets a row is checked against (p99 latency):
 * - Kubernetes' API call latency SLO (sig-scalability slos/api_call_latency.md), the floor:
 *   single-object mutating and read calls p99 <= 1 s; LIST of a namespace p99 <= 5 s.
 *   Watch has no upstream SLO yet (its SLI is work in progress).
 * - Ours (the issue): p99 <= 50 ms at 200 requests/s on a follower, for single-object
 *   calls and for watch delivery at 200 writes/s.
 * A row passes when every check that applies passes; a row no check applies to shows "-".
 * Figures within 2x of what the same client reaches against the no-op server (same
 * operation, same mode) are marked client-bound: they say more about the client.
 */
import { medianOrNull } from './stats.js';
import type { PhaseResult } from './api-load.js';
import type { APILoadMode, APIOperation, APITarget } from './api-plan.js';
import { operationShapes } from './api-plan.js';

/** Our p99 target at 200 requests/s on a follower, ms. */
export const ourP99TargetMs = 50;

/** One check of a row's p99 against a limit. */
export interface Check {
  readonly basis: 'ours' | 'kubernetes-slo';
  readonly p99LimitMs: number;
  /** Null when the row has no figure. */
  readonly pass: boolean | null;
}

/** APIRow is one line of the table, as also printed in the JSON. */
export interface APIRow {
  readonly operation: APIOperation;
  readonly target: Exclude<APITarget, 'noop'>;
  readonly mode: APILoadMode;
  /** Open-loop rate (fixed mode), else null. */
  readonly ratePerS: number | null;
  /** Closed-loop clients (saturation), else null. */
  readonly clients: number | null;
  /** Medians over trials (null: no trial had a successful request). */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly throughputPerS: number | null;
  /** Successful requests and errors, summed over trials. */
  readonly requests: number;
  readonly errors: number;
  readonly clientBound: boolean;
  readonly checks: readonly Check[];
  /** PASS when every check passes, FAIL when one fails, null without checks or figures. */
  readonly verdict: 'PASS' | 'FAIL' | null;
}

/** Returns the key of one phase's result. */
export function phaseKey(phase: { operation: APIOperation; target: APITarget;
  mode: APILoadMode }): string {
  return `${phase.operation}/${phase.target}/${phase.mode}`;
}

/** Returns the key of one ceiling phase. */
export function ceilingKey(operation: APIOperation, mode: APILoadMode): string {
  return phaseKey({ operation, target: 'noop', mode });
}

function checksOf(row: Pick<APIRow, 'operation' | 'target' | 'mode' | 'p99Ms'>): Check[] {
  const limits: Array<Omit<Check, 'pass'>> = [];
  const singleObject = ['create', 'get', 'update'].includes(row.operation);
  if (singleObject) limits.push({ basis: 'kubernetes-slo', p99LimitMs: 1_000 });
  if (row.operation === 'list1k' || row.operation === 'list10k') {
    limits.push({ basis: 'kubernetes-slo', p99LimitMs: 5_000 });
  }
  if ((singleObject || row.operation === 'watch') && row.target === 'follower' &&
    row.mode === 'fixed') {
    limits.push({ basis: 'ours', p99LimitMs: ourP99TargetMs });
  }
  return limits.map((limit) => ({ ...limit,
    pass: row.p99Ms === null ? null : row.p99Ms <= limit.p99LimitMs }));
}

function verdictOf(checks: readonly Check[]): APIRow['verdict'] {
  if (checks.length === 0 || checks.some((check) => check.pass === null)) return null;
  return checks.every((check) => check.pass === true) ? 'PASS' : 'FAIL';
}

/** Returns whether a figure lies within 2x of the client's own ceiling. */
export function isClientBound(mode: APILoadMode, figures: { p99Ms: number | null;
  throughputPerS: number | null }, ceiling: PhaseResult | undefined): boolean {
  const load = ceiling?.load;
  if (load === null || load === undefined) return false;
  if (mode === 'fixed') return figures.p99Ms !== null && figures.p99Ms <= 2 * load.p99Ms;
  return figures.throughputPerS !== null && figures.throughputPerS * 2 >= load.requestsPerS;
}

/** Builds one row from every trial's result of that phase and the phase's ceiling. */
export function buildRow(phase: { operation: APIOperation;
  target: Exclude<APITarget, 'noop'>; mode: APILoadMode }, trials: readonly PhaseResult[],
ceiling: PhaseResult | undefined): APIRow {
  const shape = operationShapes[phase.operation];
  const figures = {
    p50Ms: medianOrNull(trials.map((trial) => trial.load?.p50Ms ?? null)),
    p99Ms: medianOrNull(trials.map((trial) => trial.load?.p99Ms ?? null)),
    throughputPerS: medianOrNull(trials.map((trial) => trial.load?.requestsPerS ?? null)),
  };
  const checks = checksOf({ ...phase, p99Ms: figures.p99Ms });
  return { ...phase,
    ratePerS: phase.mode === 'fixed' ? shape.fixedRatePerS : null,
    clients: phase.mode === 'saturation' ? shape.saturationClients : null, ...figures,
    requests: trials.reduce((sum, trial) => sum + (trial.load?.requests ?? 0), 0),
    errors: trials.reduce((sum, trial) => sum + trial.errors, 0),
    clientBound: isClientBound(phase.mode, figures, ceiling), checks,
    verdict: verdictOf(checks) };
}

const operationLabels: Readonly<Record<APIOperation, string>> = {
  create: 'create pod (POST)', get: 'get pod (GET)', update: 'update pod (PUT, rv)',
  list1k: 'list 1,000 pods', list10k: 'list 10,000 pods',
  watch: 'watch delivery (send to event)',
};

function modeLabel(row: Pick<APIRow, 'mode' | 'ratePerS' | 'clients'>): string {
  return row.mode === 'fixed' ? `${row.ratePerS ?? 0}/s` : `sat x${row.clients ?? 0}`;
}

function formatMs(value: number | null): string {
  if (value === null) return 'n/a';
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

function formatVerdict(row: APIRow): string {
  if (row.verdict === null) return row.checks.length === 0 ? '-' : 'n/a';
  const limit = (check: Check): string => (check.basis === 'ours'
    ? `ours ${check.p99LimitMs} ms` : `SLO ${check.p99LimitMs / 1000} s`);
  if (row.verdict === 'PASS') return `PASS (${row.checks.map(limit).join(', ')})`;
  const failed = row.checks.filter((check) => check.pass === false).map(limit);
  const passed = row.checks.filter((check) => check.pass === true).map(limit);
  return `FAIL (${failed.join(', ')}${passed.length === 0 ? '' : `; ${passed.join(', ')} ok`})`;
}

/** Renders the rows as an aligned text table, with footnotes for marks. */
export function renderAPITable(rows: readonly APIRow[]): string {
  const header = ['operation', 'target', 'mode', 'p50 ms', 'p99 ms', 'throughput',
    'p99 verdict'];
  const cells = rows.map((row) => [operationLabels[row.operation], row.target,
    modeLabel(row), formatMs(row.p50Ms), formatMs(row.p99Ms),
    (row.throughputPerS === null ? 'n/a'
      : `${Math.round(row.throughputPerS).toLocaleString('en-US')}/s`) +
    (row.clientBound ? ' *' : ''), formatVerdict(row)]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const numeric = new Set([3, 4, 5]);
  const format = (line: readonly string[]): string => line.map((cell, column) =>
    (numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
    .join('  ').trimEnd();
  const lines = [format(header), widths.map((width) => '-'.repeat(width)).join('  '),
    ...cells.map(format)];
  if (rows.some((row) => row.clientBound)) {
    lines.push('* client-bound: within 2x of the client\'s own ceiling (no-op server)');
  }
  return lines.join('\n');
}

/** Renders the client's ceiling per operation and mode, one line each. */
export function renderAPICeilings(ceilings: ReadonlyMap<string, PhaseResult>,
  operations: readonly APIOperation[]): string {
  const lines: string[] = [];
  for (const operation of operations) {
    for (const mode of ['fixed', 'saturation'] as const) {
      const load = ceilings.get(ceilingKey(operation, mode))?.load;
      if (load === undefined || load === null) continue;
      const shape = operationShapes[operation];
      const label = modeLabel({ mode, ratePerS: shape.fixedRatePerS,
        clients: shape.saturationClients });
      lines.push(`  ${operationLabels[operation].padEnd(31)} ${label.padEnd(7)} ` +
        `${Math.round(load.requestsPerS).toLocaleString('en-US').padStart(7)}/s  ` +
        `p50 ${formatMs(load.p50Ms)} ms  p99 ${formatMs(load.p99Ms)} ms`);
    }
  }
  return lines.join('\n');
}
