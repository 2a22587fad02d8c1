/**
 * @module bench/api-plan
 * The sizes of one `coracle bench api` run: which operations, at which fixed rate and with
 * how many closed-loop clients at saturation, how long each phase lasts, how many pods the
 * list namespaces hold. `--quick` shrinks everything to a smoke run (one trial, short
 * phases, no 10,000-pod list). Pure.
 */
import { assert } from '../util/assert.js';

/** The operations `coracle bench api` measures, in run order. */
export type APIOperation = 'create' | 'get' | 'update' | 'list1k' | 'list10k' | 'watch';

/** Every operation, in run order. */
export const apiOperations: readonly APIOperation[] =
  ['create', 'get', 'update', 'list1k', 'list10k', 'watch'];

/** The two load modes: open-loop at a fixed rate, closed-loop at saturation. */
export type APILoadMode = 'fixed' | 'saturation';

/** The peer a phase talks to (`noop`: the client's own ceiling). */
export type APITarget = 'follower' | 'leader' | 'noop';

/** OperationShape is how one operation is driven in each mode. */
export interface OperationShape {
  /** Open-loop sends per second. */
  readonly fixedRatePerS: number;
  /** Closed-loop clients (requests in flight) at saturation. */
  readonly saturationClients: number;
}

/**
 * The shape of every operation: 200/s and 32 clients for single objects and watch; lists
 * are heavy (a 10,000-pod list is about 10 MB of JSON), so they get lower fixed rates and
 * fewer clients, which the table says.
 */
export const operationShapes: Readonly<Record<APIOperation, OperationShape>> = {
  create: { fixedRatePerS: 200, saturationClients: 32 },
  get: { fixedRatePerS: 200, saturationClients: 32 },
  update: { fixedRatePerS: 200, saturationClients: 32 },
  list1k: { fixedRatePerS: 20, saturationClients: 8 },
  list10k: { fixedRatePerS: 5, saturationClients: 4 },
  watch: { fixedRatePerS: 200, saturationClients: 32 },
};

/** Pods of each list namespace. */
export const listPods: Readonly<Record<'list1k' | 'list10k', number>> =
  { list1k: 1_000, list10k: 10_000 };

/** Pods updated round robin (each update takes a pod no other update has in flight). */
export const updatePodsMax = 256;

/** APIBenchPlan holds every size of one run. */
export interface APIBenchPlan {
  readonly trials: number;
  readonly operations: readonly APIOperation[];
  /** Measured length of each fixed-rate phase, ms. */
  readonly fixedPhaseMs: number;
  /** Measured length of each saturation phase, ms. */
  readonly saturationPhaseMs: number;
  /** Unmeasured warm-up before each phase (same load), ms. */
  readonly warmUpMs: number;
  /** Length of each ceiling phase against the no-op server, ms. */
  readonly ceilingPhaseMs: number;
  /** Bound on one request (and on one watch event's arrival), ms; past it: an error. */
  readonly requestTimeoutMs: number;
  /** Bound on any one cluster wait (leader, namespaces), ms. */
  readonly waitDeadlineMs: number;
}

/** Returns the plan: full, `quick`, and with every phase `phaseMs` long when given. */
export function planAPIBench(options: { trials: number; quick: boolean; phaseMs?: number }):
  APIBenchPlan {
  assert(Number.isSafeInteger(options.trials) && options.trials >= 1, 'trials must be >= 1');
  const operations = options.quick
    ? apiOperations.filter((operation) => operation !== 'list10k') : apiOperations;
  const base: APIBenchPlan = options.quick
    ? { trials: 1, operations, fixedPhaseMs: 1_000, saturationPhaseMs: 1_000, warmUpMs: 200,
      ceilingPhaseMs: 500, requestTimeoutMs: 15_000, waitDeadlineMs: 20_000 }
    : { trials: options.trials, operations, fixedPhaseMs: 10_000, saturationPhaseMs: 5_000,
      warmUpMs: 1_000, ceilingPhaseMs: 3_000, requestTimeoutMs: 30_000,
      waitDeadlineMs: 30_000 };
  if (options.phaseMs === undefined) return base;
  assert(Number.isSafeInteger(options.phaseMs) && options.phaseMs >= 10, 'phaseMs >= 10');
  return { ...base, fixedPhaseMs: options.phaseMs, saturationPhaseMs: options.phaseMs,
    warmUpMs: Math.ceil(options.phaseMs / 4), ceilingPhaseMs: options.phaseMs };
}
