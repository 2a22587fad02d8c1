/**
 * @module cli/local-cluster
 * A local cluster of `coracle server` child processes on loopback (`coracle up`): ports
 * chosen once and remembered in DIR/cluster.json so a second `coracle up` on the same dir
 * resumes the same cluster; every child is stopped by PID on shutdown.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { EtcdClient } from '../server/etcd-client.js';
import type { WireStatus } from '../server/etcd-client.js';
import { packageRoot } from '../transport/proto.js';
import { peerNodeFlags } from './heap-tuning.js';

/** PeerLayout is one peer's name and ports. */
export interface PeerLayout {
  readonly name: string;
  readonly peerPort: number;
  readonly clientPort: number;
  readonly apiPort: number;
}

/** ClusterLayout is what DIR/cluster.json records. */
export interface ClusterLayout {
  readonly peers: readonly PeerLayout[];
  /** The port of `coracle up`'s Kubernetes API balancer (added on first use). */
  readonly apiBalancerPort?: number;
}

/** Ports this process handed out already (bounded by the attempts below). */
const handedOut = new Set<number>();

function probePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function tryPort(port: number): Promise<boolean> {
  return new Promise((resolveTry) => {
    const server = createServer();
    server.once('error', () => resolveTry(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveTry(true)));
  });
}

/** Below Linux's ephemeral range (32768+), so outgoing connections never take these. */
const stablePortLow = 20_000;
const stablePortHigh = 32_000;

/**
 * Returns a free TCP port on 127.0.0.1 that this process has not handed out before,
 * preferably below the ephemeral range: a port picked now and listened on later (a peer
 * restarted or joining minutes later) could otherwise be taken meanwhile as the local port
 * of some outgoing connection (found by a chaos campaign). NB: a probed port is released
 * at once, so without the check two peers could also get the same port.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = stablePortLow + Math.floor(Math.random() * (stablePortHigh - stablePortLow));
    if (handedOut.has(port) || !(await tryPort(port))) continue;
    handedOut.add(port);
    return port;
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await probePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no fresh free port after 150 attempts');
}

/** Loads DIR/cluster.json, or picks free ports for `peers` peers and writes it. */
export async function loadOrCreateLayout(directory: string, peers: number):
  Promise<ClusterLayout> {
  const file = join(directory, 'cluster.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as ClusterLayout;
  mkdirSync(directory, { recursive: true });
  const layout: PeerLayout[] = [];
  for (let i = 1; i <= peers; i++) {
    layout.push({ name: `p${i}`, peerPort: await freePort(), clientPort: await freePort(),
      apiPort: await freePort() });
  }
  const created = { peers: layout };
  writeFileSync(file, `${JSON.stringify(created, null, 2)}\n`);
  return created;
}

/** Returns the balancer port of the layout, picking and recording one when absent. */
export async function balancerPortOf(directory: string, layout: ClusterLayout):
  Promise<number> {
  if (layout.apiBalancerPort !== undefined) return layout.apiBalancerPort;
  const port = await freePort();
  writeFileSync(join(directory, 'cluster.json'),
    `${JSON.stringify({ ...layout, apiBalancerPort: port }, null, 2)}\n`);
  return port;
}

/**
 * Returns the path of the compiled CLI entry point (dist/, built by `npm ci`/`npm test`), also
 * when this module runs from src/ under vitest.
 */
export function cliEntry(): string {
  return join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
}

/**
 * glibc malloc settings for peers (the caller's environment wins). Measured on a 3-peer
 * cluster after 100,000 puts (issue 5): with glibc's defaults the native heap of each peer
 * grew to 300-450 MB, because the multi-MB buffers of each snapshot are served from the
 * brk heap once the dynamic mmap threshold has risen, and LevelDB's thread-pool work gets
 * arenas of its own; a fixed 128 KiB threshold and two arenas cut resident memory by about
 * 40%. Operators starting `coracle server` by hand should set the same variables, and pass
 * the node flags of cli/heap-tuning `peerNodeFlags`, which spawnPeer passes too.
 */
export const peerAllocatorEnv: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
};

/** Starts one peer of `layout` as a child process logging to DIR/logs/NAME.log. */
export function spawnPeer(directory: string, layout: ClusterLayout, peer: PeerLayout,
  extraArgs: readonly string[] = []): ChildProcess {
  const initialCluster = layout.peers
    .map((other) => `${other.name}=127.0.0.1:${other.peerPort}`).join(',');
  mkdirSync(join(directory, 'logs'), { recursive: true });
  const log = openSync(join(directory, 'logs', `${peer.name}.log`), 'a');
  return spawn(process.execPath, [...peerNodeFlags, cliEntry(), 'server', '--name', peer.name,
    '--data-dir', resolve(directory, 'data', peer.name),
    '--peer-listen', `127.0.0.1:${peer.peerPort}`,
    '--client-listen', `127.0.0.1:${peer.clientPort}`,
    '--api-listen', `127.0.0.1:${peer.apiPort}`,
    '--initial-cluster', initialCluster, ...extraArgs], {
    stdio: ['ignore', log, log], env: { ...peerAllocatorEnv, ...process.env,
      CORACLE_LOG_LEVEL: 'info' },
  });
}

/** Asks every endpoint for its status; unreachable ones are left out. */
export async function collectStatus(endpoints: readonly string[], timeoutMs = 1000):
  Promise<Map<string, WireStatus>> {
  const statuses = new Map<string, WireStatus>();
  await Promise.all(endpoints.map(async (endpoint) => {
    const client = new EtcdClient(endpoint);
    try {
      statuses.set(endpoint, await client.call<WireStatus>('Status', {}, timeoutMs));
    } catch {
      // Unreachable: reported as down by the caller.
    } finally {
      client.close();
    }
  }));
  return statuses;
}

/** Waits until every endpoint answers and all agree on one leader; returns its id. */
export async function waitForLeader(endpoints: readonly string[], deadlineMs: number):
  Promise<number> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    const statuses = await collectStatus(endpoints);
    const leaders = new Set([...statuses.values()].map((status) => status.leader));
    if (statuses.size === endpoints.length && leaders.size === 1 && !leaders.has(0)) {
      return [...leaders][0]!;
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  throw new Error(`no leader agreed by all of ${endpoints.join(', ')} within ${deadlineMs} ms`);
}

/** Sends SIGTERM to every child, then SIGKILL to those still alive after `graceMs`. */
export async function stopChildren(children: readonly ChildProcess[], graceMs: number):
  Promise<void> {
  const alive = children.filter((child) => child.exitCode === null && child.signalCode === null);
  const exited = alive.map((child) => new Promise<void>((resolveExit) => {
    child.once('exit', () => resolveExit());
  }));
  for (const child of alive) child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const child of alive) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, graceMs);
  await Promise.all(exited);
  clearTimeout(timer);
}
