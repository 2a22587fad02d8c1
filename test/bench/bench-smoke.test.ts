/**
 * Goal: `coracle bench kv --quick --json` runs end to end on a real 3-peer Coracle cluster
 * and reports every metric with a plausible positive figure, the generator's ceiling, and
 * no leftovers: its temp dir is gone and no child process survives. Not timed: figures are
 * only checked to be positive and finite (watch fan-out may be n/a with the TypeScript
 * generator, which says why in the notes).
 * Method: run the compiled CLI (built by `npm test`) as a child process with TMPDIR set to a
 * directory of the test's own, Coracle only (--no-etcd keeps it well under a minute; the
 * full run compares with etcd), and parse its JSON.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEntry } from '../../src/cli/local-cluster.js';
import type { KVBenchReport } from '../../src/bench/kv-bench.js';
import { metricDefinitions } from '../../src/bench/report.js';

const scratch = mkdtempSync(join(tmpdir(), 'coracle-bench-smoke-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function runBench(args: readonly string[], deadlineMs: number):
  Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [cliEntry(), 'bench', 'kv', ...args], {
      env: { ...process.env, TMPDIR: scratch }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGINT');
      reject(new Error(`bench kv did not finish within ${deadlineMs} ms: ${stderr}`));
    }, deadlineMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

describe('coracle bench kv --quick', () => {
  it('reports every metric with a positive figure and leaves nothing behind', async () => {
    const { code, stdout, stderr } = await runBench(['--quick', '--json', '--no-etcd'], 90_000);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as KVBenchReport;
    expect(report.benchmark).toBe('kv');
    expect(report.systems.etcd).toBeNull();
    expect(report.etcd.note).toMatch(/Coracle alone/);
    const medians = report.systems.coracle.medians;
    for (const { id } of metricDefinitions) {
      const value = medians[id];
      if (id.startsWith('watch') && report.generator.name === 'node') {
        expect(report.notes.join(' ')).toMatch(/watch fan-out needs etcdload/);
        continue;
      }
      expect(value, `${id}; notes: ${report.notes.join(' | ')}`).not.toBeNull();
      expect(Number.isFinite(value) && value! > 0, `${id} = ${value}`).toBe(true);
    }
    expect(medians.rssIdleMb!).toBeLessThan(4096);
    expect(report.ceilings.put64?.requestsPerS).toBeGreaterThan(0);
    expect(report.rows.map((row) => row.metric)).toEqual(metricDefinitions.map((d) => d.id));
    expect(readdirSync(scratch)).toEqual([]);
  });
});
