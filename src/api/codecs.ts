/**
 * @module api/codecs
 * Request bodies to objects: JSON, YAML and Kubernetes protobuf (`k8s\0` envelope) bodies,
 * with `fieldValidation` (Strict: unknown or duplicate fields are a 400; Warn: a `Warning`
 * header per field; Ignore) checked against the kind's structural schema, and the checks the
 * apiserver makes before any kind-specific logic (apiVersion/kind match the URL, the body's
 * namespace matches the path's).
 */
import { parse as parseYAML } from 'yaml';
import type { JSONValue, KubeObject, ResourceDefinition } from '../resources/types.js';
import { typeErrors, unknownFields } from '../resources/schema/index.js';
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

/** Finds duplicate keys in a JSON text (JSON.parse silently keeps the last one). */
export function duplicateKeys(text: string): string[] {
  const duplicates: string[] = [];
  const stack: { keys: Set<string> | null; path: string; key: string }[] = [];
  let i = 0;
  const length = text.length;
  let pendingKey: string | undefined;
  while (i < length && duplicates.length < 100) {
    const ch = text[i]!;
    if (ch === '"') {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      if (top?.keys !== null && top !== undefined && expectsKey(text, end)) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        const path = top.path === '' ? key : `${top.path}.${key}`;
        if (top.keys.has(key)) duplicates.push(path);
        top.keys.add(key);
        pendingKey = key;
      }
      i = end + 1;
      continue;
    }
    if (ch === '{' || ch === '[') {
      const parent = stack[stack.length - 1];
      const base = parent === undefined ? '' : childPath(parent, pendingKey);
      stack.push({ keys: ch === '{' ? new Set() : null, path: base, key: pendingKey ?? '' });
      pendingKey = undefined;
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    }
    i++;
  }
  return duplicates;
}

function childPath(parent: { keys: Set<string> | null; path: string }, key: string | undefined):
  string {
  if (parent.keys === null) return parent.path;
  if (key === undefined) return parent.path;
  return parent.path === '' ? key : `${parent.path}.${key}`;
}

function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (ch === 92) i += 2;
    else if (ch === 34) return i;
    else i++;
  }
  return text.length - 1;
}

function expectsKey(text: string, end: number): boolean {
  let i = end + 1;
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' ||
    text[i] === '\t')) i++;
  return text[i] === ':';
}

function parseJSONText(text: string): JSONValue {
  try {
    return JSON.parse(text) as JSONValue;
  } catch (error) {
    throw newBadRequest(`couldn't get version/kind; json parse error: ${
      error instanceof Error ? error.message : String(error)}`);
  }
}

function parseYAMLText(text: string): JSONValue {
  try {
    return parseYAML(text, { uniqueKeys: false, maxAliasCount: 100 }) as JSONValue;
  } catch (error) {
    throw newBadRequest(`error converting YAML to JSON: ${
      error instanceof Error ? error.message : String(error)}`);
  }
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
    return { value: parseJSONText(text), warnings: duplicateKeys(text).map(duplicateMessage) };
  }
  if (media === 'application/yaml' || media === 'application/x-yaml' || media === 'text/yaml') {
    return { value: parseYAMLText(text), warnings: [] };
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
    if (trimmed.startsWith('{')) {
      return { value: parseJSONText(text), warnings: duplicateKeys(text).map(duplicateMessage) };
    }
    return { value: parseYAMLText(text), warnings: [] };
  }
  return { value: parseJSONText(text), warnings: duplicateKeys(text).map(duplicateMessage) };
}

/**
 * Applies the field validation mode: under Strict, duplicates and unknown fields are one
 * 400 (upstream's "strict decoding error"); under Warn they become warnings.
 */
export function checkFields(definition: ResourceDefinition, value: JSONValue,
  duplicates: readonly string[], mode: FieldValidation): string[] {
  if (mode === 'Ignore') return [];
  const unknown = unknownFields(value, definition.schema).map((path) => `unknown field "${path}"`);
  const problems = [...unknown, ...duplicates];
  if (problems.length === 0) return [];
  if (mode === 'Strict') throw newBadRequest(`strict decoding error: ${problems.join(', ')}`);
  return problems;
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
    throw new APIError(400, 'BadRequest', `${definition.kind} in version "${definition.version}" ` +
      `cannot be handled as a ${definition.kind}: ${errors.slice(0, 5).map((error) =>
        `${error.path}: ${error.message}`).join('; ')}`);
  }
  const typed = object as unknown as KubeObject;
  if (typeof typed.metadata !== 'object' || typed.metadata === null) typed.metadata = {};
  return typed;
}
