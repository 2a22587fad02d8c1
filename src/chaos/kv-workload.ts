/**
 * @module chaos/kv-workload
 * The register workload: clients on every peer read, write unique values and compare-and-set
 * a few keys through the etcd-compatible API, recording each operation with its invocation
 * and completion times and its outcome (chaos/history). A workload is a plug-in: the
 * Kubernetes API issue adds another with the same `Workload` shape.
 */
import * as grpc from '@grpc/grpc-js';
import { clientServiceDefinition } from '../server/etcd-api/proto.js';
import type { SeededRandom } from '../util/prng.js';
import type { Operation, OperationKind, Outcome } from './history.js';

/** Workload is what the chaos runner drives while faults happen. */
export interface Workload {
  readonly name: string;
  /** Runs until `signal` aborts; records into the history it was created with. */
  run(signal: AbortSignal): Promise<void>;
}

/** Shared, increasing operation ids and the run's clock. */
export interface RunClock {
  nowMs(): number;
  nextOperationId(): number;
}

/** KVWorkloadOptions configure the register clients. */
export interface KVWorkloadOptions {
  /**
   * The members' client endpoints by name, asked before each operation; client i talks to
   * member i mod n (so after a membership change clients move to the new member).
   */
  readonly endpoints: () => ReadonlyMap<string, string>;
  readonly clients: number;
  readonly keys: readonly string[];
  readonly requestTimeoutMs: number;
  readonly random: SeededRandom;
  readonly clock: RunClock;
  readonly operations: Operation[];
  /** Operations recorded at most (the run stops issuing new ones beyond it). */
  readonly operationsMax: number;
}

const KVClient = grpc.makeGenericClientConstructor(clientServiceDefinition('KV'), 'KV');

type KVCalls = Record<'Range' | 'Put' | 'Txn', Call>;

type Call = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: Record<string, unknown>) => void) => void;

/**
 * Messages meaning "refused before any effect": the operation definitely did not happen.
 * "No connection established" is gRPC's answer when the call never reached a server (the
 * peer was down), so nothing could have been applied either.
 */
const definiteFailures = [/etcdserver: no leader/, /too many requests/, /request is too large/,
  /No connection established/];

function classify(error: grpc.ServiceError, kind: OperationKind): Outcome {
  // A failed read has no effect at all, so it is a definite failure whatever the cause.
  if (kind === 'read') return 'fail';
  if (error.code === grpc.status.INVALID_ARGUMENT) return 'fail';
  return definiteFailures.some((pattern) => pattern.test(error.details)) ? 'fail' : 'unknown';
}

/** KVWorkload runs the register clients (see the module comment). */
export class KVWorkload implements Workload {
  readonly name = 'kv-registers';
  private readonly latest = new Map<string, string | null>();
  private readonly connections = new Map<string, KVCalls>();
  private valueNext = 1;

  /** Creates the workload. */
  constructor(private readonly options: KVWorkloadOptions) {}

  async run(signal: AbortSignal): Promise<void> {
    const runs = Array.from({ length: this.options.clients },
      (_, client) => this.runClient(client, signal));
    await Promise.all(runs);
    for (const kv of this.connections.values()) (kv as unknown as grpc.Client).close();
  }

  private connection(endpoint: string): KVCalls {
    let kv = this.connections.get(endpoint);
    if (kv === undefined) {
      kv = new KVClient(endpoint, grpc.credentials.createInsecure()) as unknown as KVCalls;
      this.connections.set(endpoint, kv);
    }
    return kv;
  }

  private async runClient(client: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && this.options.operations.length < this.options.operationsMax) {
      const members = [...this.options.endpoints()].sort(([a], [b]) => a.localeCompare(b));
      const member = members[client % Math.max(1, members.length)];
      if (member === undefined) return;
      await this.step(this.connection(member[1]), client, member[0]);
    }
  }

  private async step(kv: KVCalls, client: number, peer: string): Promise<void> {
    const random = this.options.random;
    const key = random.pick(this.options.keys);
    const roll = random.float();
    const kind: OperationKind = roll < 0.5 ? 'read' : roll < 0.8 ? 'write' : 'cas';
    const value = `v${this.valueNext++}`;
    const expected = this.latest.get(key) ?? null;
    const base = { id: this.options.clock.nextOperationId(), client, peer, kind, key,
      invokeMs: this.options.clock.nowMs() };
    const call = (method: 'Range' | 'Put' | 'Txn', request: object) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        kv[method](request, new grpc.Metadata(),
          { deadline: Date.now() + this.options.requestTimeoutMs },
          (error, response) => (error !== null ? reject(error) : resolve(response ?? {})));
      });
    try {
      const operation = await this.execute(kind, key, value, expected, call);
      this.options.operations.push({ ...base, ...operation,
        completeMs: this.options.clock.nowMs(), outcome: 'ok' });
    } catch (error) {
      const serviceError = error as grpc.ServiceError;
      const outcome = classify(serviceError, kind);
      this.options.operations.push({
        ...base, ...(kind === 'read' ? {} : { value }),
        ...(kind === 'cas' ? { expected } : {}),
        completeMs: outcome === 'unknown' ? null : this.options.clock.nowMs(), outcome,
        error: serviceError.details ?? String(error),
      });
      // Back off a little after an error so a dead peer is not hammered.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async execute(kind: OperationKind, key: string, value: string,
    expected: string | null,
    call: (method: 'Range' | 'Put' | 'Txn', request: object) => Promise<Record<string, unknown>>):
    Promise<Partial<Operation>> {
    const keyBytes = Buffer.from(key);
    if (kind === 'read') {
      const response = await call('Range', { key: keyBytes });
      const kvs = response.kvs as Array<{ value: Uint8Array }>;
      const read = kvs[0] === undefined ? null : Buffer.from(kvs[0].value).toString();
      if (read !== null) this.latest.set(key, read);
      return { read, revision: headerRevision(response) };
    }
    if (kind === 'write') {
      const response = await call('Put', { key: keyBytes, value: Buffer.from(value) });
      this.latest.set(key, value);
      return { value, revision: headerRevision(response) };
    }
    const compare = expected === null
      ? { result: 'EQUAL', target: 'CREATE', key: keyBytes, createRevision: 0 }
      : { result: 'EQUAL', target: 'VALUE', key: keyBytes, value: Buffer.from(expected) };
    const response = await call('Txn', {
      compare: [compare],
      success: [{ requestPut: { key: keyBytes, value: Buffer.from(value) } }],
      failure: [],
    });
    const succeeded = response.succeeded === true;
    if (succeeded) this.latest.set(key, value);
    return { value, expected, succeeded, revision: headerRevision(response) };
  }
}

function headerRevision(response: Record<string, unknown>): number {
  const header = response.header as { revision?: number } | undefined;
  return Number(header?.revision ?? 0);
}
