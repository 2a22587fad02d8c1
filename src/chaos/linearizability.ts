/**
 * @module chaos/linearizability
 * A linearizability checker for register histories (one register per etcd key), following
 * Wing & Gong's search with Lowe's just-in-time linearization and memoization of
 * (linearized set, model state), as Porcupine and Knossos do.
 *
 * Contract:
 * - Pure and deterministic: no clock unless one is injected (`nowMs`), no ambient randomness
 *   (the memo hashes come from a seeded PRNG), no IO.
 * - The history is partitioned by key (P-compositionality: a history of independent objects
 *   is linearizable iff each object's sub-history is) and every key is checked on its own.
 * - Every key search is bounded by `stepsPerKeyMax` and, when a clock is injected, by
 *   `timePerKeyMsMax`. At a bound the key's verdict is `unknown`; the checker never hangs.
 * - A `violation` comes with a small non-linearizable sub-history of one key (greedy
 *   delta-debugging, bounded by `minimizeChecksMax`) and a plain-words explanation.
 *
 * Outcomes (Jepsen): `fail` operations had no effect and are removed. `unknown` operations
 * may take effect at any point after their invocation, or never: their completion time is
 * +infinity and the search may end with them pending. Unknown reads carry no information
 * and are dropped.
 *
 * Reductions (each keeps the verdict exact; NB the proofs are sketched where applied):
 * 1. Values that no operation reads or compares against are all the same to the model, so
 *    they share one state (`VALUE_DEAD`), which makes the memo collapse more states.
 * 2. An unknown write whose value some ok read returned (values are unique per key) MUST
 *    take effect before that read completes, so its completion becomes the earliest such
 *    read's completion and it must be linearized ("forced"). The same holds along chains of
 *    unknown CAS operations.
 * 3. An unknown operation that writes an unreferenced value (a "dead maker") can only help
 *    by making a later failed CAS fail; it is therefore linearized only immediately before
 *    such a CAS, choosing by a dominance rule (see `pickDeadMaker`) instead of branching.
 *
 * NB: the memo stores 64-bit Zobrist hashes of (linearized set, state), not the sets. A hash
 * collision could prune a live branch; with at most 2^21 entries per key its probability is
 * below 2^-22 per key, which we accept in exchange for bounded memory (16 bytes per state).
 */
import { assert } from '../util/assert.js';
import { SeededRandom } from '../util/prng.js';
import type { Operation } from './history.js';

/** Verdict of a check: `unknown` means a budget ran out before the search finished. */
export type Verdict = 'ok' | 'violation' | 'unknown';

/** LinearizabilityOptions bounds the search; every field is optional. */
export interface LinearizabilityOptions {
  /** Search steps per key (default 2,000,000, at least 1). At the bound: verdict unknown. */
  readonly stepsPerKeyMax?: number;
  /** Wall-clock budget per key in ms (default 30,000); only enforced with `nowMs`. */
  readonly timePerKeyMsMax?: number;
  /** An injected monotonic clock in ms (the shell passes `performance.now`). */
  readonly nowMs?: () => number;
  /** Checker runs spent minimizing a violation (default 400). At the bound: stop early. */
  readonly minimizeChecksMax?: number;
  /** Search steps per minimization run (default 200,000); unknown keeps the operation. */
  readonly minimizeStepsMax?: number;
  /** Seed of the memo hashes (default 1). */
  readonly seed?: number;
}

/** KeyResult is the verdict for one key (one register). */
export interface KeyResult {
  readonly key: string;
  readonly verdict: Verdict;
  /** Search steps spent (loop iterations of the Wing & Gong search). */
  readonly steps: number;
  /** Operations searched (after removing fail operations and unknown reads). */
  readonly operations: number;
  /** Operations removed before the search (fail outcomes and unknown reads). */
  readonly dropped: number;
  /** Why the verdict is unknown ('steps' or 'time'), absent otherwise. */
  readonly budget?: 'steps' | 'time';
}

/** Anomaly is a small non-linearizable sub-history of one key, explained. */
export interface Anomaly {
  readonly key: string;
  /** The operations, in invocation order; removing any one makes it linearizable. */
  readonly minimalHistory: Operation[];
  readonly explanation: string;
  /** Checker runs spent minimizing. */
  readonly checks: number;
}

/** LinearizabilityResult is the whole history's verdict with one result per key. */
export interface LinearizabilityResult {
  readonly verdict: Verdict;
  readonly keys: KeyResult[];
  readonly anomaly?: Anomaly;
}

const STEPS_PER_KEY_DEFAULT = 2_000_000;
const TIME_PER_KEY_MS_DEFAULT = 30_000;
const MINIMIZE_CHECKS_DEFAULT = 400;
const MINIMIZE_STEPS_DEFAULT = 200_000;
/** Scan results that are not list positions. */
const ENTRY_CONFLICT = -2;
const ENTRY_NONE = -3;
/** Steps between two reads of the injected clock. */
const CLOCK_STEPS_INTERVAL = 1024;

/** The state id of an absent key (null). */
const VALUE_ABSENT = 0;
/** The state id shared by every value nothing reads or compares against. */
const VALUE_DEAD = 1;

/** How a CAS must behave in the model. */
type CasRule = 'success' | 'failure' | 'either';

/** How the search treats an operation. */
type OperationMode = 'finite' | 'optional' | 'deadMaker';

/** PreparedOperation is one operation in model terms (value ids instead of strings). */
interface PreparedOperation {
  readonly op: Operation;
  readonly mode: OperationMode;
  /** write/cas: the id of the value written; -1 for reads. */
  readonly writeId: number;
  /** cas: the id of the expected value; read: the id of the value read; -1 otherwise. */
  readonly argumentId: number;
  readonly casRule: CasRule;
  /** The completion time the search uses (+Infinity for optional operations). */
  readonly completionMs: number;
}

/** PreparedRegister is one key's history ready for the search. */
interface PreparedRegister {
  readonly operations: PreparedOperation[];
  /** Number of distinct state ids (absent, dead, and each referenced value). */
  readonly stateCount: number;
  readonly dropped: number;
}

/** SearchBudget bounds one search. */
interface SearchBudget {
  readonly stepsMax: number;
  readonly timeMsMax: number;
  readonly nowMs: (() => number) | undefined;
  readonly seed: number;
}

/** SearchOutcome is what one bounded search found. */
interface SearchOutcome {
  readonly verdict: Verdict;
  readonly steps: number;
  readonly budget?: 'steps' | 'time';
}

/**
 * Checks a whole history: partitions it by key, searches each key within its budget and,
 * for the first violating key (in key order), minimizes and explains the violation.
 */
export function checkLinearizability(
  operations: readonly Operation[], options: LinearizabilityOptions = {},
): LinearizabilityResult {
  const budget = searchBudget(options, options.stepsPerKeyMax ?? STEPS_PER_KEY_DEFAULT);
  const byKey = partitionByKey(operations);
  const keys: KeyResult[] = [];
  for (const [key, keyOperations] of byKey) {
    keys.push(checkRegister(key, keyOperations, budget));
  }
  const violating = keys.find((result) => result.verdict === 'violation');
  const verdict: Verdict = violating !== undefined ? 'violation'
    : keys.some((result) => result.verdict === 'unknown') ? 'unknown' : 'ok';
  if (violating === undefined) return { verdict, keys };
  const keyOperations = byKey.get(violating.key);
  assert(keyOperations !== undefined, 'violating key must have operations');
  const anomaly = minimizeViolation(violating.key, keyOperations, options);
  return { verdict, keys, anomaly };
}

/** Groups operations by key, keys sorted, each group in id order. */
export function partitionByKey(operations: readonly Operation[]): Map<string, Operation[]> {
  const groups = new Map<string, Operation[]>();
  for (const op of operations) {
    const group = groups.get(op.key);
    if (group === undefined) groups.set(op.key, [op]);
    else group.push(op);
  }
  const sorted = new Map<string, Operation[]>();
  for (const key of [...groups.keys()].sort()) {
    sorted.set(key, groups.get(key)!.sort((a, b) => a.id - b.id));
  }
  assert(sorted.size === groups.size, 'partition keeps every key');
  return sorted;
}

function searchBudget(options: LinearizabilityOptions, stepsMax: number): SearchBudget {
  assert(Number.isSafeInteger(stepsMax) && stepsMax >= 1, 'steps budget must be >= 1');
  const timeMsMax = options.timePerKeyMsMax ?? TIME_PER_KEY_MS_DEFAULT;
  assert(timeMsMax > 0, 'time budget must be positive');
  return { stepsMax, timeMsMax, nowMs: options.nowMs, seed: options.seed ?? 1 };
}

/** Checks one key's operations (all MUST carry that key). */
function checkRegister(
  key: string, operations: readonly Operation[], budget: SearchBudget,
): KeyResult {
  const prepared = prepareRegister(operations);
  const outcome = new RegisterSearch(prepared, budget).run();
  const result = {
    key, verdict: outcome.verdict, steps: outcome.steps,
    operations: prepared.operations.length, dropped: prepared.dropped,
  };
  return outcome.budget === undefined ? result : { ...result, budget: outcome.budget };
}

/** Returns whether an operation is removed before the search (no effect, no information). */
function isDropped(op: Operation): boolean {
  return op.outcome === 'fail' || (op.kind === 'read' && op.outcome === 'unknown');
}

/** Returns the value an operation writes (write, or cas new value), or undefined. */
function writtenValue(op: Operation): string | undefined {
  return op.kind === 'read' ? undefined : op.value;
}

/**
 * Values some kept operation reads or compares against; every other value is dead.
 * NB: a CAS expecting null compares against the absent state, which has its own id.
 */
function referencedValues(kept: readonly Operation[]): Map<string, number> {
  const ids = new Map<string, number>();
  for (const op of kept) {
    const value = op.kind === 'read' ? op.read : op.kind === 'cas' ? op.expected : undefined;
    if (value === undefined || value === null || ids.has(value)) continue;
    ids.set(value, ids.size + 2);
  }
  assert(ids.size + 2 <= 0x7fffffff, 'state ids fit an Int32Array');
  return ids;
}

/**
 * Computes, for each unknown operation whose written value an ok operation observed, the
 * time by which it MUST have taken effect (reduction 2). Works through CAS chains with an
 * explicit worklist: a forced unknown CAS forces the producer of its expected value.
 */
function forcedCompletions(kept: readonly Operation[]): Map<number, number> {
  const producers = new Map<string, number[]>();
  kept.forEach((op, index) => {
    const value = writtenValue(op);
    if (value === undefined) return;
    const list = producers.get(value);
    if (list === undefined) producers.set(value, [index]);
    else list.push(index);
  });
  const deadline = new Map<string, number>();
  const lower = (value: string, timeMs: number): boolean => {
    const known = deadline.get(value);
    if (known !== undefined && known <= timeMs) return false;
    deadline.set(value, timeMs);
    return true;
  };
  const worklist: string[] = [];
  for (const op of kept) {
    if (op.outcome !== 'ok' || op.completeMs === null) continue;
    const observed = op.kind === 'read' ? op.read
      : op.kind === 'cas' && op.succeeded === true ? op.expected : undefined;
    if (observed !== undefined && observed !== null && lower(observed, op.completeMs)) {
      worklist.push(observed);
    }
  }
  const forced = new Map<number, number>();
  const iterationsMax = kept.length * 4 + 16;
  for (let iteration = 0; worklist.length > 0 && iteration < iterationsMax; iteration++) {
    const value = worklist.pop()!;
    const list = producers.get(value);
    const timeMs = deadline.get(value)!;
    if (list?.length !== 1) continue;
    const index = list[0]!;
    const op = kept[index]!;
    if (op.outcome !== 'unknown' || timeMs < op.invokeMs) continue;
    forced.set(index, timeMs);
    const expected = op.kind === 'cas' ? op.expected : undefined;
    if (expected !== undefined && expected !== null && lower(expected, timeMs)) {
      worklist.push(expected);
    }
  }
  return forced;
}

/**
 * Returns the unknown operations that can only ever help by leaving a state (reduction 3):
 * their value is not USEFUL and not compared against by an ok CAS that may have failed.
 * A value is useful when an ok read returned it, an ok CAS that may have succeeded expected
 * it, or (fixpoint, explicit worklist) an unknown CAS writing a useful value expected it.
 * NB: such an operation may then produce the shared dead state instead of its own value:
 * only unknown CAS operations that are themselves useless could tell the two apart.
 */
function deadMakerCandidates(kept: readonly Operation[]): Set<Operation> {
  const useful = new Set<string>();
  const compared = new Set<string>();
  const unknownCasByValue = new Map<string, Operation[]>();
  const worklist: string[] = [];
  const markUseful = (value: string | null | undefined): void => {
    if (value === null || value === undefined || useful.has(value)) return;
    useful.add(value);
    worklist.push(value);
  };
  for (const op of kept) {
    if (op.kind === 'read' && op.outcome === 'ok') markUseful(op.read);
    if (op.kind !== 'cas') continue;
    if (op.outcome === 'ok' && op.succeeded !== false) markUseful(op.expected);
    if (op.outcome === 'ok' && op.succeeded !== true && op.expected !== undefined &&
      op.expected !== null) compared.add(op.expected);
    if (op.outcome !== 'unknown' || op.value === undefined) continue;
    const list = unknownCasByValue.get(op.value);
    if (list === undefined) unknownCasByValue.set(op.value, [op]);
    else list.push(op);
  }
  for (let guard = 0; worklist.length > 0 && guard <= kept.length * 2 + 16; guard++) {
    for (const op of unknownCasByValue.get(worklist.pop()!) ?? []) markUseful(op.expected);
  }
  assert(worklist.length === 0, 'usefulness reaches a fixpoint');
  const candidates = new Set<Operation>();
  for (const op of kept) {
    const value = op.outcome === 'unknown' ? writtenValue(op) : undefined;
    if (value !== undefined && !useful.has(value) && !compared.has(value)) candidates.add(op);
  }
  return candidates;
}

/** Turns one key's operations into model terms (see the module comment's reductions). */
function prepareRegister(operations: readonly Operation[]): PreparedRegister {
  const kept = operations.filter((op) => !isDropped(op));
  const ids = referencedValues(kept);
  const idOf = (value: string | null | undefined): number =>
    value === null || value === undefined ? VALUE_ABSENT : ids.get(value) ?? VALUE_DEAD;
  const forced = forcedCompletions(kept);
  const deadMakers = deadMakerCandidates(kept);
  const prepared = kept.map((op, index): PreparedOperation => {
    assert(op.completeMs === null || op.completeMs >= op.invokeMs, 'completes after invoke');
    const writeId = op.kind === 'read' ? -1 : idOf(op.value);
    const argumentId = op.kind === 'read' ? idOf(op.read)
      : op.kind === 'cas' ? idOf(op.expected) : -1;
    const casRule: CasRule = op.outcome !== 'ok' || op.succeeded === true ? 'success'
      : op.succeeded === false ? 'failure' : 'either';
    const forcedMs = forced.get(index);
    const mode: OperationMode = op.outcome === 'ok' || forcedMs !== undefined ? 'finite'
      : deadMakers.has(op) ? 'deadMaker' : 'optional';
    const completionMs = op.outcome === 'ok' ? op.completeMs ?? Infinity
      : forcedMs ?? Infinity;
    return { op, mode, writeId, argumentId, casRule, completionMs };
  });
  return {
    operations: prepared, stateCount: ids.size + 2, dropped: operations.length - kept.length,
  };
}

/**
 * HashSet64 is an open-addressing set of 64-bit hashes (two 32-bit halves). Bit 0 of the
 * high half is forced to 1 so that an all-zero slot means empty.
 */
class HashSet64 {
  private lows = new Uint32Array(1024);
  private highs = new Uint32Array(1024);
  private count = 0;

  /** Adds the hash; returns false when it was already present. */
  add(low: number, high: number): boolean {
    const marked = (high | 1) >>> 0;
    if ((this.count + 1) * 2 > this.lows.length) this.grow();
    const mask = this.lows.length - 1;
    let slot = (low >>> 0) & mask;
    for (let probes = 0; probes <= mask; probes++) {
      const storedHigh = this.highs[slot]!;
      if (storedHigh === 0) {
        this.lows[slot] = low >>> 0;
        this.highs[slot] = marked;
        this.count++;
        return true;
      }
      if (storedHigh === marked && this.lows[slot] === low >>> 0) return false;
      slot = (slot + 1) & mask;
    }
    assert(false, 'hash set must never be full');
  }

  private grow(): void {
    const lows = this.lows;
    const highs = this.highs;
    this.lows = new Uint32Array(lows.length * 2);
    this.highs = new Uint32Array(highs.length * 2);
    this.count = 0;
    for (let slot = 0; slot < lows.length; slot++) {
      if (highs[slot] !== 0) this.add(lows[slot]!, highs[slot]!);
    }
    assert(this.count * 4 <= this.lows.length, 'grown set is at most half full');
  }
}

/**
 * RegisterSearch is one Wing & Gong search over a doubly linked list of call and return
 * entries, with an explicit stack of linearized calls (no recursion).
 *
 *   head <-> call(a) <-> call(b) <-> return(a) <-> call(c) <-> return(b) ... <-> tail
 *
 * A call may be linearized next iff it precedes the first return in the list. Linearizing
 * lifts its call and return out of the list; backtracking relinks them in reverse order
 * (dancing links), so the list is restored exactly.
 */
class RegisterSearch {
  private readonly operations: readonly PreparedOperation[];
  private readonly budget: SearchBudget;
  /** Entry positions in time order; `head` and `tail` are sentinels. */
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly head: number;
  private readonly tail: number;
  private readonly entryOperation: Int32Array;
  /** 1 for a call entry, 0 for a return entry. */
  private readonly entryIsCall: Uint8Array;
  /** 1 for the return of an optional operation (time +infinity). */
  private readonly entryIsOpen: Uint8Array;
  /** call position -> its return position. */
  private readonly matchingReturn: Int32Array;
  /** Dead makers (operation indexes), ordered by call position, with their positions. */
  private readonly deadMakers: number[] = [];
  private readonly deadMakerPositions: number[] = [];
  private readonly linearized: Uint8Array;
  private readonly zobristLow: Uint32Array;
  private readonly zobristHigh: Uint32Array;
  private readonly stateLow: Uint32Array;
  private readonly stateHigh: Uint32Array;
  private readonly cache = new HashSet64();
  /** The stack of linearized calls: entry, previous state, dead maker used (-1 none). */
  private readonly frameEntry: Int32Array;
  private readonly frameState: Int32Array;
  private readonly frameDeadMaker: Int32Array;
  private readonly frameFree: Uint8Array;
  /** Number of dead writes each frame absorbed (their entries are on `absorbedEntries`). */
  private readonly frameAbsorbed: Int32Array;
  private readonly absorbedEntries: Int32Array;
  private absorbedTop = 0;
  /** Whether dead writes may be absorbed (see `collectDeadWrites`). */
  private readonly absorbDeadWrites: boolean;
  private depth = 0;
  private state = VALUE_ABSENT;
  private hashLow = 0;
  private hashHigh = 0;

  /** Builds the entry list of a prepared register. */
  constructor(register: PreparedRegister, budget: SearchBudget) {
    this.operations = register.operations;
    this.budget = budget;
    const count = register.operations.length;
    const positions = sortedEntries(register.operations);
    this.head = positions.length;
    this.tail = positions.length + 1;
    this.next = new Int32Array(positions.length + 2);
    this.prev = new Int32Array(positions.length + 2);
    this.entryOperation = new Int32Array(positions.length);
    this.entryIsCall = new Uint8Array(positions.length);
    this.entryIsOpen = new Uint8Array(positions.length);
    this.matchingReturn = new Int32Array(positions.length).fill(-1);
    this.linearized = new Uint8Array(count);
    this.frameEntry = new Int32Array(count + 1);
    this.frameState = new Int32Array(count + 1);
    this.frameDeadMaker = new Int32Array(count + 1);
    this.frameFree = new Uint8Array(count + 1);
    this.frameAbsorbed = new Int32Array(count + 1);
    this.absorbedEntries = new Int32Array(count + 1);
    this.absorbDeadWrites = !register.operations.some((operation) =>
      operation.op.kind === 'cas' && operation.op.outcome === 'ok' &&
      operation.casRule !== 'success');
    const random = new SeededRandom(budget.seed);
    this.zobristLow = Uint32Array.from({ length: count }, () => random.next());
    this.zobristHigh = Uint32Array.from({ length: count }, () => random.next());
    this.stateLow = Uint32Array.from({ length: register.stateCount }, () => random.next());
    this.stateHigh = Uint32Array.from({ length: register.stateCount }, () => random.next());
    this.linkEntries(positions);
  }

  private linkEntries(positions: readonly EntrySortKey[]): void {
    const callPosition = new Int32Array(this.operations.length).fill(-1);
    let last = this.head;
    positions.forEach((entry, position) => {
      this.entryOperation[position] = entry.operation;
      this.entryIsCall[position] = entry.isCall ? 1 : 0;
      this.entryIsOpen[position] = entry.timeMs === Infinity && !entry.isCall ? 1 : 0;
      if (entry.isCall) callPosition[entry.operation] = position;
      else this.matchingReturn[callPosition[entry.operation]!] = position;
      if (this.operations[entry.operation]!.mode === 'deadMaker') {
        this.deadMakers.push(entry.operation);
        this.deadMakerPositions.push(position);
        return;
      }
      this.next[last] = position;
      this.prev[position] = last;
      last = position;
    });
    this.next[last] = this.tail;
    this.prev[this.tail] = last;
    assert(this.next[this.head] !== undefined, 'list is linked');
  }

  /** Runs the search to a verdict or a budget bound. */
  run(): SearchOutcome {
    const startMs = this.budget.nowMs?.() ?? 0;
    let entry = this.scanStart();
    let steps = 0;
    while (this.next[this.head] !== this.tail) {
      steps++;
      if (steps > this.budget.stepsMax) return { verdict: 'unknown', steps, budget: 'steps' };
      if (steps % CLOCK_STEPS_INTERVAL === 0 && this.budget.nowMs !== undefined &&
        this.budget.nowMs() - startMs > this.budget.timeMsMax) {
        return { verdict: 'unknown', steps, budget: 'time' };
      }
      if (entry === ENTRY_CONFLICT) {
        entry = this.backtrackChoice();
      } else if (entry === ENTRY_NONE) {
        return { verdict: 'violation', steps };
      } else if (this.entryIsCall[entry] === 1) {
        entry = this.maybeLinearize(entry, false) ? this.scanStart() : this.next[entry]!;
      } else if (this.entryIsOpen[entry] === 1) {
        // NB: open returns sort after every finite one, so only optional operations remain,
        // and an optional operation may be left out of the linearization.
        return { verdict: 'ok', steps };
      } else {
        entry = this.backtrackChoice();
      }
      assert(entry !== this.tail || this.next[this.head] === this.tail,
        'a pending call always has its return in the list');
    }
    return { verdict: 'ok', steps };
  }

  /**
   * Linearizes every free candidate call (see `isFree`) that the model accepts now, then
   * returns the first entry. NB (partial order reduction): in any successful continuation
   * such a call can move to now: it is a candidate, it changes no state, and the state it
   * needs holds now and (values being unique, a read's value holds over one interval) at
   * its later point too. So if the configuration with it fails, the one without it fails.
   * Its frame is therefore not a choice: `backtrackChoice` pops through it. A memo hit on
   * it means this configuration already failed: returns ENTRY_CONFLICT.
   */
  private scanStart(): number {
    let entry = this.next[this.head]!;
    while (entry !== this.tail && this.entryIsCall[entry] === 1) {
      const index = this.entryOperation[entry]!;
      const before = this.prev[entry]!;
      if (!this.isFree(index) || this.stepModel(index) !== this.state) {
        entry = this.next[entry]!;
      } else if (this.maybeLinearize(entry, true)) {
        entry = this.next[before]!;
      } else {
        return ENTRY_CONFLICT;
      }
    }
    return this.next[this.head]!;
  }

  /**
   * Returns whether operation `index` can never change the state: an ok read, or an ok CAS
   * known not to have matched. NB: a write of the dead value onto the dead state also keeps
   * the state, but not at every later point, so it does not commute and is never free.
   */
  private isFree(index: number): boolean {
    const operation = this.operations[index]!;
    return operation.op.kind === 'read' ||
      (operation.op.kind === 'cas' && operation.casRule === 'failure');
  }

  /** Pops frames up to and including the last real choice; returns where to resume. */
  private backtrackChoice(): number {
    while (this.depth > 0) {
      const free = this.frameFree[this.depth - 1] === 1;
      const entry = this.backtrack();
      if (!free) return this.next[entry]!;
    }
    return ENTRY_NONE;
  }

  /** Returns the state after applying operation `index`, or -1 when the model refuses it. */
  private stepModel(index: number): number {
    const operation = this.operations[index]!;
    const state = this.state;
    switch (operation.op.kind) {
      case 'read':
        return state === operation.argumentId ? state : -1;
      case 'write':
        return operation.writeId;
      case 'cas': {
        const matches = state === operation.argumentId;
        if (operation.casRule === 'success') return matches ? operation.writeId : -1;
        if (operation.casRule === 'failure') return matches ? -1 : state;
        return matches ? operation.writeId : state;
      }
    }
  }

  /**
   * Linearizes the call at `entry` unless the model refuses it or the memo has seen it.
   * `free` marks a state-preserving call that is not a choice (see `scanStart`).
   */
  private maybeLinearize(entry: number, free: boolean): boolean {
    const index = this.entryOperation[entry]!;
    let nextState = this.stepModel(index);
    let deadMaker = -1;
    if (nextState < 0) {
      const operation = this.operations[index]!;
      if (operation.casRule !== 'failure' || operation.op.outcome !== 'ok') return false;
      deadMaker = this.pickDeadMaker(entry);
      if (deadMaker < 0) return false;
      nextState = VALUE_DEAD;
    }
    const absorbedFrom = this.absorbedTop;
    if (this.absorbDeadWrites && this.operations[index]!.op.kind === 'write') {
      this.collectDeadWrites(entry);
    }
    let low = this.hashLow ^ this.zobristLow[index]!;
    let high = this.hashHigh ^ this.zobristHigh[index]!;
    for (let slot = absorbedFrom; slot < this.absorbedTop; slot++) {
      const absorbed = this.entryOperation[this.absorbedEntries[slot]!]!;
      low ^= this.zobristLow[absorbed]!;
      high ^= this.zobristHigh[absorbed]!;
    }
    if (deadMaker >= 0) {
      low ^= this.zobristLow[deadMaker]!;
      high ^= this.zobristHigh[deadMaker]!;
    }
    if (!this.cache.add(low ^ this.stateLow[nextState]!, high ^ this.stateHigh[nextState]!)) {
      this.absorbedTop = absorbedFrom;
      return false;
    }
    this.frameEntry[this.depth] = entry;
    this.frameState[this.depth] = this.state;
    this.frameDeadMaker[this.depth] = deadMaker;
    this.frameFree[this.depth] = free ? 1 : 0;
    this.frameAbsorbed[this.depth] = this.absorbedTop - absorbedFrom;
    this.depth++;
    this.hashLow = low;
    this.hashHigh = high;
    this.state = nextState;
    this.linearized[index] = 1;
    if (deadMaker >= 0) this.linearized[deadMaker] = 1;
    for (let slot = absorbedFrom; slot < this.absorbedTop; slot++) {
      this.lift(this.absorbedEntries[slot]!);
    }
    this.lift(entry);
    return true;
  }

  /**
   * Pushes onto the absorbed stack every other candidate ok write of the dead value, to be
   * linearized just before the write at `entry` (where each is a no-op). NB: only used
   * when no ok CAS on this key may have failed. Then a dead write's only effect is ending
   * the current value, reads never return the dead value, and CAS operations never expect
   * it, so moving a candidate dead write from any later point to just before a write keeps
   * every successful continuation successful: absorbing is never worse, and never a choice.
   */
  private collectDeadWrites(entry: number): void {
    for (let call = this.next[this.head]!; this.entryIsCall[call] === 1;
      call = this.next[call]!) {
      const operation = this.operations[this.entryOperation[call]!]!;
      if (call === entry || operation.op.kind !== 'write' || operation.writeId !== VALUE_DEAD) {
        continue;
      }
      this.absorbedEntries[this.absorbedTop++] = call;
    }
    assert(this.absorbedTop <= this.operations.length, 'absorbed stack is bounded');
  }

  /** Undoes the last linearization; returns the undone call's entry. */
  private backtrack(): number {
    assert(this.depth > 0, 'backtrack needs a linearized call');
    this.depth--;
    const entry = this.frameEntry[this.depth]!;
    const index = this.entryOperation[entry]!;
    const deadMaker = this.frameDeadMaker[this.depth]!;
    this.hashLow ^= this.zobristLow[index]!;
    this.hashHigh ^= this.zobristHigh[index]!;
    if (deadMaker >= 0) {
      this.hashLow ^= this.zobristLow[deadMaker]!;
      this.hashHigh ^= this.zobristHigh[deadMaker]!;
      this.linearized[deadMaker] = 0;
    }
    this.linearized[index] = 0;
    this.state = this.frameState[this.depth]!;
    this.unlift(entry);
    const absorbedFrom = this.absorbedTop - this.frameAbsorbed[this.depth]!;
    assert(absorbedFrom >= 0, 'absorbed stack matches the frames');
    while (this.absorbedTop > absorbedFrom) {
      const absorbed = this.absorbedEntries[--this.absorbedTop]!;
      const absorbedIndex = this.entryOperation[absorbed]!;
      this.hashLow ^= this.zobristLow[absorbedIndex]!;
      this.hashHigh ^= this.zobristHigh[absorbedIndex]!;
      this.unlift(absorbed);
    }
    return entry;
  }

  /**
   * Picks the dead maker to linearize just before the failed CAS at `entry` (reduction 3):
   * a pending one whose call precedes the first return in the list. Among those, a CAS
   * dead maker whose expected value is the current state beats any write (it can serve
   * only in this state, a write serves in any), and a later call beats an earlier one (an
   * earlier call stays eligible for every later failed CAS). So no branching is needed.
   */
  private pickDeadMaker(entry: number): number {
    let firstReturn = entry;
    while (this.entryIsCall[firstReturn] === 1) firstReturn = this.next[firstReturn]!;
    assert(firstReturn !== this.tail, 'the failed CAS has its return in the list');
    let write = -1;
    for (let slot = this.deadMakers.length - 1; slot >= 0; slot--) {
      if (this.deadMakerPositions[slot]! >= firstReturn) continue;
      const index = this.deadMakers[slot]!;
      if (this.linearized[index] === 1) continue;
      const operation = this.operations[index]!;
      if (operation.op.kind === 'write') {
        if (write < 0) write = index;
      } else if (operation.argumentId === this.state) {
        return index;
      }
    }
    return write;
  }

  private lift(entry: number): void {
    const match = this.matchingReturn[entry]!;
    assert(match >= 0, 'a call has a return');
    this.unlink(entry);
    this.unlink(match);
  }

  private unlift(entry: number): void {
    const match = this.matchingReturn[entry]!;
    this.relink(match);
    this.relink(entry);
  }

  private unlink(entry: number): void {
    const before = this.prev[entry]!;
    const after = this.next[entry]!;
    this.next[before] = after;
    this.prev[after] = before;
  }

  private relink(entry: number): void {
    this.next[this.prev[entry]!] = entry;
    this.prev[this.next[entry]!] = entry;
  }
}

/** EntrySortKey is one call or return before positions are assigned. */
interface EntrySortKey {
  readonly timeMs: number;
  readonly isCall: boolean;
  readonly operation: number;
}

/**
 * Orders all entries by time. At equal times calls sort before returns, so operations that
 * touch at one millisecond count as concurrent (the lenient reading of a coarse clock).
 * Dead makers get a call position (for `pickDeadMaker`) and a return only if never linked.
 */
function sortedEntries(operations: readonly PreparedOperation[]): EntrySortKey[] {
  const entries: EntrySortKey[] = [];
  operations.forEach((operation, index) => {
    entries.push({ timeMs: operation.op.invokeMs, isCall: true, operation: index });
    if (operation.mode !== 'deadMaker') {
      entries.push({ timeMs: operation.completionMs, isCall: false, operation: index });
    }
  });
  entries.sort((a, b) => a.timeMs - b.timeMs || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1)
    || a.operation - b.operation);
  assert(entries.every((entry) => !Number.isNaN(entry.timeMs)), 'entry times are numbers');
  return entries;
}

/** ViolationProbe runs bounded checks of candidate sub-histories and counts them. */
interface ViolationProbe {
  /** Returns true when the candidate is certainly non-linearizable. */
  violates(operations: readonly Operation[]): boolean;
  /** Returns whether the check budget still allows another run. */
  canCheck(): boolean;
  readonly checks: () => number;
}

function violationProbe(options: LinearizabilityOptions): ViolationProbe {
  const budget = searchBudget(options, options.minimizeStepsMax ?? MINIMIZE_STEPS_DEFAULT);
  const checksMax = options.minimizeChecksMax ?? MINIMIZE_CHECKS_DEFAULT;
  assert(Number.isSafeInteger(checksMax) && checksMax >= 0, 'minimize budget is an integer');
  let checks = 0;
  return {
    violates: (operations) => {
      checks++;
      const search = new RegisterSearch(prepareRegister(operations), budget);
      return search.run().verdict === 'violation';
    },
    canCheck: () => checks < checksMax,
    checks: () => checks,
  };
}

/**
 * Minimizes a violating key history: first the shortest violating prefix (binary search on
 * invocation order), then greedy chunked removal (delta debugging) down to a fixpoint where
 * removing any single operation (with the operations that depend on it) makes the rest
 * linearizable or exhausts the budget. Every accepted candidate was checked to violate.
 */
function minimizeViolation(
  key: string, keyOperations: readonly Operation[], options: LinearizabilityOptions,
): Anomaly {
  const probe = violationProbe(options);
  const kept = keyOperations.filter((op) => !isDropped(op))
    .sort((a, b) => a.invokeMs - b.invokeMs || a.id - b.id);
  let current = shortestViolatingPrefix(kept, probe);
  current = removeGreedily(current, probe);
  const minimalHistory = [...current].sort((a, b) => a.invokeMs - b.invokeMs || a.id - b.id);
  assert(minimalHistory.length > 0, 'a violation has at least one operation');
  const explanation = explainAnomaly(key, minimalHistory, keyOperations);
  return { key, minimalHistory, explanation, checks: probe.checks() };
}

/** Adds to `subset` every producer (from `all`) of a value it reads or compares against. */
function withProducers(subset: readonly Operation[], all: readonly Operation[]): Operation[] {
  const producers = new Map<string, Operation>();
  for (const op of all) {
    const value = writtenValue(op);
    if (value !== undefined && !producers.has(value)) producers.set(value, op);
  }
  const chosen = new Set(subset);
  const worklist = [...subset];
  while (worklist.length > 0) {
    const op = worklist.pop()!;
    const needed = op.kind === 'read' ? op.read : op.kind === 'cas' ? op.expected : undefined;
    const producer = needed === undefined || needed === null ? undefined : producers.get(needed);
    if (producer === undefined || chosen.has(producer)) continue;
    chosen.add(producer);
    worklist.push(producer);
  }
  assert(chosen.size >= subset.length, 'closure only adds');
  return all.filter((op) => chosen.has(op));
}

function shortestViolatingPrefix(
  kept: readonly Operation[], probe: ViolationProbe,
): readonly Operation[] {
  let low = 1;
  let high = kept.length;
  let best: readonly Operation[] = kept;
  while (low < high && probe.canCheck()) {
    const middle = Math.floor((low + high) / 2);
    const candidate = withProducers(kept.slice(0, middle), kept);
    if (candidate.length < best.length && probe.violates(candidate)) {
      best = candidate;
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  assert(best.length <= kept.length, 'a prefix is never longer');
  return best;
}

/**
 * Removes `removal` from `current` together with everything that depends on it: reads and
 * CAS operations that observe a value only a removed operation wrote. This keeps every
 * candidate meaningful (no read of a value whose writer was cut away).
 */
function withoutDependents(
  current: readonly Operation[], removal: readonly Operation[],
): Operation[] {
  const removed = new Set(removal);
  const lostValues = new Set<string>();
  const worklist = [...removal];
  while (worklist.length > 0) {
    const value = writtenValue(worklist.pop()!);
    if (value === undefined || lostValues.has(value)) continue;
    lostValues.add(value);
    for (const op of current) {
      const needed = op.kind === 'read' ? op.read : op.kind === 'cas' ? op.expected : undefined;
      if (needed === undefined || needed === null || needed !== value || removed.has(op)) continue;
      removed.add(op);
      worklist.push(op);
    }
  }
  return current.filter((op) => !removed.has(op));
}

function removeGreedily(start: readonly Operation[], probe: ViolationProbe): Operation[] {
  let current = [...start];
  let chunk = Math.max(1, Math.ceil(current.length / 2));
  while (probe.canCheck()) {
    let removedAny = false;
    let offset = 0;
    while (offset < current.length && probe.canCheck()) {
      const candidate = withoutDependents(current, current.slice(offset, offset + chunk));
      if (candidate.length > 0 && probe.violates(candidate)) {
        current = candidate;
        removedAny = true;
      } else {
        offset += chunk;
      }
    }
    if (!removedAny && chunk === 1) break;
    if (!removedAny) chunk = Math.ceil(chunk / 2);
    chunk = Math.min(chunk, Math.max(1, Math.ceil(current.length / 2)));
  }
  assert(current.length > 0, 'minimization keeps a violation');
  return current;
}

/** Formats a run time in seconds with millisecond precision. */
export function formatSeconds(timeMs: number): string {
  return `${(timeMs / 1000).toFixed(3)} s`;
}

function formatValue(value: string | null | undefined): string {
  return value === null || value === undefined ? 'nothing (key absent)' : value;
}

/** Describes one operation in plain words, for explanations and reports. */
export function describeOperation(op: Operation): string {
  const span = op.completeMs === null
    ? `invoked at ${formatSeconds(op.invokeMs)}, never returned`
    : `${formatSeconds(op.invokeMs)} to ${formatSeconds(op.completeMs)}`;
  const who = `by client ${op.client} via ${op.peer}`;
  const result = op.outcome === 'unknown' ? 'outcome unknown'
    : op.outcome === 'fail' ? 'failed' : 'acknowledged';
  switch (op.kind) {
    case 'read':
      return op.outcome === 'ok'
        ? `read of ${op.key} ${who} (${span}) returned ${formatValue(op.read)}`
        : `read of ${op.key} ${who} (${span}, ${result})`;
    case 'write':
      return `write of ${formatValue(op.value)} to ${op.key} ${who} (${span}, ${result})`;
    case 'cas': {
      const casResult = op.outcome !== 'ok' ? result
        : op.succeeded === true ? 'succeeded' : op.succeeded === false ? 'did not match' : 'ok';
      return `cas of ${op.key} from ${formatValue(op.expected)} to ${formatValue(op.value)} ` +
        `${who} (${span}, ${casResult})`;
    }
  }
}

/** Returns whether `op` is an acknowledged effect: an ok write or an ok successful CAS. */
function isAcknowledgedWrite(op: Operation): boolean {
  return op.outcome === 'ok' && op.completeMs !== null &&
    (op.kind === 'write' || (op.kind === 'cas' && op.succeeded === true));
}

function explainNeverWritten(
  minimal: readonly Operation[], all: readonly Operation[],
): string | undefined {
  const written = new Set<string>();
  for (const op of all) {
    const value = op.outcome === 'fail' ? undefined : writtenValue(op);
    if (value !== undefined) written.add(value);
  }
  for (const op of minimal) {
    if (op.outcome !== 'ok') continue;
    const seen = op.kind === 'read' ? op.read
      : op.kind === 'cas' && op.succeeded === true ? op.expected : undefined;
    if (seen === undefined || seen === null || written.has(seen)) continue;
    return `${op.kind} of ${op.key} by client ${op.client} at ${formatSeconds(op.invokeMs)} ` +
      `observed ${seen}, but no operation ever wrote ${seen}.`;
  }
  return undefined;
}

function explainDoubleCas(minimal: readonly Operation[]): string | undefined {
  const firstByExpected = new Map<string | null, Operation>();
  for (const op of minimal) {
    if (op.kind !== 'cas' || !isAcknowledgedWrite(op) || op.expected === undefined) continue;
    const earlier = firstByExpected.get(op.expected);
    if (earlier !== undefined) {
      return `two CAS operations on ${op.key} both succeeded from the same expected value ` +
        `${formatValue(op.expected)} (client ${earlier.client} at ` +
        `${formatSeconds(earlier.invokeMs)} and client ${op.client} at ` +
        `${formatSeconds(op.invokeMs)}); a register lets only one of them see it, because ` +
        'no value is ever written twice.';
    }
    firstByExpected.set(op.expected, op);
  }
  return undefined;
}

/**
 * Explains a stale read: a read returned v although another value w was acknowledged
 * before the read began AND v was written definitely before w (or v is the initial absent
 * state), so every order puts w between v's write and the read.
 */
function explainStaleRead(minimal: readonly Operation[]): string | undefined {
  const reads = minimal.filter((op) => op.kind === 'read' && op.outcome === 'ok')
    .sort((a, b) => b.invokeMs - a.invokeMs);
  for (const read of reads) {
    const producer = minimal.find((op) => read.read !== null && writtenValue(op) === read.read);
    const newer = minimal.filter((op) => isAcknowledgedWrite(op) && op.value !== read.read &&
      op.completeMs! < read.invokeMs &&
      (producer === undefined || (producer.completeMs ?? Infinity) < op.invokeMs))
      .sort((a, b) => b.completeMs! - a.completeMs!)[0];
    if (newer === undefined || (read.read !== null && producer === undefined)) continue;
    return `read of ${read.key} by client ${read.client} at ${formatSeconds(read.invokeMs)} ` +
      `returned ${formatValue(read.read)}, but ${formatValue(newer.value)} was written ` +
      `(acknowledged at ${formatSeconds(newer.completeMs!)}) before the read began.`;
  }
  return undefined;
}

/** Explains a minimal non-linearizable sub-history in plain words. */
export function explainAnomaly(
  key: string, minimal: readonly Operation[], keyOperations: readonly Operation[],
): string {
  assert(minimal.length > 0, 'an anomaly has operations');
  const lead = explainNeverWritten(minimal, keyOperations) ?? explainDoubleCas(minimal) ??
    explainStaleRead(minimal) ??
    `no order of these ${minimal.length} operations on ${key} is consistent with one register.`;
  const listing = minimal.map((op, index) => `(${index + 1}) ${describeOperation(op)}`);
  const sentence = lead.charAt(0).toUpperCase() + lead.slice(1);
  return `${sentence} Operations: ${listing.join('; ')}.`;
}
