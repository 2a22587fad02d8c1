/**
 * @module bench/generator
 * The load generator port of `coracle bench`: closed-loop put and range runs, watch
 * fan-out, and an instant-answer no-op server to measure the generator's own ceiling. Two
 * adapters: etcdload (the compiled reference tool, shared/tools/etcdload) and a TypeScript
 * generator (node-generator.ts). Both speak only the etcd v3 gRPC API, so one generator
 * drives Coracle and etcd alike.
 */
import type { ChildProcess } from 'node:child_process';
import type { LoadResult } from './stats.js';

/** Value size of every put, bytes (issue 5: values of 256 bytes). */
export const valueBytes = 256;

/** Key size of generated keys, bytes: prefix + zero-padded counter (as etcdload does). */
export const keyBytes = 8;

/** PutSpec describes one closed-loop put run. */
export interface PutSpec {
  /** Endpoints (host:port); connection i uses endpoint i % length. */
  readonly endpoints: readonly string[];
  /** Requests in flight (closed-loop clients). */
  readonly clients: number;
  /** gRPC connections the clients share. */
  readonly connections: number;
  /** Requests to send in the measured phase. */
  readonly total: number;
  /** Distinct keys; request i writes key i % keySpace (defaults to total). */
  readonly keySpace?: number;
}

/** RangeSpec describes one closed-loop run of single-key range reads. */
export interface RangeSpec {
  readonly endpoints: readonly string[];
  readonly clients: number;
  readonly connections: number;
  readonly total: number;
  readonly key: string;
  readonly consistency: 'linearizable' | 'serializable';
}

/** WatchSpec: `watchers` watch a prefix on `watchEndpoints`, then `puts` writes arrive. */
export interface WatchSpec {
  readonly watchEndpoints: readonly string[];
  readonly putEndpoints: readonly string[];
  readonly watchers: number;
  readonly puts: number;
  /** Puts in flight. */
  readonly putClients: number;
  /** Bound on the whole run, seconds; a run past it is reported incomplete. */
  readonly maxTimeS: number;
}

/** WatchResult: the time from the first put until every watcher had every event. */
export interface WatchResult {
  readonly fanoutS: number;
  readonly eventsExpected: number;
  readonly eventsReceived: number;
  /** False when some events never arrived within the bound. */
  readonly complete: boolean;
}

/** LoadGenerator is one load generator adapter. */
export interface LoadGenerator {
  readonly name: 'etcdload' | 'node';
  /** One line for the report: which generator, where. */
  readonly description: string;
  put(spec: PutSpec): Promise<LoadResult>;
  range(spec: RangeSpec): Promise<LoadResult>;
  /** Runs watch fan-out; null when this generator cannot (see `watchUnsupported`). */
  watch(spec: WatchSpec): Promise<WatchResult | null>;
  /** Why watch fan-out is not available, when it is not. */
  readonly watchUnsupported: string | null;
  /**
   * Starts this generator's no-op server on `port` as a tracked child; resolves once it
   * accepts connections. The caller stops it by PID.
   */
  startNoopServer(port: number): Promise<ChildProcess>;
}
