/**
 * @module raft/sim/options
 * What one simulation run is made of: the seed, the cluster size, the step budget and the
 * fault kinds it may inject, plus the run parameters derived from the seed (timeouts, network
 * fault probabilities, compaction threshold, client load) and the simulator's limits.
 *
 * Contract: a run is a pure function of `SimOptions`. Every random choice is drawn from a
 * stream derived from `seed`; each subsystem (parameters, network, faults, client, raft
 * nodes) owns its own stream, so that removing one fault kind while shrinking perturbs the
 * other subsystems as little as possible.
 */
import { assert } from '../../util/assert.js';
import { SeededRandom } from '../../util/prng.js';

/**
 * FaultKind names one family of faults the simulator can inject. `skew` gives each node its
 * own clock rate (0.5x to 2x ticks per round), so lease-like shortcuts, which are only
 * safe with bounded clock drift, get caught. `pause` stalls a node (often the leader) like a
 * long GC pause: it neither ticks nor handles messages, which queue up and arrive on resume.
 */
export type FaultKind =
  | 'drop'
  | 'dup'
  | 'delay'
  | 'partition'
  | 'oneway'
  | 'crash'
  | 'membership'
  | 'transfer'
  | 'skew'
  | 'pause';

/** Every fault kind, in the canonical order used in replay commands. */
export const allFaultKinds: readonly FaultKind[] = [
  'drop', 'dup', 'delay', 'partition', 'oneway', 'crash', 'membership', 'transfer', 'skew',
  'pause',
];

/** The limits of the simulator itself; each is documented with its behaviour at the bound. */
export const simLimits = {
  /** Messages in flight in the simulated network; at the bound new messages are dropped. */
  inflightMessagesMax: 4096,
  /** Client proposals awaiting acknowledgement; at the bound the client stops proposing. */
  pendingProposalsMax: 128,
  /** Client reads awaiting completion; at the bound the client stops reading. */
  pendingReadsMax: 32,
  /** Joiners added over one run; at the bound the membership driver only removes. */
  joinersMax: 3,
  /** Trace events kept for a failure report (ring buffer, oldest dropped first). */
  traceEventsMax: 200,
  /** Ready batches processed per node per action; reaching it is a livelock (failure). */
  readyRoundsMax: 64,
  /** Largest cluster size accepted. */
  clusterSizeMax: 9,
  /** Largest step budget accepted for the main (faulty) phase. */
  stepsMax: 1_000_000,
  /** Re-runs one shrink may try. */
  shrinkRunsMax: 24,
} as const;

/** SimOptions fully determine one run. */
export interface SimOptions {
  /** The seed of every random choice of the run; a non-negative safe integer. */
  readonly seed: number;
  /** Initial voters, 1..clusterSizeMax (3, 5 and 7 are the interesting sizes). */
  readonly clusterSize: number;
  /** Steps of the faulty phase; the healing phase that follows adds its own bounded steps. */
  readonly steps: number;
  /** Fault kinds this run may inject. */
  readonly faults: readonly FaultKind[];
}

/** RunParameters are the per-run knobs drawn from the seed. */
export interface RunParameters {
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly snapshotChunkBytes: number;
  readonly messageBytesMax: number;
  readonly inflightMessagesMax: number;
  readonly dropProbability: number;
  readonly duplicateProbability: number;
  readonly delayProbability: number;
  /** Upper bound (exclusive) of the extra delay of a delayed message, in ticks. */
  readonly delayTicksMax: number;
  readonly reorderProbability: number;
  /** Applied entries between two compactions of a node's log. */
  readonly compactionEntries: number;
  /** Probability per tick that the client proposes a write. */
  readonly proposeProbability: number;
  /** Probability per tick that the client issues a ReadIndex read. */
  readonly readProbability: number;
  /** Probability per tick of each structural fault (partition, crash, ...). */
  readonly faultProbability: number;
}

/** Random streams of one run, one per subsystem. */
export interface RunStreams {
  readonly parameters: SeededRandom;
  readonly network: SeededRandom;
  readonly faults: SeededRandom;
  readonly client: SeededRandom;
  /** The base from which each raft node incarnation derives its own seed. */
  readonly raftSeedBase: number;
}

/** Builds validated options; asserts the ranges (callers validate user input first). */
export function makeSimOptions(input: SimOptions): SimOptions {
  assert(Number.isSafeInteger(input.seed) && input.seed >= 0, 'seed must be a safe integer');
  assert(input.clusterSize >= 1 && input.clusterSize <= simLimits.clusterSizeMax,
    'clusterSize out of range');
  assert(Number.isSafeInteger(input.steps) && input.steps >= 1, 'steps must be positive');
  assert(input.steps <= simLimits.stepsMax, 'steps above stepsMax');
  const faults = allFaultKinds.filter((kind) => input.faults.includes(kind));
  return { seed: input.seed, clusterSize: input.clusterSize, steps: input.steps, faults };
}

/**
 * Parses a comma-separated fault list ("drop,dup,crash", "all" or "none"); returns the
 * unknown names in `unknown` so a shell can report them as a usage error.
 */
export function parseFaultKinds(text: string): { faults: FaultKind[]; unknown: string[] } {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'none') return { faults: [], unknown: [] };
  if (trimmed === 'all') return { faults: [...allFaultKinds], unknown: [] };
  const faults: FaultKind[] = [];
  const unknown: string[] = [];
  for (const name of trimmed.split(',').map((part) => part.trim())) {
    const kind = allFaultKinds.find((candidate) => candidate === name);
    if (kind === undefined) unknown.push(name);
    else if (!faults.includes(kind)) faults.push(kind);
  }
  return { faults: allFaultKinds.filter((kind) => faults.includes(kind)), unknown };
}

/** Derives the independent random streams of a run from its seed. */
export function makeRunStreams(seed: number): RunStreams {
  const master = new SeededRandom(seed);
  // NB: the draw order below is part of the replay format: never reorder these lines.
  const parameters = new SeededRandom(master.next());
  const network = new SeededRandom(master.next());
  const faults = new SeededRandom(master.next());
  const client = new SeededRandom(master.next());
  const raftSeedBase = master.next();
  return { parameters, network, faults, client, raftSeedBase };
}

/** Draws the run parameters; fault probabilities are zero for kinds that are not enabled. */
export function chooseParameters(random: SeededRandom, options: SimOptions): RunParameters {
  const enabled = (kind: FaultKind): boolean => options.faults.includes(kind);
  const electionTicks = random.pick([5, 6, 8, 10]);
  const heartbeatTicks = random.pick([1, 1, 2]);
  const parameters: RunParameters = {
    electionTicks,
    heartbeatTicks,
    snapshotChunkBytes: random.pick([64, 256, 1024, 1024 * 1024]),
    messageBytesMax: random.pick([1024, 4096, 1024 * 1024]),
    inflightMessagesMax: random.pick([1, 4, 256]),
    dropProbability: enabled('drop') ? random.pick([0.01, 0.05, 0.15]) : 0,
    duplicateProbability: enabled('dup') ? random.pick([0.01, 0.05, 0.1]) : 0,
    delayProbability: enabled('delay') ? random.pick([0.02, 0.1, 0.3]) : 0,
    delayTicksMax: electionTicks * random.pick([1, 2, 3]),
    reorderProbability: enabled('delay') ? random.pick([0.05, 0.2]) : 0,
    compactionEntries: random.pick([20, 30, 50]),
    proposeProbability: random.pick([0.3, 0.6, 0.9]),
    readProbability: random.pick([0.1, 0.3]),
    faultProbability: random.pick([0.01, 0.02, 0.04]),
  };
  assert(parameters.heartbeatTicks * 2 <= parameters.electionTicks, 'heartbeat too slow');
  assert(parameters.delayTicksMax >= 1, 'delayTicksMax must be positive');
  return parameters;
}

/** Formats the command that replays one run. */
export function replayCommand(options: SimOptions): string {
  const faults = options.faults.length === 0 ? 'none' : options.faults.join(',');
  return `SEED=${options.seed} SIZE=${options.clusterSize} STEPS=${options.steps} ` +
    `FAULTS=${faults} npm run sim`;
}
