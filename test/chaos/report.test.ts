/**
 * Goal: the durability rule, the text summary and the HTML report behave on small runs and
 * stay bounded on a 20,000-operation run.
 * Method: hand-made histories and final reads; the report is checked as text (it contains
 * the SVG, escapes hostile key names, and draws large runs as paths, not one element per
 * operation).
 */
import { describe, expect, it } from 'vitest';
import { checkDurability } from '../../src/chaos/durability-checker.js';
import { checkLinearizability } from '../../src/chaos/linearizability.js';
import { escapeHtml, renderReport } from '../../src/chaos/report-html.js';
import { computeSummary, summarize } from '../../src/chaos/summary.js';
import { checkWatches } from '../../src/chaos/watch-checker.js';
import type { History } from '../../src/chaos/history.js';
import { randomLinearizableHistory, read, write } from './history-builder.js';

function history(partial: Partial<History>): History {
  return { seed: 7, operations: [], watches: [], faults: [], ...partial };
}

describe('durability', () => {
  const operations = [write(1, 'k', 'a', [0, 10]), write(2, 'k', 'b', [20, null], 'unknown')];

  it('accepts peers agreeing on the acknowledged or an unknown value', () => {
    for (const value of ['a', 'b']) {
      const finalReads = new Map([['p0', new Map([['k', value]])], ['p1', new Map([['k', value]])]]);
      expect(checkDurability(operations, finalReads).verdict).toBe('ok');
    }
  });

  it('flags a lost acknowledged write and divergent peers', () => {
    const lost = checkDurability(operations, new Map([['p0', new Map([['k', null]])]]));
    expect(lost.verdict).toBe('violation');
    expect(lost.linearizability.anomaly?.explanation).toContain('returned nothing');
    const split = checkDurability(operations,
      new Map([['p0', new Map([['k', 'a']])], ['p1', new Map([['k', 'b']])]]));
    expect(split.verdict).toBe('violation');
    expect(split.divergent).toEqual([{ key: 'k', values: [
      { peer: 'p0', value: 'a' }, { peer: 'p1', value: 'b' }] }]);
  });
});

describe('summary', () => {
  it('counts operations and measures unavailability after each fault', () => {
    const run = { durationMs: 1000, history: history({
      operations: [
        write(1, 'k', 'a', [0, 10]), read(2, 'k', 'a', [100, 900]),
        write(1, 'k', 'b', [20, 30], 'fail'), write(3, 'k', 'c', [40, null], 'unknown'),
        read(1, 'k', 'a', [600, 650]),
      ],
      faults: [{ kind: 'partition', target: 'p1', startMs: 50, endMs: 500 }],
    }) };
    const summary = computeSummary(run);
    expect(summary.counts.write).toEqual({ ok: 1, fail: 1, unknown: 1 });
    expect(summary.availability[0]).toMatchObject({ recoveryMs: 600, longestGapMs: 600 });
    const text = summarize(run, {
      linearizability: checkLinearizability(run.history.operations),
      agreement: { verdict: 'ok', detail: '3 members agree' },
    });
    expect(text).toContain('partition x1 (0.450 s)');
    expect(text).toContain('0.050 s partition p1: first ok after 0.600 s, longest gap 0.600 s');
    expect(text).toContain('linearizability: OK');
    expect(text.split('\n').length).toBeLessThan(25);
  });
});

describe('HTML report', () => {
  it('renders the timeline, verdicts and the anomaly, escaping recorded text', () => {
    const key = '<script>alert(1)</script>';
    const run = { history: history({
      operations: [write(1, key, 'a', [0, 10]), write(2, key, 'b', [20, 30]),
        read(3, key, 'a', [40, 50])],
      faults: [{ kind: 'kill', target: '<b>p0</b>', startMs: 5, endMs: 25 }],
    }) };
    const verdicts = { linearizability: checkLinearizability(run.history.operations),
      watches: checkWatches(run.history) };
    const html = renderReport(run, verdicts);
    expect(html).toContain('<svg');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>p0</b>');
    expect(html).toContain(escapeHtml(key));
    expect(html).toContain('Anomaly on key');
    expect(html).toContain('VIOLATION');
  });

  it('stays bounded with 20,000 operations (paths, not one element per operation)', () => {
    const operations = randomLinearizableHistory({ seed: 3, keys: 10, operationsPerKey: 2000,
      clients: 8, unknownRate: 0.2, failRate: 0.05 });
    const html = renderReport({ history: history({ operations }) }, {});
    expect(html.match(/<rect/g)?.length ?? 0).toBeLessThan(50);
    expect(html.match(/<path/g)!.length).toBeLessThanOrEqual(80 * 3);
    expect(html.length).toBeLessThan(3_000_000);
  });
});
