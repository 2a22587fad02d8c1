/**
 * @module bench/etcdload-generator
 * The etcdload adapter of the LoadGenerator port: runs the compiled reference generator
 * (shared/tools/etcdload, Go) as a child process per run and reads its `RESULT {...}` JSON
 * lines. Its ceiling is measured against its own Go no-op server.
 */
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../transport/proto.js';
import { keyBytes, valueBytes } from './generator.js';
import type { LoadGenerator, PutSpec, RangeSpec, WatchResult, WatchSpec } from './generator.js';
import type { ProcessRegistry } from './processes.js';
import type { LoadResult } from './stats.js';
import { waitForPort } from './wait.js';

/** The fields of one etcdload `RESULT` line that the benchmark reads. */
interface EtcdloadResult {
  readonly op: string;
  readonly requests: number;
  readonly errors: number;
  readonly total_s: number;
  readonly rps: number;
  readonly pct_ms: Readonly<Record<string, number>>;
  readonly extra?: Readonly<Record<string, number>>;
}

/** Where etcdload is looked for when no path is given, in order. */
export function etcdloadCandidates(): string[] {
  return ['/tmp/etcdload-bin/etcdload',
    join(packageRoot(), '..', 'shared', 'tools', 'etcdload', 'bin', 'etcdload'),
    join(packageRoot(), 'shared', 'tools', 'etcdload', 'bin', 'etcdload')];
}

/** Returns the first executable etcdload among `candidates`, or null. */
export function findEtcdload(candidates: readonly string[] = etcdloadCandidates()):
  string | null {
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not there or not executable: try the next one.
    }
  }
  return null;
}

/** Parses every `RESULT {...}` line of etcdload's output. */
export function parseEtcdloadResults(output: string): EtcdloadResult[] {
  return output.split('\n').filter((line) => line.startsWith('RESULT '))
    .map((line) => JSON.parse(line.slice('RESULT '.length)) as EtcdloadResult);
}

function toLoadResult(result: EtcdloadResult): LoadResult {
  const p50Ms = result.pct_ms.p50;
  const p99Ms = result.pct_ms.p99;
  if (result.requests <= 0 || p50Ms === undefined || p99Ms === undefined) {
    throw new Error(`etcdload ${result.op}: no successful request (${result.errors} errors)`);
  }
  return { requests: result.requests, errors: result.errors, elapsedS: result.total_s,
    requestsPerS: result.rps, p50Ms, p99Ms };
}

/** EtcdloadGenerator drives the etcd v3 API with the etcdload binary at `path`. */
export class EtcdloadGenerator implements LoadGenerator {
  readonly name = 'etcdload';
  readonly watchUnsupported = null;
  readonly description: string;

  constructor(private readonly path: string, private readonly processes: ProcessRegistry) {
    this.description = `etcdload (${path})`;
  }

  async put(spec: PutSpec): Promise<LoadResult> {
    const results = await this.run(['put', ...this.common(spec), '--total', String(spec.total),
      '--key-space-size', String(spec.keySpace ?? spec.total), '--key-size', String(keyBytes),
      '--val-size', String(valueBytes)]);
    return toLoadResult(lastResult(results, 'put'));
  }

  async range(spec: RangeSpec): Promise<LoadResult> {
    const results = await this.run(['range', ...this.common(spec),
      '--total', String(spec.total), '--key', spec.key,
      '--consistency', spec.consistency === 'linearizable' ? 'l' : 's']);
    return toLoadResult(lastResult(results, 'range'));
  }

  async watch(spec: WatchSpec): Promise<WatchResult> {
    const results = await this.run(['watch', '--endpoints', spec.watchEndpoints.join(','),
      '--watchers', String(spec.watchers), '--streams', String(Math.ceil(spec.watchers / 100)),
      '--put-endpoints', spec.putEndpoints.join(','), '--clients', String(spec.putClients),
      '--put-conns', String(Math.min(8, spec.putClients)), '--total', String(spec.puts),
      '--val-size', String(valueBytes), '--max-time', `${spec.maxTimeS}s`, '--json']);
    const events = lastResult(results, 'watch-event');
    const extra = events.extra ?? {};
    const expected = extra.events_expected ?? spec.watchers * spec.puts;
    const received = extra.events_received ?? 0;
    const fanoutMs = extra.fanout_ms_first_put_to_last_ev ?? events.total_s * 1000;
    return { fanoutS: fanoutMs / 1000, eventsExpected: expected, eventsReceived: received,
      complete: received >= expected };
  }

  async startNoopServer(port: number): Promise<ChildProcess> {
    const child = this.processes.spawn(this.path,
      ['noop-server', '--listen', `127.0.0.1:${port}`, '--max-time', '2h'],
      { stdio: ['ignore', 'ignore', 'ignore'] });
    await waitForPort(port, 10_000);
    return child;
  }

  private common(spec: { endpoints: readonly string[]; clients: number;
    connections: number }): string[] {
    return ['--endpoints', spec.endpoints.join(','), '--clients', String(spec.clients),
      '--conns', String(spec.connections), '--json', '--max-time', '10m'];
  }

  private run(args: readonly string[]): Promise<EtcdloadResult[]> {
    const child = this.processes.spawn(this.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { output += chunk; });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { errors += chunk; });
    return new Promise((resolveRun, reject) => {
      child.once('error', reject);
      // NB: 'close', not 'exit': output may still be buffered in the pipes at 'exit'.
      child.once('close', (code, signal) => {
        if (code === 0) {
          // NB: etcdload prints the watch-event RESULT line on stderr, the others on stdout.
          resolveRun(parseEtcdloadResults(`${output}\n${errors}`));
          return;
        }
        reject(new Error(`etcdload ${args[0]} exited with ${code ?? signal}: ` +
          `${errors.trim().split('\n').slice(-3).join(' | ')}`));
      });
    });
  }
}

function lastResult(results: readonly EtcdloadResult[], op: string): EtcdloadResult {
  const found = results.filter((result) => result.op.startsWith(op)).at(-1);
  if (found === undefined) throw new Error(`etcdload printed no RESULT line for ${op}`);
  return found;
}
