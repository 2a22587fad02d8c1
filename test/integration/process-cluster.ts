/**
 * A cluster of real `coracle server` processes on 127.0.0.1 for integration tests: free
 * ports (peer, etcd client and Kubernetes API), a temp data dir per peer, kill -9 / SIGTERM /
 * restart by name, and teardown that stops every process it started by PID and removes the
 * temp dirs.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  collectStatus, freePort, spawnPeer, stopChildren, waitForLeader,
} from '../../src/cli/local-cluster.js';
import type { ClusterLayout, PeerLayout } from '../../src/cli/local-cluster.js';
import { EtcdClient } from '../../src/server/etcd-client.js';

/** Options of a test cluster. */
export interface ProcessClusterOptions {
  readonly peers: number;
  readonly extraArgs?: readonly string[];
}

/** ProcessCluster runs real peers (see the file comment). */
export class ProcessCluster {
  readonly directory = mkdtempSync(join(tmpdir(), 'coracle-it-'));
  readonly children = new Map<string, ChildProcess>();
  private readonly clients: EtcdClient[] = [];

  private constructor(readonly layout: ClusterLayout,
    private readonly extraArgs: readonly string[]) {}

  /** Starts `peers` peers and waits for a leader all of them agree on. */
  static async start(options: ProcessClusterOptions): Promise<ProcessCluster> {
    const peers: PeerLayout[] = [];
    for (let i = 1; i <= options.peers; i++) {
      peers.push({ name: `p${i}`, peerPort: await freePort(), clientPort: await freePort(),
        apiPort: await freePort() });
    }
    const cluster = new ProcessCluster({ peers }, options.extraArgs ?? []);
    for (const peer of peers) cluster.spawn(peer.name);
    await cluster.waitForLeader();
    return cluster;
  }

  /** Returns the client endpoint of peer `name`. */
  endpoint(name: string): string {
    return `127.0.0.1:${this.peer(name).clientPort}`;
  }

  /** Returns the Kubernetes API base URL (plain HTTP, `--api-listen`) of peer `name`. */
  apiURL(name: string): string {
    return `http://127.0.0.1:${this.peer(name).apiPort}`;
  }

  /** Returns every client endpoint. */
  endpoints(): string[] {
    return this.layout.peers.map((peer) => this.endpoint(peer.name));
  }

  /** Returns a client for peer `name` (closed at teardown). */
  client(name: string): EtcdClient {
    const client = new EtcdClient(this.endpoint(name));
    this.clients.push(client);
    return client;
  }

  /**
   * Starts (or restarts) peer `name` with its existing data dir; `env` adds environment
   * variables for this process only (e.g. the test-only CORACLE_FAILPOINTS).
   */
  spawn(name: string, extraArgs: readonly string[] = [],
    env: Readonly<Record<string, string>> = {}): ChildProcess {
    // NB: spawnPeer passes process.env through, read synchronously at spawn: set the extra
    // variables around that one call and restore them, so no other peer inherits them.
    const saved = new Map(Object.keys(env).map((key) => [key, process.env[key]]));
    Object.assign(process.env, env);
    try {
      const child = spawnPeer(this.directory, this.layout, this.peer(name),
        [...this.extraArgs, ...extraArgs]);
      this.children.set(name, child);
      return child;
    } finally {
      for (const [key, value] of saved) {
        if (value === undefined) Reflect.deleteProperty(process.env, key);
        else process.env[key] = value;
      }
    }
  }

  /** Kills peer `name` with `signal` and waits for the process to exit. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.children.get(name);
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  /**
   * Waits until the running peers agree on a leader that is one of them (right after a
   * kill they may still name the dead one); returns the leader's name.
   */
  async waitForLeader(names = this.running(), deadlineMs = 20_000): Promise<string> {
    const endpoints = names.map((name) => this.endpoint(name));
    const deadline = Date.now() + deadlineMs;
    while (Date.now() < deadline) {
      const leaderId = await waitForLeader(endpoints, Math.max(1, deadline - Date.now()));
      const statuses = await collectStatus(endpoints);
      for (const name of names) {
        if (statuses.get(this.endpoint(name))?.header.memberId === leaderId) return name;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no leader among ${names.join(', ')} within ${deadlineMs} ms`);
  }

  /** Returns the names of peers whose process runs. */
  running(): string[] {
    return [...this.children.entries()]
      .filter(([, child]) => child.exitCode === null && child.signalCode === null)
      .map(([name]) => name);
  }

  /** Stops every process by PID and removes the temp dir. */
  async stop(): Promise<void> {
    for (const client of this.clients) client.close();
    await stopChildren([...this.children.values()], 5000);
    rmSync(this.directory, { recursive: true, force: true });
  }

  private peer(name: string): PeerLayout {
    const peer = this.layout.peers.find((candidate) => candidate.name === name);
    if (peer === undefined) throw new Error(`no peer ${name}`);
    return peer;
  }
}

/** Polls `probe` until it returns a value other than undefined, or fails at the deadline. */
export async function eventually<T>(probe: () => Promise<T | undefined>, deadlineMs = 10_000,
  what = 'condition'): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} not reached within ${deadlineMs} ms (last error: ${String(lastError)})`);
}
