/**
 * @module bench/node-generator
 * The TypeScript adapter of the LoadGenerator port, used when etcdload is not built: raw
 * @grpc/grpc-js with pre-encoded request bytes (wire.ts), several HTTP/2 connections,
 * worker threads so every core drives load, closed-loop clients with N requests in flight
 * and every latency sample kept for exact percentiles. Its ceiling is measured against an
 * instant-answer Node gRPC server (noop-server.ts) run as a separate process.
 *
 * Timing: workers connect first and report ready; the measured phase runs from the `go`
 * sent to all of them until the last one is done, so thread start and connection setup are
 * not counted.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../transport/proto.js';
import { cliEntry } from '../cli/local-cluster.js';
import { keyBytes, valueBytes } from './generator.js';
import type { LoadGenerator, PutSpec, RangeSpec, WatchResult } from './generator.js';
import type { WorkerDone, WorkerTask } from './node-generator-worker.js';
import type { ProcessRegistry } from './processes.js';
import { summarizeLoad } from './stats.js';
import type { LoadResult } from './stats.js';
import { waitForPort } from './wait.js';

/** Per-request deadline of the TypeScript generator, ms. */
const requestTimeoutMs = 10_000;

/** The compiled worker module (worker threads cannot load TypeScript sources). */
export function workerModulePath(): string {
  return join(packageRoot(), 'dist', 'src', 'bench', 'node-generator-worker.js');
}

type WorkerMessage = { type: 'ready' } | { type: 'failed'; message: string } | WorkerDone;

/** Splits `total` into `parts` near-equal non-negative shares. */
export function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, part) =>
    Math.floor(total / parts) + (part < total % parts ? 1 : 0));
}

/** Builds one task per worker for a run of `total` requests. */
function planTasks(base: Omit<WorkerTask, 'connectionEndpoints' | 'clients' | 'total' |
  'firstIndex'>, spec: { endpoints: readonly string[]; clients: number; connections: number;
  total: number }): WorkerTask[] {
  const workers = Math.max(1, Math.min(availableParallelism(), spec.clients));
  const clientShares = shares(spec.clients, workers);
  const totalShares = shares(spec.total, workers);
  const connectionShares = shares(Math.max(spec.connections, workers), workers);
  let firstIndex = 0;
  let connection = 0;
  return clientShares.map((clients, worker) => {
    const connectionEndpoints = Array.from({ length: connectionShares[worker]! }, () =>
      spec.endpoints[connection++ % spec.endpoints.length]!);
    const total = totalShares[worker]!;
    const task = { ...base, connectionEndpoints, clients, total, firstIndex };
    firstIndex += total;
    return task;
  });
}

/** Runs `tasks` on worker threads; resolves with the merged load summary. */
async function runTasks(tasks: readonly WorkerTask[]): Promise<LoadResult> {
  const modulePath = workerModulePath();
  if (!existsSync(modulePath)) throw new Error(`${modulePath} is missing: run npm run build`);
  const workers = tasks.map((task) => new Worker(modulePath, { workerData: task }));
  const messages = workers.map((worker) => {
    const queue: WorkerMessage[] = [];
    const waiters: Array<(message: WorkerMessage) => void> = [];
    worker.on('message', (message: WorkerMessage) => {
      const waiter = waiters.shift();
      if (waiter === undefined) queue.push(message);
      else waiter(message);
    });
    worker.on('error', (error) => waiters.shift()?.({ type: 'failed', message: String(error) }));
    return (): Promise<WorkerMessage> => {
      const queued = queue.shift();
      return queued !== undefined ? Promise.resolve(queued)
        : new Promise((resolveMessage) => waiters.push(resolveMessage));
    };
  });
  try {
    for (const ready of await Promise.all(messages.map((next) => next()))) {
      if (ready.type === 'failed') throw new Error(`load worker failed: ${ready.message}`);
    }
    const started = process.hrtime.bigint();
    for (const worker of workers) worker.postMessage('go');
    const results = await Promise.all(messages.map((next) => next()));
    const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
    return mergeResults(results, elapsedS);
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

function mergeResults(results: readonly WorkerMessage[], elapsedS: number): LoadResult {
  const done = results.map((result) => {
    if (result.type !== 'done') {
      throw new Error(`load worker failed: ${result.type === 'failed' ? result.message : '?'}`);
    }
    return result;
  });
  const latenciesMs = new Float64Array(done.reduce((sum, result) =>
    sum + result.latenciesMs.length, 0));
  let offset = 0;
  for (const result of done) {
    latenciesMs.set(result.latenciesMs, offset);
    offset += result.latenciesMs.length;
  }
  const errors = done.reduce((sum, result) => sum + result.errors, 0);
  if (latenciesMs.length === 0) {
    const firstError = done.find((result) => result.firstError !== null)?.firstError;
    throw new Error(`every request failed (${errors}): ${firstError ?? 'unknown error'}`);
  }
  return summarizeLoad({ latenciesMs, errors, elapsedS });
}

/** NodeGenerator is the TypeScript load generator. */
export class NodeGenerator implements LoadGenerator {
  readonly name = 'node';
  readonly description = `TypeScript generator (@grpc/grpc-js, ${availableParallelism()} ` +
    'worker threads, pre-encoded requests)';
  readonly watchUnsupported = 'watch fan-out needs etcdload (build shared/tools/etcdload)';

  constructor(private readonly processes: ProcessRegistry) {}

  put(spec: PutSpec): Promise<LoadResult> {
    return runTasks(planTasks({ op: 'put', keySpace: spec.keySpace ?? spec.total, prefix: 'k',
      keyBytes, valueBytes, rangeKey: '', serializable: false, requestTimeoutMs }, spec));
  }

  range(spec: RangeSpec): Promise<LoadResult> {
    return runTasks(planTasks({ op: 'range', keySpace: 1, prefix: 'k', keyBytes, valueBytes,
      rangeKey: spec.key, serializable: spec.consistency === 'serializable',
      requestTimeoutMs }, spec));
  }

  watch(): Promise<WatchResult | null> {
    return Promise.resolve(null);
  }

  async startNoopServer(port: number): Promise<ChildProcess> {
    const child = this.processes.spawn(process.execPath,
      [cliEntry(), 'bench', 'noop-server', '--listen', `127.0.0.1:${port}`],
      { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitForPort(port, 10_000);
    return child;
  }
}
