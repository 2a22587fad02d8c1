/**
 * Goal: the user-facing commands around a cluster work as the README says: `coracle up`
 * starts a local cluster, prints its endpoints and leader, stops every peer on Ctrl-C and
 * resumes the same cluster (and data) on a second run; `coracle status` reports exactly one
 * leader with terms, indexes and lag, as a table and as JSON.
 * Method: the compiled CLI as child processes on 127.0.0.1 free ports in a temp dir; waits
 * poll output with deadlines; every process is stopped by PID in teardown.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliEntry } from '../../src/cli/local-cluster.js';
import type { ClusterLayout } from '../../src/cli/local-cluster.js';
import { EtcdClient } from '../../src/server/etcd-client.js';

const children: ChildProcess[] = [];
const directories: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  for (const directory of directories.splice(0)) {
    rmSync(directory, { recursive: true, force: true });
  }
});

function startUp(directory: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [cliEntry(), 'up', '--dir', directory],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output };
}

async function waitForOutput(output: () => string, pattern: RegExp, deadlineMs = 30_000):
  Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!pattern.test(output())) {
    if (Date.now() > deadline) throw new Error(`no ${String(pattern)} in: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stopUp(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  return exited;
}

function endpoints(directory: string): string[] {
  const layout = JSON.parse(readFileSync(join(directory, 'cluster.json'), 'utf8')) as
    ClusterLayout;
  return layout.peers.map((peer) => `127.0.0.1:${peer.clientPort}`);
}

function livePeers(directory: string): number {
  const result = spawnSync('pgrep', ['-f', join(directory, 'data')], { encoding: 'utf8' });
  return result.stdout.split('\n').filter((line) => line.trim() !== '').length;
}

function kubectl(directory: string, args: readonly string[]): { status: number | null;
  stdout: string; stderr: string } {
  const home = join(directory, 'home');
  return spawnSync('kubectl', ['--cache-dir', join(home, 'cache'), ...args], {
    encoding: 'utf8', timeout: 30_000,
    env: { ...process.env, HOME: home, KUBECONFIG: join(directory, 'kubeconfig') },
  });
}

/**
 * The kubeconfig `up` wrote works at once, through the balancer; after kill -9 of one peer,
 * kubectl keeps working through the balancer and `up` restarts the peer.
 */
async function checkKubectlSurvivesPeerKill(directory: string, output: () => string):
  Promise<void> {
  const deadline = Date.now() + 20_000;
  let namespaces = kubectl(directory, ['get', 'ns', '-o', 'name']);
  while (!namespaces.stdout.includes('namespace/kube-system') && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    namespaces = kubectl(directory, ['get', 'ns', '-o', 'name']);
  }
  expect(namespaces.stdout).toContain('namespace/default');
  const victim = spawnSync('pgrep', ['-f', join(directory, 'data', 'p1')], { encoding: 'utf8' });
  const pid = Number(victim.stdout.trim().split('\n')[0]);
  expect(pid).toBeGreaterThan(0);
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 3; i++) {
    const created = kubectl(directory, ['create', 'configmap', `after-kill-${i}`,
      '--from-literal=a=b']);
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain(`configmap/after-kill-${i} created`);
  }
  await waitForOutput(output, /peer p1 exited .*; restarting it/);
  const listed = kubectl(directory, ['--context', 'coracle-p2', 'get', 'cm', '-o', 'name']);
  expect(listed.stdout).toContain('configmap/after-kill-2');
}

describe('coracle up and coracle status', () => {
  it('starts, reports, stops on Ctrl-C and resumes the same cluster', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'coracle-up-'));
    directories.push(directory);
    const first = startUp(directory);
    await waitForOutput(first.output, /leader: member [0-9a-f]+/);
    expect(first.output()).toMatch(/p1 {2}client 127\.0\.0\.1:\d+/);
    expect(first.output()).toContain('etcdctl');
    const client = new EtcdClient(endpoints(directory)[1]!);
    try {
      await client.call('Put', { key: Buffer.from('resume'), value: Buffer.from('yes') }, 10_000);
    } finally {
      client.close();
    }

    const status = spawnSync(process.execPath, [cliEntry(), 'status', '--endpoints',
      endpoints(directory).join(','), '-o', 'json'], { encoding: 'utf8', timeout: 20_000 });
    expect(status.status).toBe(0);
    const reports = JSON.parse(status.stdout) as Array<{ name: string; leader: boolean;
      term: number; appliedIndex: number; lag: number; reachable: boolean }>;
    expect(reports.map((report) => report.name).sort()).toEqual(['p1', 'p2', 'p3']);
    expect(reports.filter((report) => report.leader)).toHaveLength(1);
    expect(reports.every((report) => report.reachable && report.term >= 2)).toBe(true);
    expect(reports.every((report) => report.appliedIndex > 0 && report.lag >= 0)).toBe(true);
    const table = spawnSync(process.execPath, [cliEntry(), 'status', '--endpoints',
      endpoints(directory).join(',')], { encoding: 'utf8', timeout: 20_000 });
    expect(table.stdout).toMatch(/^NAME +ID +ENDPOINT +LEADER/);

    expect(await stopUp(first.child)).toBe(0);
    expect(livePeers(directory)).toBe(0);

    const second = startUp(directory);
    await waitForOutput(second.output, /kubectl get ns/);
    await checkKubectlSurvivesPeerKill(directory, second.output);
    const again = new EtcdClient(endpoints(directory)[2]!);
    try {
      const response = await again.call<{ kvs: Array<{ value: Uint8Array }> }>('Range',
        { key: Buffer.from('resume') }, 10_000);
      expect(Buffer.from(response.kvs[0]!.value).toString()).toBe('yes');
    } finally {
      again.close();
    }
    expect(await stopUp(second.child)).toBe(0);
  }, 120_000);

  it('status exits non-zero when no endpoint answers', () => {
    const result = spawnSync(process.execPath, [cliEntry(), 'status', '--endpoints',
      '127.0.0.1:1'], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('unreachable');
  });
});
