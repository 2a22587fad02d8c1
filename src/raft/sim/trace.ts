/**
 * @module raft/sim/trace
 * A bounded ring of the last trace events of a run (fault injections, role changes, client
 * operations, checker verdicts), printed with a failure so it can be read as a minimal story
 * of what happened just before the invariant broke.
 *
 * ```
 *   events: [ e5 | e6 | e7 | e2 | e3 | e4 ]   capacity 6, 8 events pushed
 *                           ^ start (oldest)
 * ```
 *
 * Contract: pushing never allocates beyond `capacity` slots; `list()` returns the events
 * oldest first. Events are plain data, so two runs of one seed compare equal event by event.
 */
import { assert } from '../../util/assert.js';

/** TraceEvent is one line of a run's story. */
export interface TraceEvent {
  /** The step counter when the event happened. */
  readonly step: number;
  /** The simulated time in ticks. */
  readonly time: number;
  /** A short category: fault, heal, role, client, membership, transfer, crash, check. */
  readonly kind: string;
  readonly detail: string;
}

/** TraceRing keeps the last `capacity` events of a run. */
export class TraceRing {
  private readonly events: TraceEvent[] = [];
  private start = 0;
  /** Every event ever pushed, including those the ring forgot. */
  total = 0;

  /** Creates a ring of at most `capacity` events. */
  constructor(readonly capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity >= 1, 'trace capacity must be positive');
  }

  /** Records one event, forgetting the oldest when full. */
  push(event: TraceEvent): void {
    if (this.events.length < this.capacity) {
      this.events.push(event);
    } else {
      this.events[this.start] = event;
      this.start = (this.start + 1) % this.capacity;
    }
    this.total++;
    assert(this.events.length <= this.capacity, 'trace ring overflow');
  }

  /** Returns the kept events, oldest first. */
  list(): TraceEvent[] {
    return [...this.events.slice(this.start), ...this.events.slice(0, this.start)];
  }
}

/** Formats one event as a fixed-layout line: `step time kind detail`. */
export function formatTraceEvent(event: TraceEvent): string {
  const step = String(event.step).padStart(7);
  const time = String(event.time).padStart(6);
  return `${step} t=${time} ${event.kind.padEnd(10)} ${event.detail}`;
}
