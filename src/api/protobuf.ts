/**
 * @module api/protobuf
 * Decodes Kubernetes protobuf request bodies (`Content-Type:
 * application/vnd.kubernetes.protobuf`) into the object JSON would have carried.
 *
 * kubectl 1.32's typed clients (`kubectl create deployment|configmap|secret|namespace|
 * service|serviceaccount`, `kubectl autoscale`) send such bodies and do not fall back to JSON
 * (shared/kubectl-api.md §0.2). The format: the 4 bytes `k8s\0`, then a `runtime.Unknown`
 * whose `typeMeta` names apiVersion and kind and whose `raw` holds the object's message
 * (k8s.io/api generated.proto encoding; our copies live in proto/k8s/).
 *
 * Contract of `decodeKubernetesProtobuf`:
 * - It returns the object as Kubernetes' JSON serializer would write it: JSON field names
 *   (equal to the proto names), `omitempty` applied (see api/protobuf-schema for the
 *   fields whose zero value is kept), Time as RFC 3339 UTC at second precision, Quantity as
 *   its string, IntOrString as a number or string, bytes (Secret.data) as base64, int64 as
 *   a safe-integer number, embedded Go structs inlined, and `apiVersion`/`kind` set from
 *   typeMeta. A zero Time (JSON `null`, e.g. `creationTimestamp` in every create body) is
 *   left out: for a create the server sets it anyway.
 * - Fields the proto copies do not model are skipped, as protobuf skips unknown fields.
 * - Every failure on untrusted bytes is a `ProtobufDecodeError` (never a crash): a missing
 *   magic, malformed protobuf, an unsafe int64 or an out-of-range time is BadRequest (400);
 *   an (apiVersion, kind) with no message here is UnsupportedMediaType (415), whose message
 *   names the kind so kubectl shows it to the user.
 */
import protobuf from 'protobufjs';
import type { JSONObject, JSONValue, KubeObject, ObjectMeta } from '../resources/types.js';
import { AssertionError, assert } from '../util/assert.js';
import { ControlPlaneError } from '../util/errors.js';
import {
  fieldKey, inlineFields, kindKey, loadKubernetesProtos, protobufKinds, specialTypeNames,
  unknownTypeName, zeroValueFields,
} from './protobuf-schema.js';

/** The media type of Kubernetes protobuf bodies. */
export const kubernetesProtobufMediaType = 'application/vnd.kubernetes.protobuf';

/** The 4-byte prefix of every Kubernetes protobuf body: `k8s` and a NUL byte. */
const magic = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

/**
 * The largest body decoded, in bytes (3 MiB, the API's request body limit). The caller
 * caps bodies first; a larger one here is rejected as RequestEntityTooLarge (413).
 */
export const protobufBodyBytesMax = 3 * 1024 * 1024;

/**
 * How deep messages may nest while converting (an object is at most ~8 levels deep:
 * Deployment.spec.template.spec.containers[].env[].valueFrom.secretKeyRef). Our proto copies
 * have no recursive message, so exceeding it is a schema bug and asserts.
 */
const conversionDepthMax = 32;

/** Stable codes of ProtobufDecodeError (retired codes are never reused). */
export type ProtobufDecodeErrorCode =
  | 'API_ERR_PROTOBUF_MISSING_MAGIC'
  | 'API_ERR_PROTOBUF_MALFORMED'
  | 'API_ERR_PROTOBUF_UNSUPPORTED_KIND'
  | 'API_ERR_PROTOBUF_TOO_LARGE';

/** The Status reason and HTTP code the API answers for each ProtobufDecodeError code. */
const errorStatuses: Readonly<Record<ProtobufDecodeErrorCode,
  { reason: ProtobufDecodeError['reason']; statusCode: number }>> = {
  API_ERR_PROTOBUF_MISSING_MAGIC: { reason: 'BadRequest', statusCode: 400 },
  API_ERR_PROTOBUF_MALFORMED: { reason: 'BadRequest', statusCode: 400 },
  API_ERR_PROTOBUF_UNSUPPORTED_KIND: { reason: 'UnsupportedMediaType', statusCode: 415 },
  API_ERR_PROTOBUF_TOO_LARGE: { reason: 'RequestEntityTooLarge', statusCode: 413 },
};

/**
 * ProtobufDecodeError is a protobuf request body that cannot be decoded. `reason` and
 * `statusCode` are the metav1.Status reason and HTTP code the API answers with; `message`
 * is meant for the user (kubectl prints it after "Error from server (<reason>):").
 */
export class ProtobufDecodeError extends ControlPlaneError {
  /** The metav1.Status reason for this error. */
  readonly reason: 'BadRequest' | 'UnsupportedMediaType' | 'RequestEntityTooLarge';
  /** The HTTP status code for this error (400, 415 or 413). */
  readonly statusCode: number;

  /** Creates the error; `cause` keeps the underlying decoder failure. */
  constructor(code: ProtobufDecodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ProtobufDecodeError';
    this.reason = errorStatuses[code].reason;
    this.statusCode = errorStatuses[code].statusCode;
  }
}

/**
 * Reports whether a Content-Type header names Kubernetes protobuf (parameters and case
 * are ignored: `application/vnd.kubernetes.protobuf; charset=x` matches).
 */
export function isKubernetesProtobuf(contentType: string): boolean {
  const mediaType = contentType.split(';', 1)[0] ?? '';
  return mediaType.trim().toLowerCase() === kubernetesProtobufMediaType;
}

const root = loadKubernetesProtos();
const unknownType = root.lookupType(unknownTypeName);
/** The message type of each supported kind, looked up once. */
const kindTypes: ReadonlyMap<string, protobuf.Type> = new Map(
  [...protobufKinds].map(([key, typeName]) => [key, root.lookupType(typeName)]));

/** A decoded protobufjs message, read field by field. */
type WireMessage = Readonly<Record<string, unknown>>;

/** The typeMeta and raw bytes of a decoded runtime.Unknown. */
interface UnknownFrame {
  readonly apiVersion: string;
  readonly kind: string;
  readonly raw: Uint8Array;
}

function malformed(detail: string, cause?: unknown): ProtobufDecodeError {
  const message = `the protobuf request body is malformed: ${detail}`;
  return new ProtobufDecodeError('API_ERR_PROTOBUF_MALFORMED', message,
    cause === undefined ? undefined : { cause });
}

function hasMagic(body: Uint8Array): boolean {
  if (body.length < magic.length) return false;
  return magic.every((byte, offset) => body[offset] === byte);
}

function optionalString(message: WireMessage, name: string): string {
  const value = message[name];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw malformed(`field ${name} is not a string`);
  return value;
}

function asWireMessage(value: unknown, path: string): WireMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`${path} is not a message`);
  }
  // NB: a decoded protobufjs Message is a plain record of its fields.
  return value as WireMessage;
}

/** Decodes the `runtime.Unknown` frame after the magic. */
function decodeFrame(body: Uint8Array): UnknownFrame {
  const frame: WireMessage = unknownType.decode(body.subarray(magic.length));
  const typeMeta = asWireMessage(frame.typeMeta ?? {}, 'typeMeta');
  const apiVersion = optionalString(typeMeta, 'apiVersion');
  const kind = optionalString(typeMeta, 'kind');
  if (apiVersion === '' || kind === '') throw malformed('typeMeta lacks apiVersion or kind');
  const contentEncoding = optionalString(frame, 'contentEncoding');
  if (contentEncoding !== '') {
    throw malformed(`contentEncoding "${contentEncoding}" is not supported`);
  }
  const contentType = optionalString(frame, 'contentType');
  if (contentType !== '' && !isKubernetesProtobuf(contentType)) {
    throw malformed(`contentType "${contentType}" is not protobuf`);
  }
  return { apiVersion, kind, raw: toBytes(frame.raw, 'raw') };
}

/** protobufjs decodes absent or empty bytes as a plain empty array; normalise. */
function toBytes(value: unknown, path: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value === undefined || value === null) return new Uint8Array(0);
  if (Array.isArray(value) && value.length === 0) return new Uint8Array(0);
  throw malformed(`${path} is not bytes`);
}

/** A 64-bit value as protobufjs decodes it when the `long` package is installed. */
interface Long64 {
  toNumber(): number;
}

function isLong(value: unknown): value is Long64 {
  return typeof value === 'object' && value !== null
    && typeof (value as Partial<Long64>).toNumber === 'function';
}

/** Converts a decoded int64 (number or Long) to a number; rejects values beyond 2^53. */
function toSafeInteger(value: unknown, path: string): number {
  let number: number;
  if (typeof value === 'number') {
    number = value;
  } else if (isLong(value)) {
    number = value.toNumber();
  } else {
    throw malformed(`${path} is not an integer`);
  }
  if (!Number.isSafeInteger(number)) {
    throw malformed(`${path} does not fit in a safe integer`);
  }
  return number;
}

/** Seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, metav1.Time's range. */
const timeSecondsMin = -62_135_596_800;
const timeSecondsMax = 253_402_300_799;

/** Converts a metav1.Time to RFC 3339 UTC (second precision, as Go writes it). */
function timeToJSON(message: WireMessage, path: string): string | undefined {
  const seconds = toSafeInteger(message.seconds ?? 0, `${path}.seconds`);
  const nanos = toSafeInteger(message.nanos ?? 0, `${path}.nanos`);
  if (seconds === 0 && nanos === 0) return undefined;
  if (seconds < timeSecondsMin || seconds > timeSecondsMax) {
    throw malformed(`${path} is outside the years 0001-9999`);
  }
  // NB: toISOString writes milliseconds; Kubernetes' Time JSON has whole seconds.
  const iso = new Date(seconds * 1000).toISOString();
  return `${iso.slice(0, iso.length - 5)}Z`;
}

/** Converts an IntOrString: type 0 is the number intVal, type 1 the string strVal. */
function intOrStringToJSON(message: WireMessage, path: string): number | string {
  const type = toSafeInteger(message.type ?? 0, `${path}.type`);
  if (type === 1) return optionalString(message, 'strVal');
  if (type !== 0) throw malformed(`${path}.type ${type} is neither 0 (int) nor 1 (string)`);
  return toSafeInteger(message.intVal ?? 0, `${path}.intVal`);
}

/** Converts FieldsV1 (raw JSON bytes) to the JSON object it holds. */
function fieldsV1ToJSON(message: WireMessage, path: string): JSONValue {
  const raw = toBytes(message.Raw, `${path}.Raw`);
  if (raw.length === 0) return {};
  try {
    return JSON.parse(Buffer.from(raw).toString('utf8')) as JSONValue;
  } catch (error) {
    throw malformed(`${path} is not JSON`, error);
  }
}

/** Converts a nested message: the special JSON forms, or a plain object. */
function nestedToJSON(type: protobuf.Type, value: unknown, path: string, depth: number):
  JSONValue | undefined {
  const message = asWireMessage(value, path);
  switch (type.fullName) {
    case specialTypeNames.time: return timeToJSON(message, path);
    case specialTypeNames.intOrString: return intOrStringToJSON(message, path);
    case specialTypeNames.fieldsV1: return fieldsV1ToJSON(message, path);
    // NB: a Quantity on the wire is never empty (Go writes "0"); mirror that.
    case specialTypeNames.quantity: return optionalString(message, 'string') || '0';
    default: return messageToJSON(type, message, path, depth + 1);
  }
}

/** Converts a number-typed scalar; 64-bit types may arrive as Long values. */
function numberToJSON(field: protobuf.Field, value: unknown, path: string): number {
  if (/64$/.test(field.type)) return toSafeInteger(value, path);
  if (typeof value !== 'number') throw malformed(`${path} is not a number`);
  return value;
}

/**
 * Converts one value of `field` (a singular field, a list element or a map value).
 * `omitZero` applies `omitempty`: a zero scalar becomes undefined (left out).
 */
function valueToJSON(
  field: protobuf.Field, value: unknown, path: string, options: { depth: number;
    omitZero: boolean },
): JSONValue | undefined {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    return nestedToJSON(resolved, value, path, options.depth);
  }
  let json: string | number | boolean;
  if (field.type === 'string') {
    if (typeof value !== 'string') throw malformed(`${path} is not a string`);
    json = value;
  } else if (field.type === 'bool') {
    if (typeof value !== 'boolean') throw malformed(`${path} is not a boolean`);
    json = value;
  } else if (field.type === 'bytes') {
    json = Buffer.from(toBytes(value, path)).toString('base64');
  } else {
    // NB: enums would land here as numbers; the Kubernetes protos declare none.
    json = numberToJSON(field, value, path);
  }
  if (options.omitZero && (json === '' || json === 0 || json === false)) return undefined;
  return json;
}

/** Converts a map field; an empty map is left out (`omitempty`). */
function mapToJSON(field: protobuf.Field, value: unknown, path: string, depth: number):
  JSONObject | undefined {
  const entries = Object.entries(asWireMessage(value, path));
  if (entries.length === 0) return undefined;
  const json: JSONObject = {};
  for (const [key, entry] of entries) {
    // NB: map values keep their zero values (a label may be "").
    const converted = valueToJSON(field, entry, `${path}[${key}]`, { depth, omitZero: false });
    if (converted !== undefined) json[key] = converted;
  }
  return json;
}

/** Converts a repeated field; an empty list is left out (`omitempty`). */
function listToJSON(field: protobuf.Field, value: unknown, path: string, depth: number):
  JSONValue[] | undefined {
  if (!Array.isArray(value)) throw malformed(`${path} is not a list`);
  if (value.length === 0) return undefined;
  return value.map((element: unknown, index) => {
    const converted = valueToJSON(field, element, `${path}[${index}]`,
      { depth, omitZero: false });
    // NB: a list element cannot be a zero Time (no repeated Time field); keep alignment.
    return converted ?? null;
  });
}

/** Converts one field of `type`; undefined means "leave it out". */
function fieldToJSON(type: protobuf.Type, field: protobuf.Field, value: unknown, path: string,
  depth: number): JSONValue | undefined {
  if (field.map) return mapToJSON(field, value, path, depth);
  if (field.repeated) return listToJSON(field, value, path, depth);
  const omitZero = !zeroValueFields.has(fieldKey(type, field));
  return valueToJSON(field, value, path, { depth, omitZero });
}

/** Converts a decoded message to its JSON object, field by field in declaration order. */
function messageToJSON(type: protobuf.Type, message: WireMessage, path: string, depth: number):
  JSONObject {
  assert(depth <= conversionDepthMax, `${type.name} nests deeper than ${conversionDepthMax}`);
  const json: JSONObject = {};
  for (const field of type.fieldsArray) {
    // NB: protobufjs sets own properties only for fields present on the wire (plus empty
    // lists and maps from the constructor, which the converters leave out).
    if (!Object.hasOwn(message, field.name)) continue;
    const value = message[field.name];
    if (value === undefined || value === null) continue;
    const fieldPath = path === '' ? field.name : `${path}.${field.name}`;
    const converted = fieldToJSON(type, field, value, fieldPath, depth);
    if (converted === undefined) continue;
    const inline = inlineFields.has(fieldKey(type, field));
    if (inline && typeof converted === 'object' && converted !== null
      && !Array.isArray(converted)) {
      Object.assign(json, converted);
    } else {
      json[field.name] = converted;
    }
  }
  return json;
}

function unsupportedKind(frame: UnknownFrame): ProtobufDecodeError {
  return new ProtobufDecodeError('API_ERR_PROTOBUF_UNSUPPORTED_KIND',
    `protobuf request bodies of kind ${frame.kind} (apiVersion ${frame.apiVersion}) are ` +
    `not supported; send it as application/json (e.g. kubectl apply -f)`);
}

/** Decodes the object message of `frame` and builds the KubeObject. */
function decodeObject(frame: UnknownFrame): KubeObject {
  const type = kindTypes.get(kindKey(frame.apiVersion, frame.kind));
  if (type === undefined) throw unsupportedKind(frame);
  const message: WireMessage = type.decode(frame.raw);
  const { metadata, ...rest } = messageToJSON(type, message, '', 0);
  // NB: the schema makes `metadata` an ObjectMeta message, so its JSON has ObjectMeta's
  // shape (strings, numbers, string maps, OwnerReference list); only the static type is lost.
  const objectMeta = (metadata ?? {}) as unknown as ObjectMeta;
  return { apiVersion: frame.apiVersion, kind: frame.kind, metadata: objectMeta, ...rest };
}

/**
 * Decodes a Kubernetes protobuf request body into the object its JSON form would carry.
 * Throws ProtobufDecodeError for any body it cannot decode (see the module comment).
 */
export function decodeKubernetesProtobuf(body: Uint8Array): KubeObject {
  if (body.length > protobufBodyBytesMax) {
    throw new ProtobufDecodeError('API_ERR_PROTOBUF_TOO_LARGE',
      `the protobuf request body has ${body.length} bytes, more than ${protobufBodyBytesMax}`);
  }
  if (!hasMagic(body)) {
    throw new ProtobufDecodeError('API_ERR_PROTOBUF_MISSING_MAGIC',
      'the protobuf request body does not start with the "k8s\\0" magic');
  }
  try {
    return decodeObject(decodeFrame(body));
  } catch (error) {
    if (error instanceof ProtobufDecodeError || error instanceof AssertionError) throw error;
    // NB: protobufjs throws plain Errors (and RangeErrors for truncated input).
    const detail = error instanceof Error ? error.message : String(error);
    throw malformed(detail, error);
  }
}
