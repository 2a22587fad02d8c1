/**
 * Helpers for the etcd API tests: a server over a LocalBackend on 127.0.0.1 port 0, an
 * etcdctl runner (foreground with a deadline, or background with PID-based teardown), raw
 * gRPC clients built from proto/etcd, and condition polling with deadlines (no sleeps stand
 * in for synchronization).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import type { EtcdBackend } from '../../src/server/etcd-api/backend.js';
import {
  LocalBackend, type LocalBackendOptions,
} from '../../src/server/etcd-api/local-backend.js';
import { clientServiceDefinition, type EtcdServiceName } from '../../src/server/etcd-api/proto.js';
import { type EtcdAPIServer, startEtcdAPIServer } from '../../src/server/etcd-api/server.js';
import { CapturingLogger } from '../../src/util/logger.js';

/** A running API server over a fresh LocalBackend. */
export interface TestServer {
  readonly backend: LocalBackend;
  readonly server: EtcdAPIServer;
  readonly port: number;
  readonly endpoint: string;
  readonly logger: CapturingLogger;
  close(): Promise<void>;
}

/**
 * Starts the API server on 127.0.0.1:0 over a new LocalBackend; `wrap` may put a decorator
 * between the server and the backend (to simulate other backends).
 */
export async function startTestServer(
  options: LocalBackendOptions = {}, wrap?: (backend: LocalBackend) => EtcdBackend,
): Promise<TestServer> {
  const logger = new CapturingLogger();
  const backend = new LocalBackend(options);
  const served = wrap === undefined ? backend : wrap(backend);
  const server = await startEtcdAPIServer({ backend: served, listen: '127.0.0.1:0', logger });
  return {
    backend, server, port: server.port, endpoint: `127.0.0.1:${server.port}`, logger,
    close: async () => {
      await server.close();
      backend.close();
    },
  };
}

/** Polls `condition` every `intervalMs` until it holds; fails after `timeoutMs`. */
export async function waitFor(
  what: string, condition: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    if (await condition()) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}

let etcdctlChecked = false;

/** Fails (never skips) when etcdctl is missing: CI installs it (Debian etcd-client). */
export function requireEtcdctl(): void {
  if (etcdctlChecked) {
    return;
  }
  const probe = spawnSync('etcdctl', ['version'], { env: { ...process.env, ETCDCTL_API: '3' } });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error('etcdctl is not installed or does not run; install the Debian package '
      + '"etcd-client" (apt-get install -y etcd-client): ' + String(probe.error ?? probe.status));
  }
  etcdctlChecked = true;
}

/** The result of one etcdctl run. */
export interface EtcdctlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `etcdctl --endpoints=<endpoint> args...` to completion, killed after `timeoutMs`. */
export function etcdctl(
  endpoint: string, args: readonly string[],
  options: { stdin?: string; timeoutMs?: number } = {},
): Promise<EtcdctlResult> {
  requireEtcdctl();
  return new Promise((resolve, reject) => {
    const child = spawn('etcdctl', [`--endpoints=${endpoint}`, '--command-timeout=10s', ...args], {
      env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`etcdctl ${args.join(' ')} timed out; stdout=${stdout} stderr=${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** Runs etcdctl and expects exit code 0; returns stdout. */
export async function etcdctlOk(
  endpoint: string, args: readonly string[], options: { stdin?: string } = {},
): Promise<string> {
  const result = await etcdctl(endpoint, args, options);
  if (result.code !== 0) {
    throw new Error(`etcdctl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  }
  return result.stdout;
}

/** An etcdctl process running in the background (watch, keep-alive). */
export class BackgroundEtcdctl {
  private readonly child: ChildProcess;
  private output = '';
  private exited = false;

  /** Starts `etcdctl --endpoints=<endpoint> args...`. */
  constructor(endpoint: string, args: readonly string[]) {
    requireEtcdctl();
    this.child = spawn('etcdctl', [`--endpoints=${endpoint}`, ...args], {
      env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => { this.output += chunk.toString(); });
    this.child.stderr?.on('data', (chunk: Buffer) => { this.output += chunk.toString(); });
    this.child.on('exit', () => { this.exited = true; });
  }

  /** Everything printed so far (stdout and stderr). */
  get stdout(): string {
    return this.output;
  }

  /** Waits until the output holds `lines` in order (each a line of its own). */
  async waitForLines(lines: readonly string[], timeoutMs = 10_000): Promise<void> {
    await waitFor(`etcdctl output ${JSON.stringify(lines)}; got ${JSON.stringify(this.output)}`,
      () => containsLinesInOrder(this.output, lines), { timeoutMs });
  }

  /** Kills the process by PID and waits for it to exit. */
  async kill(): Promise<void> {
    const pid = this.child.pid;
    if (pid !== undefined && !this.exited) {
      process.kill(pid, 'SIGKILL');
    }
    await waitFor('etcdctl to exit', () => this.exited, { timeoutMs: 5_000 });
  }
}

/** True when `text`'s lines contain `lines` as an ordered subsequence. */
export function containsLinesInOrder(text: string, lines: readonly string[]): boolean {
  let next = 0;
  for (const line of text.split('\n')) {
    if (next < lines.length && line.trim() === lines[next]) {
      next += 1;
    }
  }
  return next === lines.length;
}

/** A raw gRPC client of one etcd service, built from proto/etcd. */
export type RawClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

/** Creates a raw gRPC client of `etcdserverpb.<service>` (responses: longs as numbers). */
export function rawClient(service: EtcdServiceName, endpoint: string): RawClient {
  const Constructor = grpc.makeGenericClientConstructor(clientServiceDefinition(service), service);
  return new Constructor(endpoint, grpc.credentials.createInsecure()) as unknown as RawClient;
}

/** Calls a unary method of a raw client; resolves with the response or rejects. */
export function unary(
  client: RawClient, method: string, request: object,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const call = client[method];
    if (call === undefined) {
      reject(new Error(`no method ${method}`));
      return;
    }
    call.call(client, request, { deadline: Date.now() + 10_000 },
      (error: grpc.ServiceError | null, response: Record<string, unknown>) => {
        if (error !== null) reject(error); else resolve(response);
      });
  });
}

/** Text helpers for byte fields. */
export const text = (value: unknown): string =>
  value instanceof Uint8Array ? Buffer.from(value).toString() : String(value);
export const bytes = (value: string): Buffer => Buffer.from(value);
