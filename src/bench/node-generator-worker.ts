/**
 * @module bench/node-generator-worker
 * One worker thread of the TypeScript load generator. It opens its own gRPC connections
 * (a local subchannel pool per channel, so each is a separate HTTP/2 connection), reports
 * `ready`, waits for `go`, runs its closed-loop clients over pre-encoded request bytes and
 * posts back every latency sample. Runs only compiled (dist/), started by node-generator.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import { PutEncoder, encodeRange } from './wire.js';

/** What the main thread hands each worker. */
export interface WorkerTask {
  readonly op: 'put' | 'range';
  /** One endpoint per connection this worker opens. */
  readonly connectionEndpoints: readonly string[];
  readonly clients: number;
  readonly total: number;
  /** Global number of this worker's first request (keys continue across workers). */
  readonly firstIndex: number;
  readonly keySpace: number;
  readonly prefix: string;
  readonly keyBytes: number;
  readonly valueBytes: number;
  readonly rangeKey: string;
  readonly serializable: boolean;
  readonly requestTimeoutMs: number;
}

/** What a worker posts back when done. */
export interface WorkerDone {
  readonly type: 'done';
  readonly latenciesMs: Float64Array;
  readonly errors: number;
  readonly firstError: string | null;
}

const task = workerData as WorkerTask;
const identity = (bytes: Buffer): Buffer => bytes;
const channels = task.connectionEndpoints.map((endpoint) => new grpc.Client(endpoint,
  grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }));
const method = task.op === 'put' ? '/etcdserverpb.KV/Put' : '/etcdserverpb.KV/Range';
const putEncoder = new PutEncoder({ prefix: task.prefix, keyBytes: task.keyBytes,
  valueBytes: task.valueBytes, keySpace: task.keySpace });
const rangeBytes = encodeRange({ key: task.rangeKey, serializable: task.serializable });
const latenciesMs = new Float64Array(task.total);
let sent = 0;
let completed = 0;
let errors = 0;
let firstError: string | null = null;

function finish(): void {
  const done: WorkerDone = { type: 'done', latenciesMs: latenciesMs.slice(0, recorded),
    errors, firstError };
  for (const channel of channels) channel.close();
  parentPort?.postMessage(done, [done.latenciesMs.buffer as ArrayBuffer]);
}

let recorded = 0;
function runClient(client: number): void {
  if (sent >= task.total) return;
  const index = task.firstIndex + sent;
  sent += 1;
  const channel = channels[client % channels.length]!;
  const request = task.op === 'put' ? putEncoder.encode(index) : rangeBytes;
  const started = process.hrtime.bigint();
  channel.makeUnaryRequest(method, identity, identity, request, new grpc.Metadata(),
    { deadline: Date.now() + task.requestTimeoutMs }, (error) => {
      completed += 1;
      if (error === null) {
        latenciesMs[recorded] = Number(process.hrtime.bigint() - started) / 1e6;
        recorded += 1;
      } else {
        errors += 1;
        firstError ??= error.message;
      }
      if (completed === task.total) finish();
      else runClient(client);
    });
}

function waitReady(): Promise<void> {
  return Promise.all(channels.map((channel) => new Promise<void>((resolveReady, reject) => {
    channel.waitForReady(Date.now() + 10_000, (error) => (error ? reject(error)
      : resolveReady()));
  }))).then(() => undefined);
}

parentPort?.on('message', (message: string) => {
  if (message !== 'go') return;
  for (let client = 0; client < Math.min(task.clients, task.total); client++) runClient(client);
});
waitReady().then(() => parentPort?.postMessage({ type: 'ready' }), (error: unknown) => {
  parentPort?.postMessage({ type: 'failed', message: String(error) });
});
