/**
 * @module api/status
 * The error catalogue of the Kubernetes API layer: every failure a client can see is an
 * `APIError` carrying a `metav1.Status` with apimachinery's reason and HTTP code, because
 * kubectl and client libraries branch on exactly those (kubectl-api.md §6). The `newX`
 * helpers mirror k8s.io/apimachinery/pkg/api/errors so messages read as they do upstream.
 */
import { ControlPlaneError } from '../util/errors.js';
import type { FieldError } from '../resources/types.js';

/** StatusCause is one entry of `details.causes`. */
export interface StatusCause {
  readonly reason: string;
  readonly message: string;
  readonly field?: string;
}

/** StatusDetails is `metav1.StatusDetails`. */
export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly uid?: string;
  readonly causes?: readonly StatusCause[];
  readonly retryAfterSeconds?: number;
}

/** Status is `metav1.Status` as sent on the wire. */
export interface Status {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure' | 'Success';
  readonly message?: string;
  readonly reason?: string;
  readonly details?: StatusDetails;
  readonly code: number;
}

/** APIError is an operational error that is answered as a Status (STYLE §4). */
export class APIError extends ControlPlaneError {
  /** Creates the error; `reason` is the apimachinery StatusReason. */
  constructor(
    readonly httpCode: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    options?: { cause?: unknown },
  ) {
    super(`API_ERR_${reason.toUpperCase()}`, message, options);
    this.name = 'APIError';
  }

  /** The Status body for this error. */
  toStatus(): Status {
    return {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message,
      reason: this.reason, ...(this.details === undefined ? {} : { details: this.details }),
      code: this.httpCode,
    };
  }
}

/** Returns true when `value` is an APIError, optionally with the given reason. */
export function isAPIError(value: unknown, reason?: string): value is APIError {
  return value instanceof APIError && (reason === undefined || value.reason === reason);
}

/** GroupResource names a resource for messages: "pods" or "deployments.apps". */
export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

function qualified(target: GroupResource): string {
  return target.group === '' ? target.resource : `${target.resource}.${target.group}`;
}

function details(target: GroupResource, name: string): StatusDetails {
  return { name, ...(target.group === '' ? {} : { group: target.group }), kind: target.resource };
}

/** 404 NotFound: `pods "x" not found`. */
export function newNotFound(target: GroupResource, name: string): APIError {
  return new APIError(404, 'NotFound', `${qualified(target)} "${name}" not found`,
    details(target, name));
}

/** 409 AlreadyExists: `pods "x" already exists`. */
export function newAlreadyExists(target: GroupResource, name: string): APIError {
  return new APIError(409, 'AlreadyExists', `${qualified(target)} "${name}" already exists`,
    details(target, name));
}

/** 409 Conflict, as an optimistic-concurrency failure reads upstream. */
export function newConflict(target: GroupResource, name: string, why: string): APIError {
  return new APIError(409, 'Conflict',
    `Operation cannot be fulfilled on ${qualified(target)} "${name}": ${why}`,
    details(target, name));
}

/** The `why` of a stale resourceVersion conflict, upstream's OptimisticLockErrorMsg. */
export const optimisticLockMessage =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 422 Invalid with one cause per field error: `Deployment.apps "x" is invalid: ...`. */
export function newInvalid(
  target: { group: string; kind: string }, name: string, errors: readonly FieldError[],
): APIError {
  const qualifiedKind = target.group === '' ? target.kind : `${target.kind}.${target.group}`;
  const rendered = errors.map((error) => `${error.field}: ${error.message}`);
  const list = rendered.length === 1 ? rendered[0]! : `[${rendered.join(', ')}]`;
  return new APIError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${list}`, {
    name, ...(target.group === '' ? {} : { group: target.group }), kind: target.kind,
    causes: errors.map((error) => ({
      reason: error.type, message: `${error.message}`, field: error.field,
    })),
  });
}

/** 400 BadRequest. */
export function newBadRequest(message: string): APIError {
  return new APIError(400, 'BadRequest', message);
}

/** 403 Forbidden. */
export function newForbidden(target: GroupResource, name: string, why: string): APIError {
  return new APIError(403, 'Forbidden',
    `${qualified(target)} "${name}" is forbidden: ${why}`, details(target, name));
}

/** 405 MethodNotAllowed. */
export function newMethodNotSupported(target: GroupResource, action: string): APIError {
  return new APIError(405, 'MethodNotAllowed',
    `${action} is not supported on resources of kind "${qualified(target)}"`,
    { ...(target.group === '' ? {} : { group: target.group }), kind: target.resource });
}

/** 410 Expired: a resourceVersion or continue token older than the retained history. */
export function newResourceExpired(message: string): APIError {
  return new APIError(410, 'Expired', message);
}

/** 413 RequestEntityTooLarge. */
export function newRequestEntityTooLarge(limitBytes: number): APIError {
  return new APIError(413, 'RequestEntityTooLarge',
    `Request entity too large: limit is ${limitBytes}`);
}

/** 415 UnsupportedMediaType. */
export function newUnsupportedMediaType(contentType: string, why?: string): APIError {
  return new APIError(415, 'UnsupportedMediaType',
    why ?? `the body of the request was in an unknown format - accepted media types include: ` +
      `application/json, application/yaml, application/vnd.kubernetes.protobuf` +
      (contentType === '' ? '' : ` (got ${contentType})`));
}

/** 429 TooManyRequests. */
export function newTooManyRequests(message: string, retryAfterSeconds: number): APIError {
  return new APIError(429, 'TooManyRequests', message, { retryAfterSeconds });
}

/** 503 ServiceUnavailable: e.g. this peer's Raft group has no quorum. */
export function newServiceUnavailable(message: string): APIError {
  return new APIError(503, 'ServiceUnavailable', message, { retryAfterSeconds: 1 });
}

/** 504 Timeout. */
export function newTimeout(message: string): APIError {
  return new APIError(504, 'Timeout', message, { retryAfterSeconds: 1 });
}

/** 500 InternalError. */
export function newInternalError(message: string, cause?: unknown): APIError {
  return new APIError(500, 'InternalError',
    `Internal error occurred: ${message}`, undefined, { cause });
}

/** 404 for a path that names no resource at all (upstream's plain "the server could not..."). */
export function newPathNotFound(path: string): APIError {
  return new APIError(404, 'NotFound', `the server could not find the requested resource`,
    { causes: [{ reason: 'UnexpectedServerResponse', message: `404 page not found: ${path}` }] });
}

/** The Success Status a DELETE of an already-gone object or an eviction answers. */
export function successStatus(target: GroupResource, name: string, uid?: string): Status {
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
    details: { ...details(target, name), ...(uid === undefined ? {} : { uid }) }, code: 200,
  };
}
