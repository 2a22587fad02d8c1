/**
 * @module api/patch/json-patch
 * JSON patch, RFC 6902 (`application/json-patch+json`, sent by `kubectl patch --type=json`):
 * a list of add / remove / replace / move / copy / test operations addressed by RFC 6901 JSON
 * pointers (`~1` is `/`, `~0` is `~`, `-` appends to an array).
 *
 * Contract: pure. The input is never mutated; the operations run on a private deep copy and
 * the first failing operation aborts the whole patch (RFC 6902 §5). Messages follow
 * evanphx/json-patch, which apiserver uses, e.g. `add operation does not apply: doc is missing
 * path: "/spec/foo": missing value` and `testing value /spec/replicas failed: test failed`.
 * Deviations, on purpose: a malformed operation is rejected up front (400) instead of failing
 * half-way, `add` without `value` is an error (evanphx adds null), and `add`/`replace` of the
 * root pointer "" replace the whole document as RFC 6902 says.
 */
import type { JSONObject, JSONValue } from '../../resources/types.js';
import { assert, assertNever } from '../../util/assert.js';
import { PatchError } from './errors.js';
import {
  checkNestingDepth, cloneJSON, deepEqualJSON, hasField, isJSONObject, setField,
} from './json-value.js';
import { jsonPatchCopiedBytesMax, jsonPatchOperationsMax } from './limits.js';

/** JSONPatchOperation is one decoded RFC 6902 operation. */
export type JSONPatchOperation =
  | { readonly op: 'add' | 'replace' | 'test'; readonly path: string; readonly value: JSONValue }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'move' | 'copy'; readonly path: string; readonly from: string };

const operationNames = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/**
 * Decodes and validates a JSON patch document: an array of objects, each with a known string
 * `op`, a string `path` that is a valid JSON pointer, `value` for add/replace/test and a
 * string `from` for move/copy. Throws PatchError `API_PATCH_ERR_MALFORMED` (400) otherwise.
 */
export function decodeJSONPatch(patch: JSONValue): JSONPatchOperation[] {
  if (!Array.isArray(patch)) {
    throw new PatchError('API_PATCH_ERR_MALFORMED',
      `json: cannot unmarshal ${jsonTypeName(patch)} into Go value of type jsonpatch.Patch`);
  }
  if (patch.length > jsonPatchOperationsMax) {
    throw new PatchError('API_PATCH_ERR_LIMIT', 'The allowed number of operations in a json '
      + `patch is ${jsonPatchOperationsMax}, but the patch has ${patch.length}`);
  }
  return patch.map((entry, index) => decodeOperation(entry, index));
}

function decodeOperation(entry: JSONValue, index: number): JSONPatchOperation {
  const malformed = (detail: string): PatchError =>
    new PatchError('API_PATCH_ERR_MALFORMED', `json patch operation ${index}: ${detail}`);
  if (!isJSONObject(entry)) throw malformed(`must be an object, got ${jsonTypeName(entry)}`);
  const op = hasField(entry, 'op') ? entry.op : undefined;
  if (typeof op !== 'string') throw malformed('"op" must be a string');
  if (!operationNames.has(op)) throw new PatchError('API_PATCH_ERR_MALFORMED', `Unexpected kind: ${op}`);
  const path = hasField(entry, 'path') ? entry.path : undefined;
  if (typeof path !== 'string') throw malformed(`${op} operation: "path" must be a string`);
  parsePointer(path);
  switch (op) {
    case 'add': case 'replace': case 'test': {
      if (!hasField(entry, 'value')) throw malformed(`${op} operation: missing "value"`);
      return { op, path, value: entry.value! };
    }
    case 'remove':
      return { op, path };
    case 'move': case 'copy': {
      const from = hasField(entry, 'from') ? entry.from : undefined;
      if (typeof from !== 'string') throw malformed(`${op} operation: "from" must be a string`);
      parsePointer(from);
      return { op, path, from };
    }
    default:
      throw new PatchError('API_PATCH_ERR_MALFORMED', `Unexpected kind: ${op}`);
  }
}

/**
 * Applies the RFC 6902 patch `patch` (decoded with decodeJSONPatch) to `target` and returns
 * the new document. Throws PatchError: 400 for a malformed patch, 422 when an operation does
 * not apply or a `test` fails.
 */
export function applyJSONPatch(target: JSONValue, patch: JSONValue): JSONValue {
  const operations = decodeJSONPatch(patch);
  checkNestingDepth(target, 'the object');
  checkNestingDepth(patch, 'the patch');
  const document: DocumentBox = { root: cloneJSON(target), copiedBytes: 0 };
  for (const operation of operations) applyOperation(document, operation);
  checkNestingDepth(document.root, 'the patched object');
  return document.root;
}

/** DocumentBox holds the working copy, so operations on the root pointer can replace it. */
interface DocumentBox {
  root: JSONValue;
  copiedBytes: number;
}

function applyOperation(document: DocumentBox, operation: JSONPatchOperation): void {
  switch (operation.op) {
    case 'add':
      addValue(document, operation.path, cloneJSON(operation.value), 'add');
      return;
    case 'remove':
      removeValue(document, operation.path, 'remove');
      return;
    case 'replace':
      replaceValue(document, operation.path, cloneJSON(operation.value));
      return;
    case 'move':
      moveValue(document, operation.from, operation.path);
      return;
    case 'copy':
      copyValue(document, operation.from, operation.path);
      return;
    case 'test':
      testValue(document, operation.path, operation.value);
      return;
    default:
      assertNever(operation, 'json patch operation');
  }
}

/** Location is the container holding the pointed-to member and the member's token. */
interface Location {
  readonly container: JSONObject | JSONValue[];
  readonly token: string;
}

/**
 * Parses an RFC 6901 pointer into its unescaped reference tokens ("" is the root, []).
 * Throws PatchError `API_PATCH_ERR_MALFORMED` for a pointer that does not start with `/` or
 * holds a `~` not followed by 0 or 1.
 */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw new PatchError('API_PATCH_ERR_MALFORMED',
      `invalid JSON pointer ${JSON.stringify(pointer)}: must be empty or start with "/"`);
  }
  return pointer.slice(1).split('/').map((token) => {
    if (/~[^01]|~$/.test(token)) {
      throw new PatchError('API_PATCH_ERR_MALFORMED',
        `invalid JSON pointer ${JSON.stringify(pointer)}: "~" must be followed by 0 or 1`);
    }
    // NB: ~1 first, then ~0, so "~01" becomes "~1" and not "/" (RFC 6901 §4).
    return token.replaceAll('~1', '/').replaceAll('~0', '~');
  });
}

/** Returns the location of `pointer` (non-root), or undefined when its parent is missing. */
function locate(root: JSONValue, tokens: readonly string[]): Location | undefined {
  assert(tokens.length > 0, 'locate: the root has no location');
  let node: JSONValue | undefined = root;
  for (let index = 0; index < tokens.length - 1; index += 1) {
    node = childOf(node, tokens[index]!);
    if (node === undefined) return undefined;
  }
  if (typeof node !== 'object' || node === null) return undefined;
  return { container: node, token: tokens[tokens.length - 1]! };
}

function childOf(node: JSONValue | undefined, token: string): JSONValue | undefined {
  if (Array.isArray(node)) {
    const index = parseArrayIndex(token);
    return index !== undefined && index < node.length ? node[index] : undefined;
  }
  if (isJSONObject(node) && hasField(node, token)) return node[token];
  return undefined;
}

/** Parses an array index token: "0" or digits without a leading zero (RFC 6901 §4). */
function parseArrayIndex(token: string): number | undefined {
  if (!/^(0|[1-9][0-9]{0,14})$/.test(token)) return undefined;
  return Number(token);
}

function missing(message: string): PatchError {
  return new PatchError('API_PATCH_ERR_NOT_APPLICABLE', `${message}: missing value`);
}

function invalidIndex(context: string, token: string): PatchError {
  return new PatchError('API_PATCH_ERR_NOT_APPLICABLE',
    `${context}: Unable to access invalid index: ${token}: invalid index referenced`);
}

function addValue(document: DocumentBox, path: string, value: JSONValue, verb: string): void {
  const tokens = parsePointer(path);
  if (tokens.length === 0) {
    document.root = value;
    return;
  }
  const location = locate(document.root, tokens);
  if (location === undefined) {
    throw missing(`${verb} operation does not apply: doc is missing path: "${path}"`);
  }
  const { container, token } = location;
  if (!Array.isArray(container)) {
    setField(container, token, value);
    return;
  }
  if (token === '-') {
    container.push(value);
    return;
  }
  const index = parseArrayIndex(token);
  if (index === undefined || index > container.length) {
    throw invalidIndex(`error in ${verb} for path: '${path}'`, token);
  }
  container.splice(index, 0, value);
}

/** Removes the member at `path` and returns its value. */
function removeValue(document: DocumentBox, path: string, verb: string): JSONValue {
  const tokens = parsePointer(path);
  if (tokens.length === 0) {
    throw missing(`${verb} operation does not apply: doc is missing path: "${path}"`);
  }
  const location = locate(document.root, tokens);
  if (location === undefined) {
    throw missing(`${verb} operation does not apply: doc is missing path: "${path}"`);
  }
  const { container, token } = location;
  if (Array.isArray(container)) {
    const index = parseArrayIndex(token);
    if (index === undefined || index >= container.length) {
      throw invalidIndex(`error in ${verb} for path: '${path}'`, token);
    }
    return container.splice(index, 1)[0]!;
  }
  if (!hasField(container, token)) {
    throw missing(`error in ${verb} for path: '${path}': Unable to remove nonexistent key: ${token}`);
  }
  const removed = container[token]!;
  delete container[token];
  return removed;
}

/** Returns the value at `path`, or undefined when there is none. */
function readValue(document: DocumentBox, path: string): JSONValue | undefined {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return document.root;
  const location = locate(document.root, tokens);
  return location === undefined ? undefined : childOf(location.container, location.token);
}

function replaceValue(document: DocumentBox, path: string, value: JSONValue): void {
  const tokens = parsePointer(path);
  if (tokens.length === 0) {
    document.root = value;
    return;
  }
  const location = locate(document.root, tokens);
  if (location === undefined) {
    throw missing(`replace operation does not apply: doc is missing path: ${path}`);
  }
  if (childOf(location.container, location.token) === undefined) {
    throw missing(`replace operation does not apply: doc is missing key: ${path}`);
  }
  const { container, token } = location;
  if (Array.isArray(container)) container[parseArrayIndex(token)!] = value;
  else setField(container, token, value);
}

function moveValue(document: DocumentBox, from: string, path: string): void {
  if (from === path) {
    if (readValue(document, from) === undefined) {
      throw missing(`move operation does not apply: doc is missing from path: ${from}`);
    }
    return;
  }
  // RFC 6902 §4.4: a location cannot be moved into one of its children.
  if (path.startsWith(`${from}/`)) {
    throw new PatchError('API_PATCH_ERR_NOT_APPLICABLE',
      `move operation does not apply: "from" ${from} is a prefix of "path" ${path}`);
  }
  if (readValue(document, from) === undefined) {
    throw missing(`move operation does not apply: doc is missing from path: ${from}`);
  }
  const value = removeValue(document, from, 'move');
  addValue(document, path, value, 'move');
}

function copyValue(document: DocumentBox, from: string, path: string): void {
  const value = readValue(document, from);
  if (value === undefined) {
    throw missing(`copy operation does not apply: doc is missing from path: ${from}`);
  }
  document.copiedBytes += JSON.stringify(value).length;
  if (document.copiedBytes > jsonPatchCopiedBytesMax) {
    throw new PatchError('API_PATCH_ERR_LIMIT', 'Unable to complete the copy, the accumulated '
      + `size increase of copy is ${document.copiedBytes}, exceeding the limit `
      + `${jsonPatchCopiedBytesMax}`);
  }
  addValue(document, path, cloneJSON(value), 'copy');
}

function testValue(document: DocumentBox, path: string, expected: JSONValue): void {
  const tokens = parsePointer(path);
  if (tokens.length > 0 && locate(document.root, tokens) === undefined) {
    throw missing(`test operation does not apply: is missing path: ${path}`);
  }
  const actual = readValue(document, path);
  if (actual === undefined || !deepEqualJSON(actual, expected)) {
    throw new PatchError('API_PATCH_ERR_TEST_FAILED', `testing value ${path} failed: test failed`);
  }
}

function jsonTypeName(value: JSONValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}
