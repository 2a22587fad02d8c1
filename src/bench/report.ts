/**
 * @module bench/report
 * The metric catalogue of `coracle bench kv` and the pure rendering of its one table:
 * metric, Coracle, etcd, ratio. Also decides which figures are client-bound: a figure within
 * 2x of what the same generator reaches against an instant-answer server (its ceiling) says
 * more about the client than about the server, so it is flagged. No IO.
 */
import { assert } from '../util/assert.js';
import type { LoadResult } from './stats.js';

/** The load shapes whose generator ceiling is measured against the no-op server. */
export type CeilingWorkload = 'putSequential' | 'put16' | 'put64' | 'put256' | 'range64';

/** The ceiling workloads in the order they are measured. */
export const ceilingWorkloads: readonly CeilingWorkload[] =
  ['putSequential', 'put16', 'put64', 'put256', 'range64'];

/** Every metric `coracle bench kv` reports. */
export type MetricId =
  | 'putSequentialP50Ms' | 'putSequentialP99Ms'
  | 'put16PerS' | 'put16P99Ms' | 'put64PerS' | 'put64P99Ms' | 'put256PerS' | 'put256P99Ms'
  | 'put256CpuUs'
  | 'rangeLinearizableFollowerPerS' | 'rangeSerializableFollowerPerS'
  | 'watch100FanoutS' | 'watch1000FanoutS'
  | 'failoverMs' | 'rssIdleMb' | 'rssLoadedMb' | 'startToLeaderMs';

/** MetricDefinition says how a metric is shown and compared. */
export interface MetricDefinition {
  readonly id: MetricId;
  readonly label: string;
  readonly unit: 'ms' | 'req/s' | 's' | 'MB' | 'us';
  /** Which direction is better; decides the ratio's orientation. */
  readonly better: 'higher' | 'lower';
  /** The ceiling figure this metric is compared with, when the generator bounds it. */
  readonly ceiling?: { readonly workload: CeilingWorkload;
    readonly field: 'requestsPerS' | 'p50Ms' | 'p99Ms' };
}

/** The metric catalogue, in table order. */
export const metricDefinitions: readonly MetricDefinition[] = [
  { id: 'putSequentialP50Ms', label: 'put latency p50, 1 client', unit: 'ms', better: 'lower',
    ceiling: { workload: 'putSequential', field: 'p50Ms' } },
  { id: 'putSequentialP99Ms', label: 'put latency p99, 1 client', unit: 'ms', better: 'lower',
    ceiling: { workload: 'putSequential', field: 'p99Ms' } },
  ...([16, 64, 256] as const).flatMap((inflight): MetricDefinition[] => [
    { id: `put${inflight}PerS`, label: `put throughput, ${inflight} in flight`, unit: 'req/s',
      better: 'higher', ceiling: { workload: `put${inflight}`, field: 'requestsPerS' } },
    { id: `put${inflight}P99Ms`, label: `put latency p99, ${inflight} in flight`, unit: 'ms',
      better: 'lower', ceiling: { workload: `put${inflight}`, field: 'p99Ms' } },
  ]),
  { id: 'put256CpuUs', label: 'CPU per put, all 3 members, 256 in flight', unit: 'us',
    better: 'lower' },
  { id: 'rangeLinearizableFollowerPerS', label: 'linearizable range, follower, 64 in flight',
    unit: 'req/s', better: 'higher', ceiling: { workload: 'range64', field: 'requestsPerS' } },
  { id: 'rangeSerializableFollowerPerS', label: 'serializable range, follower, 64 in flight',
    unit: 'req/s', better: 'higher', ceiling: { workload: 'range64', field: 'requestsPerS' } },
  { id: 'watch100FanoutS', label: 'watch fan-out, 100 watchers, all events', unit: 's',
    better: 'lower' },
  { id: 'watch1000FanoutS', label: 'watch fan-out, 1000 watchers, all events', unit: 's',
    better: 'lower' },
  { id: 'failoverMs', label: 'leader failover (kill -9 to next put)', unit: 'ms',
    better: 'lower' },
  { id: 'rssIdleMb', label: 'RSS per peer at idle (max)', unit: 'MB', better: 'lower' },
  { id: 'rssLoadedMb', label: 'RSS per peer after loading keys (max)', unit: 'MB',
    better: 'lower' },
  { id: 'startToLeaderMs', label: 'start to elected leader', unit: 'ms', better: 'lower' },
];

/** One system's metric values (null: not measured, with the reason in the notes). */
export type MetricValues = Record<MetricId, number | null>;

/** Returns a MetricValues with every metric unmeasured. */
export function emptyMetricValues(): MetricValues {
  const values = {} as MetricValues;
  for (const definition of metricDefinitions) values[definition.id] = null;
  return values;
}

/** The generator's ceiling per workload (null when that workload was not measured). */
export type Ceilings = Partial<Record<CeilingWorkload, LoadResult>>;

/**
 * Returns whether `value` of `definition` lies within 2x of the generator's ceiling: a
 * throughput at least half the ceiling's, or a latency at most twice the ceiling's.
 */
export function isClientBound(definition: MetricDefinition, value: number | null,
  ceilings: Ceilings): boolean {
  if (value === null || definition.ceiling === undefined) return false;
  const ceiling = ceilings[definition.ceiling.workload];
  if (ceiling === undefined) return false;
  const limit = ceiling[definition.ceiling.field];
  assert(limit > 0, `ceiling ${definition.ceiling.workload} is not positive`);
  return definition.better === 'higher' ? value * 2 >= limit : value <= limit * 2;
}

/** Comparison of one metric between the two systems. */
export interface Comparison {
  /** `Coracle/etcd` for higher-is-better metrics, `etcd/Coracle` for lower-is-better. */
  readonly orientation: 'Coracle/etcd' | 'etcd/Coracle';
  /** Above 1 means Coracle is better. */
  readonly ratio: number;
  readonly better: 'Coracle' | 'etcd' | 'tie';
}

/** Compares Coracle's and etcd's value of `definition`; null when either is missing. */
export function compare(definition: MetricDefinition, coracle: number | null,
  etcd: number | null): Comparison | null {
  if (coracle === null || etcd === null || coracle <= 0 || etcd <= 0) return null;
  const higher = definition.better === 'higher';
  const ratio = higher ? coracle / etcd : etcd / coracle;
  const better = Math.abs(ratio - 1) < 0.005 ? 'tie' : ratio > 1 ? 'Coracle' : 'etcd';
  return { orientation: higher ? 'Coracle/etcd' : 'etcd/Coracle', ratio, better };
}

/** One row of the table, as also printed in the JSON. */
export interface TableRow {
  readonly metric: MetricId;
  readonly label: string;
  readonly unit: MetricDefinition['unit'];
  readonly coracle: number | null;
  readonly etcd: number | null;
  readonly comparison: Comparison | null;
  readonly clientBound: { readonly coracle: boolean; readonly etcd: boolean };
}

/** Builds the table rows from each system's medians and the generator's ceilings. */
export function buildRows(options: { coracle: MetricValues; etcd: MetricValues | null;
  ceilings: Ceilings }): TableRow[] {
  const { coracle, etcd, ceilings } = options;
  return metricDefinitions.map((definition) => {
    const coracleValue = coracle[definition.id];
    const etcdValue = etcd === null ? null : etcd[definition.id];
    return {
      metric: definition.id, label: definition.label, unit: definition.unit,
      coracle: coracleValue, etcd: etcdValue,
      comparison: compare(definition, coracleValue, etcdValue),
      clientBound: { coracle: isClientBound(definition, coracleValue, ceilings),
        etcd: isClientBound(definition, etcdValue, ceilings) },
    };
  });
}

/** Formats a value in its unit: whole requests per second, ms and s to 2 decimals. */
export function formatValue(value: number | null, unit: MetricDefinition['unit']): string {
  if (value === null) return 'n/a';
  switch (unit) {
    case 'req/s': return `${Math.round(value).toLocaleString('en-US')}/s`;
    case 'ms': return `${value.toFixed(2)} ms`;
    case 's': return `${value.toFixed(2)} s`;
    case 'MB': return `${value.toFixed(1)} MB`;
    case 'us': return `${Math.round(value).toLocaleString('en-US')} µs`;
  }
}

function formatComparison(comparison: Comparison | null): string {
  if (comparison === null) return '-';
  const verdict = comparison.better === 'tie' ? 'even' : `${comparison.better} better`;
  return `${comparison.orientation} ${comparison.ratio.toFixed(2)} (${verdict})`;
}

/** Renders rows as an aligned text table; client-bound cells carry a `*` and a footnote. */
export function renderTable(rows: readonly TableRow[], options: { withEtcd: boolean }): string {
  const header = options.withEtcd ? ['metric', 'Coracle', 'etcd', 'ratio'] : ['metric', 'Coracle'];
  const mark = (bound: boolean): string => (bound ? ' *' : '');
  const cells = rows.map((row) => {
    const coracle = formatValue(row.coracle, row.unit) + mark(row.clientBound.coracle);
    if (!options.withEtcd) return [row.label, coracle];
    return [row.label, coracle, formatValue(row.etcd, row.unit) + mark(row.clientBound.etcd),
      formatComparison(row.comparison)];
  });
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const format = (line: readonly string[]): string => line
    .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!)
      : cell.padStart(widths[column]!))).join('  ').trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  const lines = [format(header), rule, ...cells.map(format)];
  if (rows.some((row) => row.clientBound.coracle || row.clientBound.etcd)) {
    lines.push('* client-bound: within 2x of the load generator\'s own ceiling');
  }
  return lines.join('\n');
}

/** Renders the generator's ceiling against the no-op server, one line per workload. */
export function renderCeilings(ceilings: Ceilings): string {
  const names: Record<CeilingWorkload, string> = {
    putSequential: 'put, 1 client', put16: 'put, 16 in flight', put64: 'put, 64 in flight',
    put256: 'put, 256 in flight', range64: 'range, 64 in flight',
  };
  return ceilingWorkloads.filter((workload) => ceilings[workload] !== undefined)
    .map((workload) => {
      const result = ceilings[workload]!;
      return `  ${names[workload].padEnd(20)} ${formatValue(result.requestsPerS, 'req/s')}` +
        `  p50 ${formatValue(result.p50Ms, 'ms')}  p99 ${formatValue(result.p99Ms, 'ms')}`;
    }).join('\n');
}
