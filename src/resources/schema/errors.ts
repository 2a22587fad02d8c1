/**
 * @module resources/schema/errors
 * The error catalogue of the schema module (shared/STYLE.md §4). Codes are stable; a
 * retired code is never reused.
 *
 * | code                  | meaning                                                    |
 * |-----------------------|------------------------------------------------------------|
 * | SCHEMA_ERR_TOO_DEEP   | a value nests deeper than `schemaDepthMax` (400 BadRequest) |
 */
import { ControlPlaneError } from '../../util/errors.js';

/** SchemaDepthError reports a value nested deeper than the walker's depth bound. */
export class SchemaDepthError extends ControlPlaneError {
  /** Creates the error for the field at `path` (JSON path, '' for the root). */
  constructor(readonly path: string, readonly depthMax: number) {
    super(
      'SCHEMA_ERR_TOO_DEEP',
      `object nested too deeply at "${path}": more than ${depthMax} levels`,
    );
    this.name = 'SchemaDepthError';
  }
}
