/**
 * @module util/assert
 * Assertions for programmer errors (shared/STYLE.md §4 and §6). A failed assertion throws an
 * `AssertionError`; nothing but the top level of a process catches it (crash-only).
 */

/** An AssertionError marks a broken invariant: a bug, never an operational condition. */
export class AssertionError extends Error {
  /** Creates the error with the violated condition's message. */
  constructor(message: string) {
    super(message);
    this.name = 'AssertionError';
  }
}

/** Asserts that `condition` holds; throws an AssertionError with `message` otherwise. */
export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Asserts that `value` is a non-negative safe integer (terms, indexes, revisions). */
export function assertSafeIndex(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new AssertionError(`${what} must be a non-negative safe integer, got ${value}`);
  }
}

/** Marks a switch case that must be unreachable; the compiler checks exhaustiveness. */
export function assertNever(value: never, what = 'value'): never {
  throw new AssertionError(`unexpected ${what}: ${String(value)}`);
}
