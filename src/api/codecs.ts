/**
 * @module api/codecs
 * Request bodies to objects: JSON, YAML and Kubernetes protobuf (`k8s\0` envelope) bodies,
 * with `fieldValidation` (Strict: unknown or duplicate fields are a 400; Warn: a `Warning`
 * header per field; Ignore) checked against the kind's structural schema, and the checks the
 * apiserver makes before any kind-specific logic (apiVersion/kind match the URL, the body's
 * namespace matches the path's).
 */
import type { JSONValue, KubeObject, ResourceDefinition } from '../resources/types.js';
import { typeErrors, unknownFields } from '../resources/schema/index.js';
import { parseJsonStrict, parseYamlDocuments } from './body.js';
import { decodeKubernetesProtobuf, isKubernetesProtobuf, ProtobufDecodeError } from './protobuf.js';
import { apiVersionOf } from './registry-index.js';
import { parseMediaTypes } from './request.js';
import { APIError, newBadRequest, newUnsupportedMediaType } from './status.js';

/** FieldValidation is the `fieldValidation` query parameter. */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Parses `fieldValidation`; absent means Warn (the apiserver's default since 1.27). */
export function parseFieldValidation(value: string | null): FieldValidation {
  if (value === null || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw newBadRequest(`fieldValidation parameter unsupported: ${value}; valid values are ` +
    'Strict, Warn, Ignore');
}

/** DecodedBody is a parsed body and the warnings to send with the answer. */
export interface DecodedBody {
  readonly value: JSONValue;
  readonly warnings: string[];
}

function parseJSONText(text: string): DecodedBody {
  const parsed = parseJsonStrict(text);
  return { value: parsed.value, warnings: parsed.duplicates.map(duplicateMessage) };
}

function parseYAMLText(text: string): DecodedBody {
  const documents = parseYamlDocuments(text);
  if (documents.length !== 1) {
    throw newBadRequest(`the request body must hold exactly one YAML document, got ${documents.length}`);
  }
  const parsed = documents[0]!;
  return { value: parsed.value, warnings: parsed.duplicates.map(duplicateMessage) };
}

/** The media type (lower-cased, no parameters) of a Content-Type header. */
export function mediaTypeOf(contentType: string | undefined): string {
  return parseMediaTypes(contentType)[0]?.type ?? '';
}

/**
 * Decodes an object body (create, update): JSON (the default), YAML or protobuf; any other
 * media type is a 415.
 */
export function decodeObjectBody(body: Buffer, contentType: string | undefined): DecodedBody {
  const media = mediaTypeOf(contentType);
  if (isKubernetesProtobuf(media)) {
    try {
      return { value: decodeKubernetesProtobuf(body) as unknown as JSONValue, warnings: [] };
    } catch (error) {
      if (error instanceof ProtobufDecodeError) {
        throw new APIError(error.statusCode, error.reason, error.message);
      }
      throw error;
    }
  }
  const text = body.toString('utf8');
  if (media === '' || media === 'application/json' || media === '*/*') {
    return parseJSONText(text);
  }
  if (media === 'application/yaml' || media === 'application/x-yaml' || media === 'text/yaml') {
    return parseYAMLText(text);
  }
  throw newUnsupportedMediaType(media);
}

function duplicateMessage(path: string): string {
  return `duplicate field "${path}"`;
}

/** Decodes a patch body of any JSON-based patch type, or YAML for apply patches. */
export function decodePatchBody(body: Buffer, media: string): DecodedBody {
  const text = body.toString('utf8');
  if (media === 'application/apply-patch+yaml') {
    const trimmed = text.trimStart();
    return trimmed.startsWith('{') ? parseJSONText(text) : parseYAMLText(text);
  }
  return parseJSONText(text);
}

/**
 * Applies the field validation mode: under Strict, duplicates and unknown fields are one
 * 400 (upstream's "strict decoding error"); under Warn they become warnings.
 */
export function checkFields(definition: ResourceDefinition, value: JSONValue,
  duplicates: readonly string[], mode: FieldValidation): string[] {
  return checkFieldsWithPrefix(definition, { value, warnings: [...duplicates] }, mode, '');
}

/**
 * Applies the field validation mode to a create or update body: as {@link checkFields}, but
 * a Strict failure carries the prefix upstream's create and update handlers put before any
 * decoding error (`transformDecodeError`): `<Kind> in version "<v>" cannot be handled as a
 * <Kind>: strict decoding error: ...`, which kubectl prints verbatim.
 */
export function checkObjectFields(definition: ResourceDefinition, decoded: DecodedBody,
  mode: FieldValidation): string[] {
  return checkFieldsWithPrefix(definition, decoded, mode, cannotBeHandledPrefix(definition));
}

function checkFieldsWithPrefix(definition: ResourceDefinition, decoded: DecodedBody,
  mode: FieldValidation, strictPrefix: string): string[] {
  if (mode === 'Ignore') return [];
  const unknown = unknownFields(decoded.value, definition.schema)
    .map((path) => `unknown field "${path}"`);
  const problems = [...unknown, ...decoded.warnings];
  if (problems.length === 0) return [];
  if (mode === 'Strict') {
    throw newBadRequest(`${strictPrefix}strict decoding error: ${problems.join(', ')}`);
  }
  return problems;
}

function cannotBeHandledPrefix(definition: ResourceDefinition): string {
  return `${definition.kind} in version "${definition.version}" ` +
    `cannot be handled as a ${definition.kind}: `;
}

/**
 * Checks that a decoded body is an object of `definition`'s kind (filling apiVersion and
 * kind when absent, as the apiserver's defaulting decoder does) and that its JSON types fit
 * the schema; returns it typed.
 */
export function asKubeObject(definition: ResourceDefinition, value: JSONValue): KubeObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw newBadRequest('the body of the request must be a JSON or YAML object');
  }
  const expected = apiVersionOf(definition);
  const apiVersion = value.apiVersion ?? expected;
  const kind = value.kind ?? definition.kind;
  if (apiVersion !== expected || kind !== definition.kind) {
    throw newBadRequest(`the API version in the data (${JSON.stringify(apiVersion)}) does not match ` +
      `the expected API version (${expected})` + (kind === definition.kind ? ''
        : `, or the kind (${JSON.stringify(kind)}) is not ${definition.kind}`));
  }
  const object = { ...value, apiVersion, kind } as JSONValue;
  const errors = typeErrors(object, definition.schema);
  if (errors.length > 0) {
    throw new APIError(400, 'BadRequest', `${cannotBeHandledPrefix(definition)}${
      errors.slice(0, 5).map((error) =>
        `${error.path}: ${error.message}`).join('; ')}`);
  }
  const typed = object as unknown as KubeObject;
  if (typeof typed.metadata !== 'object' || typed.metadata === null) typed.metadata = {};
  return typed;
}
