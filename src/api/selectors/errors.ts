/**
 * @module api/selectors/errors
 * The error catalogue of the selectors module. Both codes answer 400 BadRequest, as
 * apiserver does for a `labelSelector` or `fieldSelector` query parameter it cannot use.
 *
 * Codes (never reuse a retired one):
 * - `API_SELECTOR_ERR_INVALID`: the selector does not parse, or a key, value or operator is
 *   invalid (apimachinery's labels.Parse / fields.ParseSelector / LabelSelectorAsSelector).
 * - `API_SELECTOR_ERR_FIELD_NOT_SUPPORTED`: a field selector names a field the resource does
 *   not index (`field label not supported: foo`).
 */
import { ControlPlaneError } from '../../util/errors.js';

/** SelectorErrorCode is the stable code of a SelectorError. */
export type SelectorErrorCode = 'API_SELECTOR_ERR_INVALID' | 'API_SELECTOR_ERR_FIELD_NOT_SUPPORTED';

/** SelectorError is a selector the API cannot use; the API layer answers 400 BadRequest. */
export class SelectorError extends ControlPlaneError {
  /** The HTTP status the API layer answers with. */
  readonly httpStatus = 400;

  /** Creates the error with the upstream-style message. */
  constructor(code: SelectorErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'SelectorError';
  }
}

/** Returns true when `error` is a SelectorError. */
export function isSelectorError(error: unknown): error is SelectorError {
  return error instanceof SelectorError;
}
