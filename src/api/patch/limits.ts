/**
 * @module api/patch/limits
 * The bounds of the patch module (shared/STYLE.md §6). Each limit names what happens at it.
 */

/**
 * The deepest nesting of objects and arrays a patch, its target or its result may have
 * (the root container is depth 1). Matches the request-body decoder's bound, so anything the
 * API accepted can be patched. At the limit: PatchError `API_PATCH_ERR_LIMIT` (422). The bound
 * also caps the recursion of the merge functions, which recurse once per level.
 */
export const patchNestingDepthMax = 100;

/**
 * The most operations one JSON patch may hold; apiserver's `maxJSONPatchOperations` (10,000).
 * At the limit: PatchError `API_PATCH_ERR_LIMIT` (422) before any operation runs.
 */
export const jsonPatchOperationsMax = 10_000;

/**
 * The most bytes (as serialized JSON) the `copy` operations of one JSON patch may add in total:
 * without it, copying the root into itself doubles the document per operation. Equals the
 * request body cap (3 MiB), as apiserver sets evanphx/json-patch's AccumulatedCopySizeLimit.
 * At the limit: PatchError `API_PATCH_ERR_LIMIT` (422).
 */
export const jsonPatchCopiedBytesMax = 3 * 1024 * 1024;
