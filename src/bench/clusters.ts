/**
 * @module bench/clusters
 * The two systems under test, each a 3-member cluster of child processes on loopback with
 * its data in the benchmark's temp dir: Coracle (`coracle server`, spawned as `coracle up`
 * does) and etcd (the `etcd` binary on PATH with its default timings). Both expose the etcd
 * v3 API, so the same status polling finds the leader, kills it, and reads each member's
 * resident memory from /proc/<pid>/status.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectStatus, freePort, spawnPeer } from '../cli/local-cluster.js';
import type { ClusterLayout } from '../cli/local-cluster.js';
import type { WireStatus } from '../server/etcd-client.js';
import { isAlive } from './processes.js';
import type { ProcessRegistry } from './processes.js';
import { sleep } from './wait.js';

/** The systems `coracle bench kv` compares. */
export type SystemName = 'coracle' | 'etcd';

/** How often leader polling asks every member for its status, ms. */
const leaderPollIntervalMs = 20;

/** BenchCluster is one running 3-member cluster of either system. */
export abstract class BenchCluster {
  abstract readonly system: SystemName;
  /** Client endpoints (host:port), one per member, in member order. */
  abstract readonly endpoints: readonly string[];
  private readonly members: Array<ChildProcess | null>;

  protected constructor(protected readonly processes: ProcessRegistry, size: number) {
    this.members = Array.from({ length: size }, () => null);
  }

  /** Starts member `index` (again, after a kill) as a tracked child process. */
  protected abstract spawnMember(index: number): ChildProcess;

  /** Starts every member; resolves with the ms from the first spawn to an agreed leader. */
  async start(deadlineMs: number): Promise<number> {
    const started = performance.now();
    for (let index = 0; index < this.members.length; index++) this.restartMember(index);
    await this.waitForLeader(deadlineMs);
    return performance.now() - started;
  }

  /** Starts member `index`, which MUST be stopped. */
  restartMember(index: number): void {
    const current = this.members[index];
    if (current !== null && current !== undefined && isAlive(current)) {
      throw new Error(`${this.system} member ${index} is still running`);
    }
    this.members[index] = this.processes.track(this.spawnMember(index));
  }

  /** Kills member `index` with SIGKILL (kill -9) by its PID and waits for it to exit. */
  async killMember(index: number): Promise<void> {
    const member = this.members[index];
    if (member !== null && member !== undefined) await this.processes.kill(member);
  }

  /** Polls until every member answers and all name one leader; returns its member index. */
  async waitForLeader(deadlineMs: number): Promise<number> {
    const deadline = Date.now() + deadlineMs;
    while (Date.now() < deadline) {
      const leader = leaderIndex(this.endpoints, await collectStatus(this.endpoints, 500));
      if (leader !== null) return leader;
      await sleep(leaderPollIntervalMs);
    }
    throw new Error(`${this.system}: no leader agreed by all members within ${deadlineMs} ms`);
  }

  /** Returns each member's status (missing when unreachable). */
  statuses(): Promise<Map<string, WireStatus>> {
    return collectStatus(this.endpoints, 1000);
  }

  /** Returns each running member's resident memory (VmRSS), MB. */
  rssMb(): number[] {
    return this.members.flatMap((member) => (member?.pid === undefined || !isAlive(member)
      ? [] : [residentMemoryMb(member.pid)]));
  }

  /** CPU time (user + system, all threads) the running members have used so far, s. */
  cpuSeconds(): number {
    return this.members.reduce((sum, member) => sum + (member?.pid === undefined
      || !isAlive(member) ? 0 : processCpuSeconds(member.pid)), 0);
  }

  /** Stops every member (SIGTERM, then SIGKILL), by PID. */
  async stop(): Promise<void> {
    await Promise.all(this.members.map(async (member) => {
      if (member === null || !isAlive(member) || member.pid === undefined) return;
      const exit = new Promise<void>((resolveExit) => member.once('exit', () => resolveExit()));
      process.kill(member.pid, 'SIGTERM');
      const timer = setTimeout(() => void this.processes.kill(member), 5_000);
      await exit;
      clearTimeout(timer);
    }));
  }
}

/** Returns the member index all `endpoints` agree is leader, or null. */
export function leaderIndex(endpoints: readonly string[],
  statuses: ReadonlyMap<string, WireStatus>): number | null {
  if (statuses.size !== endpoints.length) return null;
  const leaders = new Set([...statuses.values()].map((status) => status.leader));
  const [leader] = [...leaders];
  if (leaders.size !== 1 || leader === undefined || leader === 0) return null;
  const index = endpoints.findIndex((endpoint) =>
    statuses.get(endpoint)?.header.memberId === leader);
  return index < 0 ? null : index;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const userHz = 100;

/** Reads utime + stime of `pid` (every thread) from /proc/<pid>/stat, seconds. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // NB: fields after the command name, which sits in parentheses and may contain spaces;
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`unreadable /proc/${pid}/stat`);
  return ticks / userHz;
}

/** Reads VmRSS of `pid` from /proc, MB (MiB). */
export function residentMemoryMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (match === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** CoracleCluster: three `coracle server` peers (the compiled CLI) under `directory`. */
export class CoracleCluster extends BenchCluster {
  readonly system = 'coracle';
  readonly endpoints: readonly string[];
  /** Kubernetes API endpoints (host:port, `--api-listen`), one per peer, in member order. */
  readonly apiEndpoints: readonly string[];

  private constructor(processes: ProcessRegistry, private readonly directory: string,
    private readonly layout: ClusterLayout) {
    super(processes, layout.peers.length);
    this.endpoints = layout.peers.map((peer) => `127.0.0.1:${peer.clientPort}`);
    this.apiEndpoints = layout.peers.map((peer) => `127.0.0.1:${peer.apiPort}`);
  }

  /** Picks free ports for three peers; nothing runs until `start`. */
  static async create(processes: ProcessRegistry, directory: string): Promise<CoracleCluster> {
    const peers = [];
    for (let index = 1; index <= 3; index++) {
      peers.push({ name: `p${index}`, peerPort: await freePort(),
        clientPort: await freePort(), apiPort: await freePort() });
    }
    return new CoracleCluster(processes, directory, { peers });
  }

  protected spawnMember(index: number): ChildProcess {
    return spawnPeer(this.directory, this.layout, this.layout.peers[index]!);
  }
}

/** EtcdCluster: three `etcd` members with etcd's default timings under `directory`. */
export class EtcdCluster extends BenchCluster {
  readonly system = 'etcd';
  readonly endpoints: readonly string[];

  private constructor(processes: ProcessRegistry, private readonly directory: string,
    private readonly ports: ReadonlyArray<{ client: number; peer: number }>) {
    super(processes, ports.length);
    this.endpoints = ports.map((port) => `127.0.0.1:${port.client}`);
  }

  /** Picks free ports for three members; nothing runs until `start`. */
  static async create(processes: ProcessRegistry, directory: string): Promise<EtcdCluster> {
    const ports = [];
    for (let index = 0; index < 3; index++) {
      ports.push({ client: await freePort(), peer: await freePort() });
    }
    return new EtcdCluster(processes, directory, ports);
  }

  protected spawnMember(index: number): ChildProcess {
    const name = `e${index + 1}`;
    const port = this.ports[index]!;
    const initialCluster = this.ports
      .map((other, member) => `e${member + 1}=http://127.0.0.1:${other.peer}`).join(',');
    mkdirSync(join(this.directory, 'logs'), { recursive: true });
    const log = openSync(join(this.directory, 'logs', `${name}.log`), 'a');
    return this.processes.spawn('etcd', ['--name', name,
      '--data-dir', join(this.directory, 'data', name),
      '--listen-client-urls', `http://127.0.0.1:${port.client}`,
      '--advertise-client-urls', `http://127.0.0.1:${port.client}`,
      '--listen-peer-urls', `http://127.0.0.1:${port.peer}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${port.peer}`,
      '--initial-cluster', initialCluster, '--initial-cluster-state', 'new',
      '--initial-cluster-token', 'coracle-bench'], { stdio: ['ignore', log, log] });
  }
}
