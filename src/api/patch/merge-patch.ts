/**
 * @module api/patch/merge-patch
 * JSON merge patch, RFC 7386 (`application/merge-patch+json`, sent by `kubectl label`,
 * `annotate`, `scale` and `patch --type=merge`): objects merge recursively, `null` deletes a
 * member, and any other value (arrays included) replaces the target's value whole.
 *
 * Contract: pure. The inputs are never mutated and the result shares no object or array with
 * them. Nesting deeper than `patchNestingDepthMax` is refused with PatchError
 * `API_PATCH_ERR_LIMIT` before any work, which also bounds the recursion (one frame a level).
 */
import type { JSONObject, JSONValue } from '../../resources/types.js';
import { assert } from '../../util/assert.js';
import {
  checkNestingDepth, cloneJSON, getField, hasField, isJSONObject, setField,
} from './json-value.js';

/**
 * Applies the RFC 7386 merge patch `patch` to `target` and returns the new document. A patch
 * that is not an object replaces the target (RFC 7386 §2); `target` undefined means "absent".
 */
export function applyMergePatch(target: JSONValue | undefined, patch: JSONValue): JSONValue {
  if (target !== undefined) checkNestingDepth(target, 'the object');
  checkNestingDepth(patch, 'the patch');
  const working = target === undefined ? undefined : cloneJSON(target);
  const result = mergeValue(working, cloneJSON(patch));
  assert(result !== undefined, 'applyMergePatch: a merge patch always yields a value');
  return result;
}

/**
 * Merges `patch` into `target` (both owned working copies, mutated in place) as RFC 7386's
 * MergePatch function does, and returns the merged value.
 */
function mergeValue(target: JSONValue | undefined, patch: JSONValue): JSONValue {
  if (!isJSONObject(patch)) return patch;
  // NB: a non-object target is replaced by an empty object before merging (RFC 7386 §2).
  const result: JSONObject = isJSONObject(target) ? target : {};
  for (const key of Object.keys(patch)) {
    const value = patch[key]!;
    if (value === null) {
      if (hasField(result, key)) delete result[key];
      continue;
    }
    setField(result, key, mergeValue(getField(result, key), value));
  }
  return result;
}
