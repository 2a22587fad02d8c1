/**
 * @module api/patch/json-value
 * Small helpers over JSON values shared by the patch functions: type tests, a depth check
 * that never recurses, a deep clone and a deep equality, both bounded by the depth check.
 *
 * Contract: nothing here mutates its arguments. `cloneJSON` returns a value that shares no
 * object or array with its input, so the patch functions can mutate their working copies.
 */
import type { JSONObject, JSONValue } from '../../resources/types.js';
import { assert } from '../../util/assert.js';
import { PatchError } from './errors.js';
import { patchNestingDepthMax } from './limits.js';

/** Returns true when `value` is a JSON object (not null, not an array). */
export function isJSONObject(value: JSONValue | undefined): value is JSONObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Sets `object[key]` as an own data property. NB: plain assignment of `__proto__` would
 * replace the prototype instead of creating a field, so that one key goes through
 * defineProperty (JSON.parse creates it as an own property, and so must we).
 */
export function setField(object: JSONObject, key: string, value: JSONValue): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, {
      value, enumerable: true, writable: true, configurable: true,
    });
    return;
  }
  object[key] = value;
}

/** Returns true when `object` has `key` as an own property. */
export function hasField(object: JSONObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/** Returns `object[key]` when it is an own property, undefined otherwise. */
export function getField(object: JSONObject, key: string): JSONValue | undefined {
  return hasField(object, key) ? object[key] : undefined;
}

/**
 * Returns the nesting depth of `value` (a scalar is 0, `{}` and `[]` are 1), walking with an
 * explicit stack so hostile input cannot overflow the call stack. Stops early and returns
 * `limit + 1` as soon as the depth exceeds `limit`.
 */
export function nestingDepth(value: JSONValue, limit: number): number {
  assert(Number.isSafeInteger(limit) && limit >= 0, 'nestingDepth: limit must be >= 0');
  const stack: Array<[JSONValue, number]> = [[value, 0]];
  let deepest = 0;
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    const nodeDepth = depth + 1;
    if (nodeDepth > limit) return limit + 1;
    if (nodeDepth > deepest) deepest = nodeDepth;
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) stack.push([child, nodeDepth]);
  }
  assert(deepest <= limit, 'nestingDepth: result within the limit');
  return deepest;
}

/** Throws PatchError API_PATCH_ERR_LIMIT when `value` nests deeper than the module bound. */
export function checkNestingDepth(value: JSONValue, what: string): void {
  if (nestingDepth(value, patchNestingDepthMax) > patchNestingDepthMax) {
    throw new PatchError('API_PATCH_ERR_LIMIT',
      `${what} nests deeper than ${patchNestingDepthMax} levels`);
  }
}

/**
 * Returns a deep copy of `value` that shares nothing with it. The caller MUST have bounded the
 * depth first (checkNestingDepth): the clone recurses once per level.
 */
export function cloneJSON<T extends JSONValue>(value: T): T {
  return structuredClone(value);
}

/**
 * Returns true when `a` and `b` are structurally equal JSON values (object key order does not
 * matter). Recurses once per level; the callers have bounded the depth of both.
 */
export function deepEqualJSON(a: JSONValue, b: JSONValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => deepEqualJSON(item, b[index]!));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => hasField(b, key) && deepEqualJSON(a[key]!, b[key]!));
}

/** Renders `value` for an error message, cut at 200 characters. */
export function describeJSON(value: JSONValue | readonly JSONValue[] | undefined): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
