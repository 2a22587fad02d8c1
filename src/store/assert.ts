/**
 * @module store/assert
 *
 * Private assertion helpers for the MVCC core. They throw `StoreAssertionError` on a
 * programmer error (a broken invariant, a malformed command that the shell should have
 * rejected). Nothing in the store catches them: the process crashes (shared/STYLE.md §4).
 *
 * TODO: switch to src/util/assert once that module lands; it is being written concurrently.
 */

/** StoreAssertionError signals a broken invariant inside the store; it MUST NOT be caught. */
export class StoreAssertionError extends Error {
  /** Creates the error with the failed condition's description. */
  constructor(message: string) {
    super(message);
    this.name = 'AssertionError';
  }
}

/** Throws a `StoreAssertionError` when `condition` is false. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) {
    throw new StoreAssertionError(`assertion failed: ${message}`);
  }
}

/** Marks a branch that exhaustive switches can never reach. */
export function assertNever(value: never, message: string): never {
  throw new StoreAssertionError(`unreachable: ${message}: ${String(value)}`);
}

/** Asserts that `value` is a safe integer (revisions, lease ids, counters). */
export function assertSafeInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value)) {
    throw new StoreAssertionError(`assertion failed: ${name} must be a safe integer: ${value}`);
  }
}

/** Asserts that `value` is a safe integer greater than or equal to zero. */
export function assertNonNegativeInteger(value: number, name: string): void {
  assertSafeInteger(value, name);
  if (value < 0) {
    throw new StoreAssertionError(`assertion failed: ${name} must be >= 0: ${value}`);
  }
}
