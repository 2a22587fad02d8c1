/**
 * @module store/assert
 * The store's assertion helpers, built on src/util/assert: they throw an `AssertionError` on
 * a programmer error (a broken invariant, a malformed command the shell should have
 * rejected). Nothing in the store catches them: the process crashes (shared/STYLE.md §4).
 */
import { AssertionError, assert as assertCondition, assertNever as never } from '../util/assert.js';

/** Throws an `AssertionError` when `condition` is false. */
export function assert(condition: boolean, message: string): asserts condition {
  assertCondition(condition, `assertion failed: ${message}`);
}

/** Marks a branch that exhaustive switches can never reach. */
export function assertNever(value: never, message: string): never {
  return never(value, message);
}

/** Asserts that `value` is a safe integer (revisions, lease ids, counters). */
export function assertSafeInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value)) {
    throw new AssertionError(`assertion failed: ${name} must be a safe integer: ${value}`);
  }
}

/** Asserts that `value` is a safe integer greater than or equal to zero. */
export function assertNonNegativeInteger(value: number, name: string): void {
  assertSafeInteger(value, name);
  assertCondition(value >= 0, `assertion failed: ${name} must be >= 0: ${value}`);
}
