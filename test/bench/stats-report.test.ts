/**
 * Goal: the pure parts of `coracle bench` compute what the table claims: medians and
 * nearest-rank percentiles, client-bound flags within 2x of the generator's ceiling in the
 * right direction for throughput and latency, ratio orientation (above 1 = Coracle better),
 * and a table with every metric, n/a for missing figures and a footnote for flagged ones.
 * Method: table-driven unit tests over hand-computed values.
 */
import { describe, expect, it } from 'vitest';
import {
  buildRows, compare, emptyMetricValues, formatValue, isClientBound, metricDefinitions,
  renderTable,
} from '../../src/bench/report.js';
import type { Ceilings, MetricDefinition, MetricId } from '../../src/bench/report.js';
import { median, medianOrNull, percentile, summarizeLoad } from '../../src/bench/stats.js';
import { planKVBench } from '../../src/bench/plan.js';
import { processCpuSeconds } from '../../src/bench/clusters.js';
import { AssertionError } from '../../src/util/assert.js';

const definition = (id: MetricId): MetricDefinition =>
  metricDefinitions.find((item) => item.id === id)!;
const ceiling = { requests: 1000, errors: 0, elapsedS: 1, requestsPerS: 10_000, p50Ms: 1,
  p99Ms: 4 };
const ceilings: Ceilings = { putSequential: ceiling, put64: ceiling, range64: ceiling };

describe('median', () => {
  it.each([
    [[5], 5], [[3, 1, 2], 2], [[4, 1, 3, 2], 2.5], [[10, 10, 1], 10],
  ])('median(%j) = %d', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it('refuses no values and skips nulls when asked', () => {
    expect(() => median([])).toThrow(AssertionError);
    expect(medianOrNull([null, 3, null, 1])).toBe(2);
    expect(medianOrNull([null])).toBeNull();
  });
});

describe('percentile (nearest rank)', () => {
  const sorted = Float64Array.from({ length: 100 }, (_, index) => index + 1);
  it.each([[50, 50], [99, 99], [100, 100], [1, 1], [0.5, 1]])('p%d = %d', (percent, want) => {
    expect(percentile(sorted, percent)).toBe(want);
  });

  it('takes the single sample of a one-sample run, and refuses bad input', () => {
    expect(percentile([7], 99)).toBe(7);
    expect(() => percentile([], 50)).toThrow(AssertionError);
    expect(() => percentile([1], 0)).toThrow(AssertionError);
  });

  it('summarizes a load run from unsorted samples', () => {
    const result = summarizeLoad({ latenciesMs: Float64Array.from([3, 1, 2, 4]), errors: 1,
      elapsedS: 2 });
    expect(result).toEqual({ requests: 4, errors: 1, elapsedS: 2, requestsPerS: 2, p50Ms: 2,
      p99Ms: 4 });
  });
});

describe('client-bound flagging', () => {
  it.each([
    ['put64PerS', 5_000, true], ['put64PerS', 4_999, false], ['put64PerS', 12_000, true],
    ['put64P99Ms', 8, true], ['put64P99Ms', 8.01, false],
    ['putSequentialP50Ms', 1.5, true], ['putSequentialP50Ms', 2.5, false],
    ['rangeSerializableFollowerPerS', 6_000, true],
    ['put16PerS', 9_000, false], // no ceiling measured for put16 here
    ['failoverMs', 1, false], // not a generator-bound metric
  ] as const)('%s = %d -> %s', (id, value, bound) => {
    expect(isClientBound(definition(id), value, ceilings)).toBe(bound);
  });

  it('never flags a missing figure', () => {
    expect(isClientBound(definition('put64PerS'), null, ceilings)).toBe(false);
  });
});

describe('comparison', () => {
  it('orients the ratio so that above 1 means Coracle is better', () => {
    expect(compare(definition('put64PerS'), 2000, 1000)).toEqual(
      { orientation: 'Coracle/etcd', ratio: 2, better: 'Coracle' });
    expect(compare(definition('failoverMs'), 2000, 1000)).toEqual(
      { orientation: 'etcd/Coracle', ratio: 0.5, better: 'etcd' });
    expect(compare(definition('rssIdleMb'), 50, 50)?.better).toBe('tie');
    expect(compare(definition('rssIdleMb'), null, 50)).toBeNull();
  });
});

describe('table rendering', () => {
  const coracle = emptyMetricValues();
  const etcd = emptyMetricValues();
  coracle.put64PerS = 6_000;
  etcd.put64PerS = 3_000;
  coracle.failoverMs = 800;
  etcd.failoverMs = 1_200;

  it('prints every metric, the ratio with its verdict, n/a and the client-bound footnote', () => {
    const text = renderTable(buildRows({ coracle, etcd, ceilings }), { withEtcd: true });
    for (const { label } of metricDefinitions) expect(text).toContain(label);
    expect(text).toMatch(/put throughput, 64 in flight\s+6,000\/s \*\s+3,000\/s\s+Coracle\/etcd 2\.00 \(Coracle better\)/);
    expect(text).toMatch(/leader failover.*800\.00 ms\s+1200\.00 ms\s+etcd\/Coracle 1\.50 \(Coracle better\)/);
    expect(text).toContain('n/a');
    expect(text).toContain('* client-bound');
    const widths = new Set(text.split('\n').slice(0, 3).map((line) => line.length));
    expect(widths.size).toBeGreaterThan(0);
  });

  it('prints Coracle alone without etcd', () => {
    const text = renderTable(buildRows({ coracle, etcd: null, ceilings: {} }),
      { withEtcd: false });
    expect(text.split('\n')[0]).toMatch(/^metric\s+Coracle$/);
    expect(text).not.toContain('etcd');
    expect(text).not.toContain('client-bound');
  });

  it.each([
    [1234.6, 'req/s', '1,235/s'], [1.234, 'ms', '1.23 ms'], [0.5, 's', '0.50 s'],
    [12.34, 'MB', '12.3 MB'], [1234.4, 'us', '1,234 µs'], [null, 'ms', 'n/a'],
  ] as const)('formats %s %s as %s', (value, unit, text) => {
    expect(formatValue(value, unit)).toBe(text);
  });
});

describe('process CPU time', () => {
  it('reads this process\'s CPU seconds from /proc and sees them grow with work', () => {
    const before = processCpuSeconds(process.pid);
    // Spin until 50 ms of CPU are counted, bounded by 10 s of wall time (a reading that never
    // moves, or moves by nonsense, fails).
    const start = performance.now();
    let after = before;
    for (let i = 0; i < 1e9 && after - before < 0.05 && performance.now() - start < 10_000; i++) {
      if (i % 100_000 === 0) after = processCpuSeconds(process.pid);
    }
    expect(after - before).toBeGreaterThanOrEqual(0.05);
    expect(after - before).toBeLessThan(1);
    expect(performance.now() - start).toBeLessThan(10_000);
  });
});

describe('plan', () => {
  it('takes at least 5 failover samples per system over a full run', () => {
    for (const trials of [1, 2, 3, 5, 10]) {
      const plan = planKVBench({ trials, quick: false });
      expect(plan.failoversPerTrial * plan.trials).toBeGreaterThanOrEqual(5);
      expect(plan.loadedKeys).toBe(100_000);
    }
    expect(planKVBench({ trials: 3, quick: true }).trials).toBe(1);
  });
});
