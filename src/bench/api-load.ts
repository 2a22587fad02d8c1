/**
 * @module bench/api-load
 * The two load shapes of `coracle bench api`, over any operation that resolves with the
 * moment it completed (`performance.now()`):
 *
 * - Open loop (`runOpenLoop`): send i is SCHEDULED at start + i/rate on a timer, whether
 *   or not earlier sends have completed, and its latency runs from the scheduled moment,
 *   not from the moment it actually left. So a server (or client) that falls behind shows
 *   its queueing in the percentiles instead of silently lowering the rate (coordinated
 *   omission, Gil Tene's "How NOT to measure latency").
 * - Closed loop (`runClosedLoop`): N clients, each sending its next request as soon as
 *   the previous one completed, for a duration or a total; throughput is completions over
 *   the measured wall time.
 *
 * A failed send counts as an error (the first message is kept) and never stops the run.
 */
import { summarizeLoad } from './stats.js';
import type { LoadResult } from './stats.js';

/** Sends request `index` from `client`; resolves with `performance.now()` at completion. */
export type Send = (index: number, client: number) => Promise<number>;

/** PhaseResult is one run: the summary (null when nothing succeeded) and the errors. */
export interface PhaseResult {
  readonly load: LoadResult | null;
  readonly errors: number;
  readonly firstError: string | null;
}

class Samples {
  readonly latenciesMs: number[] = [];
  errors = 0;
  firstError: string | null = null;

  record(promise: Promise<number>, startedMs: number): Promise<void> {
    return promise.then((endMs) => {
      this.latenciesMs.push(endMs - startedMs);
    }, (error: unknown) => {
      this.errors++;
      this.firstError ??= error instanceof Error ? error.message : String(error);
    });
  }

  result(elapsedMs: number): PhaseResult {
    const load = this.latenciesMs.length === 0 ? null : summarizeLoad({
      latenciesMs: Float64Array.from(this.latenciesMs), errors: this.errors,
      elapsedS: Math.max(elapsedMs, 1e-3) / 1000 });
    return { load, errors: this.errors, firstError: this.firstError };
  }
}

/** Runs `send` open-loop at `ratePerS` for `durationMs` (at least one send). */
export async function runOpenLoop(options: { ratePerS: number; durationMs: number;
  send: Send }): Promise<PhaseResult> {
  const { ratePerS, durationMs, send } = options;
  const intervalMs = 1000 / ratePerS;
  const total = Math.max(1, Math.round((ratePerS * durationMs) / 1000));
  const samples = new Samples();
  const inflight: Array<Promise<void>> = [];
  const startMs = performance.now();
  let index = 0;
  await new Promise<void>((resolveScheduled) => {
    const tick = (): void => {
      const nowMs = performance.now();
      while (index < total && startMs + index * intervalMs <= nowMs) {
        const scheduledMs = startMs + index * intervalMs;
        inflight.push(samples.record(send(index, index), scheduledMs));
        index++;
      }
      if (index >= total) resolveScheduled();
      else setTimeout(tick, Math.max(0, startMs + index * intervalMs - performance.now()));
    };
    tick();
  });
  await Promise.all(inflight);
  return samples.result(performance.now() - startMs);
}

/**
 * Runs `send` closed-loop from `clients` clients until `durationMs` passed or, when given,
 * `total` requests were sent.
 */
export async function runClosedLoop(options: { clients: number; durationMs: number;
  total?: number; send: Send }): Promise<PhaseResult> {
  const { clients, durationMs, send } = options;
  const total = options.total ?? Number.POSITIVE_INFINITY;
  const samples = new Samples();
  const startMs = performance.now();
  const deadlineMs = startMs + durationMs;
  let next = 0;
  await Promise.all(Array.from({ length: clients }, async (_, client) => {
    while (next < total && performance.now() < deadlineMs) {
      const index = next++;
      const startedMs = performance.now();
      await samples.record(send(index, client), startedMs);
    }
  }));
  return samples.result(performance.now() - startMs);
}
