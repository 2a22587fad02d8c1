/**
 * @module api/patching
 * PATCH by content type (kubectl-api.md §8): JSON merge patch (RFC 7386), JSON patch
 * (RFC 6902), strategic merge patch driven by the kind's schema, and server-side apply
 * (merged into the live object without field ownership; see src/api/patch/apply.ts).
 */
import type { JSONObject, JSONValue, KubeObject, ResourceDefinition } from '../resources/types.js';
import { applyConfiguration } from './patch/apply.js';
import { applyJSONPatch } from './patch/json-patch.js';
import { applyMergePatch } from './patch/merge-patch.js';
import { applyStrategicMergePatch } from './patch/strategic-merge.js';
import { newBadRequest, newUnsupportedMediaType } from './status.js';

const patchMediaTypes = new Set([
  'application/json-patch+json', 'application/merge-patch+json',
  'application/strategic-merge-patch+json', 'application/apply-patch+yaml',
]);

/** True when `media` is one of the four patch content types. */
export function isPatchMediaType(media: string): boolean {
  return patchMediaTypes.has(media);
}

function asObject(value: JSONValue, what: string): JSONObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw newBadRequest(`${what} must be a JSON object`);
  }
  return value;
}

/** Applies `patch` of type `media` to `current`; returns the patched object (new). */
export function applyPatch(definition: ResourceDefinition, current: KubeObject,
  patch: JSONValue, media: string): JSONObject {
  const target = current as unknown as JSONObject;
  switch (media) {
    case 'application/merge-patch+json':
      return asObject(applyMergePatch(target, asObject(patch, 'a merge patch')), 'the patched object');
    case 'application/json-patch+json':
      return asObject(applyJSONPatch(target, patch), 'the patched object');
    case 'application/strategic-merge-patch+json':
      return applyStrategicMergePatch(target, patch, definition.schema);
    case 'application/apply-patch+yaml':
      return applyConfiguration(target, asObject(patch, 'an apply configuration'),
        definition.schema);
    default:
      throw newUnsupportedMediaType(media);
  }
}
