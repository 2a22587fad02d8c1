/**
 * @module api/patch/errors
 * The error catalogue of the patch module. Every failure to decode or apply a patch is a
 * `PatchError` with a stable `code` and the HTTP status the API layer answers with, following
 * apiserver's patch handler (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go):
 * a patch document that cannot be decoded is 400 BadRequest, a well-formed patch that does not
 * apply to the object is 422 Invalid (the handler's `NewGenericServerResponse(422, ...)`).
 *
 * Codes (never reuse a retired one):
 * - `API_PATCH_ERR_MALFORMED` (400): the patch document has the wrong shape (not an array of
 *   operations, a directive with a bad value, an unknown directive).
 * - `API_PATCH_ERR_NOT_APPLICABLE` (422): the patch is well formed but does not apply (a JSON
 *   pointer into a missing path, an index out of range, a list element without its merge key).
 * - `API_PATCH_ERR_TEST_FAILED` (422): a JSON patch `test` operation failed.
 * - `API_PATCH_ERR_LIMIT` (422): the patch or its result exceeds a limit of `limits.ts`
 *   (nesting depth, operation count, bytes copied).
 */
import { ControlPlaneError } from '../../util/errors.js';

/** PatchErrorCode is the stable code of a PatchError. */
export type PatchErrorCode =
  | 'API_PATCH_ERR_MALFORMED'
  | 'API_PATCH_ERR_NOT_APPLICABLE'
  | 'API_PATCH_ERR_TEST_FAILED'
  | 'API_PATCH_ERR_LIMIT';

const httpStatusByCode: Readonly<Record<PatchErrorCode, 400 | 422>> = {
  API_PATCH_ERR_MALFORMED: 400,
  API_PATCH_ERR_NOT_APPLICABLE: 422,
  API_PATCH_ERR_TEST_FAILED: 422,
  API_PATCH_ERR_LIMIT: 422,
};

/** PatchError is a patch that cannot be decoded or applied; `httpStatus` is 400 or 422. */
export class PatchError extends ControlPlaneError {
  /** The HTTP status the API layer answers with (400 BadRequest or 422 Invalid). */
  readonly httpStatus: 400 | 422;

  /** Creates the error; the message follows the upstream wording where one exists. */
  constructor(code: PatchErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'PatchError';
    this.httpStatus = httpStatusByCode[code];
  }

  /** The stable code, narrowed to the patch catalogue. */
  get patchCode(): PatchErrorCode {
    return this.code as PatchErrorCode;
  }
}

/** Returns true when `error` is a PatchError. */
export function isPatchError(error: unknown): error is PatchError {
  return error instanceof PatchError;
}
