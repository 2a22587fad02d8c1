/**
 * @module util/errors
 * The base class of operational errors raised at IO boundaries (shared/STYLE.md §4). Each
 * module keeps its own catalogue of stable codes in its `errors.ts`; a retired code is never
 * reused.
 */

/** ControlPlaneError is an operational error with a stable, machine-readable code. */
export class ControlPlaneError extends Error {
  /** Creates the error; wrap an underlying failure with `cause` rather than concatenation. */
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ControlPlaneError';
  }
}
