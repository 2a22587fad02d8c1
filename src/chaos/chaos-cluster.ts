/**
 * @module chaos/chaos-cluster
 * A real multi-process cluster under the harness's control: every directed peer link runs
 * through a LinkProxy (so partitions, one-way cuts, latency and loss need no root), every
 * peer is a child process that can be killed -9, paused (SIGSTOP/SIGCONT) and restarted,
 * and spare member names are wired in advance so a fresh peer can join mid-run.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cliEntry, collectStatus, freePort, stopChildren } from '../cli/local-cluster.js';
import type { SeededRandom } from '../util/prng.js';
import { LinkProxy } from './proxy.js';

/** ChaosPeer is one member slot: name, ports and its process when running. */
export interface ChaosPeer {
  readonly name: string;
  peerPort: number;
  clientPort: number;
  /** Port of the Kubernetes REST API, served only when the cluster runs with `api`. */
  apiPort: number;
  child: ChildProcess | null;
  paused: boolean;
  /** A founding member (started with --initial-cluster) or a joiner. */
  founding: boolean;
  /** Incarnation: bumped when the slot is wiped for a fresh member. */
  generation: number;
}

/** ChaosClusterOptions configure the cluster. */
export interface ChaosClusterOptions {
  readonly directory: string;
  readonly peers: number;
  /** Extra member names wired in advance for membership faults. */
  readonly spares: number;
  readonly serverArgs: readonly string[];
  readonly random: SeededRandom;
  /** Serve the Kubernetes REST API on every peer (`--api-listen`); default false. */
  readonly api?: boolean;
}

/** ChaosCluster owns the peers and the link proxies (see the module comment). */
export class ChaosCluster {
  readonly peers = new Map<string, ChaosPeer>();
  readonly links = new Map<string, LinkProxy>();
  /** Environment per peer name (failpoints), applied at the next (re)start. */
  readonly envByPeer = new Map<string, Record<string, string>>();

  private constructor(private readonly options: ChaosClusterOptions) {}

  /** Creates the slots and proxies and starts the founding peers. */
  static async start(options: ChaosClusterOptions): Promise<ChaosCluster> {
    const cluster = new ChaosCluster(options);
    const total = options.peers + options.spares;
    for (let i = 1; i <= total; i++) {
      cluster.peers.set(`p${i}`, {
        name: `p${i}`, peerPort: await freePort(), clientPort: await freePort(),
        apiPort: await freePort(), child: null,
        paused: false, founding: i <= options.peers, generation: 0,
      });
    }
    for (const source of cluster.peers.values()) {
      for (const target of cluster.peers.values()) {
        if (source === target) continue;
        const link = new LinkProxy(`${source.name}->${target.name}`, target.peerPort,
          options.random);
        await link.start();
        cluster.links.set(link.name, link);
      }
    }
    for (const peer of cluster.peers.values()) if (peer.founding) cluster.spawn(peer.name);
    return cluster;
  }

  /** Returns the link from `source` to `target`. */
  link(source: string, target: string): LinkProxy {
    const link = this.links.get(`${source}->${target}`);
    if (link === undefined) throw new Error(`no link ${source}->${target}`);
    return link;
  }

  /** Names of members that should be running (founding or joined, not removed). */
  members(): string[] {
    return [...this.peers.values()].filter((peer) => peer.child !== null).map((p) => p.name);
  }

  /** Client endpoint of `name`. */
  endpoint(name: string): string {
    return `127.0.0.1:${this.slot(name).clientPort}`;
  }

  /** Kubernetes API base URL of `name` (only served when the cluster runs with `api`). */
  apiURL(name: string): string {
    return `http://127.0.0.1:${this.slot(name).apiPort}`;
  }

  /** Returns the slot `name`. */
  slot(name: string): ChaosPeer {
    const peer = this.peers.get(name);
    if (peer === undefined) throw new Error(`no peer ${name}`);
    return peer;
  }

  /** Starts (or restarts) `name`; `join` makes a fresh peer join through that endpoint. */
  spawn(name: string, joinEndpoint?: string): void {
    const peer = this.slot(name);
    const overrides = [...this.peers.values()].filter((other) => other !== peer)
      .map((other) => `${other.name}=127.0.0.1:${this.link(name, other.name).listenPort}`);
    const founding = [...this.peers.values()].filter((other) => other.founding &&
      other.generation === 0);
    const args = [cliEntry(), 'server', '--name', name,
      '--data-dir', this.dataDir(peer), '--peer-listen', `127.0.0.1:${peer.peerPort}`,
      '--client-listen', `127.0.0.1:${peer.clientPort}`,
      '--peer-dial-overrides', overrides.join(','), ...this.options.serverArgs];
    if (this.options.api === true) args.push('--api-listen', `127.0.0.1:${peer.apiPort}`);
    if (joinEndpoint !== undefined) args.push('--join', joinEndpoint);
    else {
      args.push('--initial-cluster',
        founding.map((other) => `${other.name}=127.0.0.1:${other.peerPort}`).join(','));
    }
    mkdirSync(join(this.options.directory, 'logs'), { recursive: true });
    const log = openSync(join(this.options.directory, 'logs', `${name}.log`), 'a');
    peer.child = spawn(process.execPath, args, {
      stdio: ['ignore', log, log],
      env: { ...process.env, CORACLE_LOG_LEVEL: 'info', ...this.envByPeer.get(name) },
    });
    peer.paused = false;
  }

  /** Kills `name` with SIGKILL and waits for it to exit. */
  async kill(name: string): Promise<void> {
    const peer = this.slot(name);
    const child = peer.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
    if (peer.paused) child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
    peer.paused = false;
  }

  /** Returns true when `name`'s process is alive. */
  alive(name: string): boolean {
    const child = this.slot(name).child;
    return child !== null && child.exitCode === null && child.signalCode === null;
  }

  /** Pauses (SIGSTOP) or resumes (SIGCONT) `name`. */
  setPaused(name: string, paused: boolean): void {
    const peer = this.slot(name);
    if (!this.alive(name) || peer.paused === paused) return;
    peer.child!.kill(paused ? 'SIGSTOP' : 'SIGCONT');
    peer.paused = paused;
  }

  /** Wipes a removed member's slot so it can come back as a fresh member. */
  async retire(name: string): Promise<void> {
    await this.kill(name);
    const peer = this.slot(name);
    peer.child = null;
    peer.founding = false;
    peer.generation++;
    rmSync(this.dataDir(peer), { recursive: true, force: true });
  }

  /** Returns the name of the peer that the running peers call leader, if they agree. */
  async leader(): Promise<string | null> {
    const names = this.members().filter((name) => this.alive(name) && !this.slot(name).paused);
    const statuses = await collectStatus(names.map((name) => this.endpoint(name)), 500);
    const ids = new Set([...statuses.values()].map((status) => status.leader));
    if (ids.size !== 1 || ids.has(0)) return null;
    const leaderId = [...ids][0];
    for (const name of names) {
      if (statuses.get(this.endpoint(name))?.header.memberId === leaderId) return name;
    }
    return null;
  }

  /** Heals every link and resumes every paused peer. */
  healAll(): void {
    for (const link of this.links.values()) link.heal();
    for (const name of this.members()) this.setPaused(name, false);
  }

  /** Stops every process (by PID) and every proxy. */
  async stop(): Promise<void> {
    for (const name of this.members()) this.setPaused(name, false);
    const children = [...this.peers.values()].map((peer) => peer.child)
      .filter((child): child is ChildProcess => child !== null);
    await stopChildren(children, 5000);
    await Promise.all([...this.links.values()].map((link) => link.stop()));
  }

  private dataDir(peer: ChaosPeer): string {
    return resolve(this.options.directory, 'data', `${peer.name}-${peer.generation}`);
  }
}

