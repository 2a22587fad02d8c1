/**
 * Goal: `coracle bench api --quick --json` runs end to end on a real 3-peer Coracle cluster
 * and reports every row (each quick operation, on a follower and on the leader, at a fixed
 * rate and at saturation) with finite positive figures, the client's ceiling for every
 * operation and mode, and no leftovers: its temp dir is gone. Not timed: figures are only
 * checked to be numbers, never compared with targets (the machine may be busy).
 * Method: run the compiled CLI (built by `npm test`) as a child process with TMPDIR set to a
 * directory of the test's own and the hidden --phase-ms knob making every phase short, and
 * parse its JSON.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEntry } from '../../src/cli/local-cluster.js';
import type { APIBenchReport } from '../../src/bench/api-bench.js';
import { ceilingKey } from '../../src/bench/api-report.js';

const scratch = mkdtempSync(join(tmpdir(), 'coracle-bench-api-smoke-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function runBench(args: readonly string[], deadlineMs: number):
  Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [cliEntry(), 'bench', 'api', ...args], {
      env: { ...process.env, TMPDIR: scratch }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGINT');
      reject(new Error(`bench api did not finish within ${deadlineMs} ms: ${stderr}`));
    }, deadlineMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

const quickOperations = ['create', 'get', 'update', 'list1k', 'watch'] as const;
const modes = ['fixed', 'saturation'] as const;

describe('coracle bench api --quick', () => {
  it('reports every row with numbers and leaves nothing behind', async () => {
    const { code, stdout, stderr } = await runBench(
      ['--quick', '--json', '--phase-ms', '150'], 150_000);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as APIBenchReport;
    expect(report.benchmark).toBe('api');
    expect(report.plan.operations).toEqual(quickOperations);
    const expected = (['follower', 'leader'] as const).flatMap((target) =>
      quickOperations.flatMap((operation) => modes.map((mode) => ({ operation, target, mode }))));
    expect(report.rows.map(({ operation, target, mode }) => ({ operation, target, mode })))
      .toEqual(expected);
    const notes = report.notes.join(' | ');
    for (const row of report.rows) {
      const label = `${row.operation}/${row.target}/${row.mode}; notes: ${notes}`;
      for (const value of [row.p50Ms, row.p99Ms, row.throughputPerS]) {
        expect(value, label).not.toBeNull();
        expect(Number.isFinite(value) && value! > 0, `${label} = ${value}`).toBe(true);
      }
      expect(row.requests, label).toBeGreaterThan(0);
      expect(['PASS', 'FAIL', null]).toContain(row.verdict);
    }
    for (const operation of quickOperations) {
      for (const mode of modes) {
        expect(report.ceilings[ceilingKey(operation, mode)]?.requestsPerS, `${operation} ` +
          `${mode}; notes: ${notes}`).toBeGreaterThan(0);
      }
    }
    expect(readdirSync(scratch)).toEqual([]);
  });
});
