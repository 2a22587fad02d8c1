/**
 * @module api/patch/strategic-merge
 * Strategic merge patch (`application/strategic-merge-patch+json`: the default of `kubectl
 * patch`, client-side apply, `set image`, `rollout restart`, `cordon`), after
 * k8s.io/apimachinery/pkg/util/strategicpatch (patch.go, StrategicMergeMapPatch), driven by
 * the target's structural SchemaNode instead of Go struct tags:
 *
 * - maps merge key by key, recursively; a `null` value deletes the key;
 * - a list with `patchStrategy: 'merge'` and a `mergeKey` merges element by element on that
 *   key; a 'merge' list of primitives merges as a set; every other list is replaced whole;
 * - merged lists are ordered as upstream orders them (list-order.ts): patch items in patch
 *   order, interleaved with server-only items by their old positions;
 * - directives: `$patch: replace | delete | merge` on a map, `$patch: replace` and
 *   `$patch: delete` (with the merge key) as list elements, `$retainKeys`,
 *   `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`;
 * - where the schema has no node (an unknown field, `preserveUnknownFields`), RFC 7386 JSON
 *   merge semantics apply: maps merge, lists replace.
 *
 * Contract: pure. The inputs are never mutated and the result shares nothing with them; no
 * `$`-directive survives into the result. Deviations from upstream, on purpose: `$patch: delete`
 * on a map field removes the field (upstream leaves an empty map), a value inserted where the
 * target had none has its directives applied and its nulls dropped (upstream stores it raw and
 * relies on the typed decode to drop them), `$patch: merge` on a map is accepted as a no-op,
 * and a `$` key that is neither a directive nor a field the schema declares (such as
 * JSONSchemaProps' `$ref`) is an error (upstream stores it as a field).
 */
import type { JSONObject, JSONValue, ListSchema, SchemaNode } from '../../resources/types.js';
import { assert } from '../../util/assert.js';
import { PatchError } from './errors.js';
import {
  checkNestingDepth, cloneJSON, describeJSON, getField, hasField, isJSONObject, setField,
} from './json-value.js';
import { patchNestingDepthMax } from './limits.js';
import { orderMergedList, type ItemKey } from './list-order.js';

const directiveMarker = '$patch';
const retainKeysDirective = '$retainKeys';
const setElementOrderPrefix = '$setElementOrder';
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList';

/**
 * Applies the strategic merge patch `patch` to `target`, whose structure `schema` describes
 * (undefined: no schema, JSON merge semantics throughout), and returns the new object.
 * Throws PatchError `API_PATCH_ERR_MALFORMED` (400) for a bad directive,
 * `API_PATCH_ERR_NOT_APPLICABLE` (422) when the patch does not fit the target, and
 * `API_PATCH_ERR_LIMIT` (422) for nesting deeper than `patchNestingDepthMax`.
 */
export function applyStrategicMergePatch(
  target: JSONObject, patch: JSONValue, schema: SchemaNode | undefined,
): JSONObject {
  if (!isJSONObject(patch)) {
    throw new PatchError('API_PATCH_ERR_MALFORMED',
      `a strategic merge patch must be a JSON object, got ${describeJSON(patch)}`);
  }
  checkNestingDepth(target, 'the object');
  checkNestingDepth(patch, 'the patch');
  const result = mergeMap(cloneJSON(target), cloneJSON(patch), schema, 1);
  // NB: `$patch: delete` at the top leaves an empty object, as upstream does.
  return result ?? {};
}

/** Directives is what a patch map says besides its fields. */
interface Directives {
  marker: 'replace' | 'delete' | 'merge' | undefined;
  retainKeys: string[] | undefined;
  readonly setElementOrder: Map<string, JSONValue[]>;
  readonly deleteFromPrimitiveList: Map<string, JSONValue[]>;
  readonly fields: string[];
}

/**
 * Merges `patch` into `original` (owned working copies, mutated) and returns the result, or
 * undefined when the patch says `$patch: delete`. Recurses once per nesting level.
 */
function mergeMap(
  original: JSONObject, patch: JSONObject, schema: SchemaNode | undefined, depth: number,
): JSONObject | undefined {
  assert(depth <= patchNestingDepthMax + 1, 'mergeMap: depth bounded by the input check');
  const directives = splitDirectives(patch, schema);
  if (directives.marker === 'delete') return undefined;
  const result: JSONObject = directives.marker === 'replace' ? {} : original;
  if (directives.retainKeys !== undefined) checkRetainKeys(patch, directives);
  const serverLists = snapshotLists(result, directives.setElementOrder);
  for (const [key, values] of directives.deleteFromPrimitiveList) {
    const list = getField(result, key);
    if (Array.isArray(list)) setField(result, key, list.filter((item) => !values.includes(item)));
  }
  for (const key of directives.fields) {
    const value = patch[key]!;
    if (value === null) {
      if (hasField(result, key)) delete result[key];
      continue;
    }
    const merged = mergeValue(getField(result, key), value, fieldSchema(schema, key), depth + 1);
    if (merged === undefined) delete result[key];
    else setField(result, key, merged);
  }
  for (const [key, order] of directives.setElementOrder) {
    applyElementOrder(result, { key, order, patch, serverList: serverLists.get(key) }, schema);
  }
  if (directives.retainKeys !== undefined) {
    const retained = new Set(directives.retainKeys);
    for (const key of Object.keys(result)) if (!retained.has(key)) delete result[key];
  }
  return result;
}

/** Merges one patch value into the original value (undefined: absent) of the same field. */
function mergeValue(
  original: JSONValue | undefined, patch: JSONValue, schema: SchemaNode | undefined,
  depth: number,
): JSONValue | undefined {
  if (isJSONObject(patch)) {
    return mergeMap(isJSONObject(original) ? original : {}, patch, schema, depth);
  }
  if (Array.isArray(patch)) {
    return mergeList(Array.isArray(original) ? original : [], patch, schema, depth);
  }
  return patch;
}

/** Returns the schema of field `key` of an object or map node, undefined when unknown. */
function fieldSchema(schema: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (schema?.kind === 'map') return schema.values;
  if (schema?.kind !== 'object') return undefined;
  return Object.prototype.hasOwnProperty.call(schema.fields, key) ? schema.fields[key] : undefined;
}

/** Sorts the keys of a patch map into its directives and its fields, validating each. */
function splitDirectives(patch: JSONObject, schema: SchemaNode | undefined): Directives {
  const directives: Directives = {
    marker: undefined, retainKeys: undefined, setElementOrder: new Map(),
    deleteFromPrimitiveList: new Map(), fields: [],
  };
  for (const key of Object.keys(patch)) {
    const value = patch[key]!;
    if (!key.startsWith('$') || isDeclaredField(schema, key)) directives.fields.push(key);
    else if (key === directiveMarker) directives.marker = parseMarker(value, patch);
    else if (key === retainKeysDirective) directives.retainKeys = parseRetainKeys(value);
    else if (key.startsWith(setElementOrderPrefix)) {
      directives.setElementOrder.set(listKeyOf(key, setElementOrderPrefix),
        parseDirectiveList(value, 'invalid patch format of setElementOrder list'));
    } else if (key.startsWith(deleteFromPrimitiveListPrefix)) {
      directives.deleteFromPrimitiveList.set(listKeyOf(key, deleteFromPrimitiveListPrefix),
        parseDirectiveList(value, 'invalid patch format of primitive list'));
    } else {
      throw new PatchError('API_PATCH_ERR_MALFORMED',
        `unknown strategic merge patch directive ${JSON.stringify(key)}`);
    }
  }
  return directives;
}

function isDeclaredField(schema: SchemaNode | undefined, key: string): boolean {
  return schema?.kind === 'object' && Object.prototype.hasOwnProperty.call(schema.fields, key);
}

function parseMarker(value: JSONValue, patch: JSONObject): Directives['marker'] {
  if (value === 'replace' || value === 'delete' || value === 'merge') return value;
  throw new PatchError('API_PATCH_ERR_MALFORMED',
    `unknown patch type: ${describeJSON(value)} in map: ${describeJSON(patch)}`);
}

function parseRetainKeys(value: JSONValue): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new PatchError('API_PATCH_ERR_MALFORMED', 'invalid patch format of retainKeys');
  }
  return value;
}

/** Returns the list field a `$prefix/<field>` directive names (upstream extractKey). */
function listKeyOf(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    throw new PatchError('API_PATCH_ERR_MALFORMED',
      prefix === setElementOrderPrefix
        ? 'invalid patch format of setElementOrder list'
        : 'invalid patch format of primitive list');
  }
  return key.slice(slash + 1);
}

function parseDirectiveList(value: JSONValue, message: string): JSONValue[] {
  if (!Array.isArray(value)) throw new PatchError('API_PATCH_ERR_MALFORMED', message);
  return value;
}

/** Every field the patch sets (not to null) MUST be listed in `$retainKeys` (upstream). */
function checkRetainKeys(patch: JSONObject, directives: Directives): void {
  const retained = new Set(directives.retainKeys);
  for (const key of directives.fields) {
    if (patch[key] !== null && !retained.has(key)) {
      throw new PatchError('API_PATCH_ERR_MALFORMED', 'invalid patch format of retainKeys');
    }
  }
}

/** Copies the lists that `$setElementOrder` will reorder, as they were before the merge. */
function snapshotLists(
  original: JSONObject, orders: ReadonlyMap<string, JSONValue[]>,
): Map<string, JSONValue[]> {
  const lists = new Map<string, JSONValue[]>();
  for (const key of orders.keys()) {
    const list = getField(original, key);
    if (Array.isArray(list)) lists.set(key, [...list]);
  }
  return lists;
}

/**
 * Merges two lists: element-wise by merge key, as a set of primitives, or (any other
 * strategy, or no schema) by replacing the original with the patch list.
 */
function mergeList(
  original: JSONValue[], patch: JSONValue[], schema: SchemaNode | undefined, depth: number,
): JSONValue[] {
  const itemSchema = schema?.kind === 'list' ? schema.items : undefined;
  if (schema?.kind !== 'list' || schema.patchStrategy !== 'merge') {
    return insertAll(patch, itemSchema, depth);
  }
  if (schema.mergeKey === undefined) return mergePrimitiveSet(original, patch);
  return mergeKeyedList(original, patch, { list: schema, mergeKey: schema.mergeKey, depth });
}

/** Returns the patch list as a new value: its maps merged onto nothing (directives applied). */
function insertAll(
  patch: readonly JSONValue[], itemSchema: SchemaNode | undefined, depth: number,
): JSONValue[] {
  const result: JSONValue[] = [];
  for (const item of patch) {
    const inserted = mergeValue(undefined, item, itemSchema, depth + 1);
    if (inserted !== undefined) result.push(inserted);
  }
  return result;
}

/** Merges two lists of primitives as sets (finalizers), ordered as upstream orders them. */
function mergePrimitiveSet(
  original: readonly JSONValue[], patch: readonly JSONValue[],
): JSONValue[] {
  for (const item of [...original, ...patch]) {
    if (typeof item === 'object' && item !== null) {
      throw new PatchError('API_PATCH_ERR_NOT_APPLICABLE',
        `cannot merge lists without merge key: element ${describeJSON(item)} is not a primitive`);
    }
  }
  const merged = [...new Set([...original, ...patch])];
  const identity: ItemKey = (item) => item;
  return orderMergedList(merged, { patchOrder: patch, serverOrder: original }, identity);
}

interface KeyedListContext {
  readonly list: ListSchema;
  readonly mergeKey: string;
  readonly depth: number;
}

/** Merges a list of maps element by element on the merge key (mergeSlice upstream). */
function mergeKeyedList(
  original: JSONValue[], patch: readonly JSONValue[], context: KeyedListContext,
): JSONValue[] {
  const { mergeKey } = context;
  const special = splitSpecialElements(patch, mergeKey);
  if (special.replace) return insertAll(special.items, context.list.items, context.depth);
  const keyOf = mergeKeyOf(mergeKey);
  const kept = original.filter((item) => !special.deletedKeys.some((key) => keyOf(item) === key));
  const serverOrder = kept.map(keyOf).filter((key) => key !== undefined);
  for (const item of special.items) {
    const key = requireMergeKey(item, mergeKey);
    const index = kept.findIndex((existing) => keyOf(existing) === key);
    const existing = index < 0 ? undefined : kept[index];
    const merged = mergeValue(existing, item, context.list.items, context.depth + 1);
    assert(merged !== undefined, 'mergeKeyedList: delete elements were split off');
    if (index < 0) kept.push(merged);
    else kept[index] = merged;
  }
  const patchOrder = special.items.map(keyOf).filter((key) => key !== undefined);
  return orderMergedList(kept, { patchOrder, serverOrder }, keyOf);
}

/** Returns the function reading an element's merge key value (undefined: none). */
function mergeKeyOf(mergeKey: string): ItemKey {
  return (item) => (isJSONObject(item) ? getField(item, mergeKey) : undefined);
}

function requireMergeKey(item: JSONValue, mergeKey: string): JSONValue {
  const key = isJSONObject(item) ? getField(item, mergeKey) : undefined;
  if (key === undefined) {
    throw new PatchError('API_PATCH_ERR_MALFORMED',
      `map: ${describeJSON(item)} does not contain declared merge key: ${mergeKey}`);
  }
  return key;
}

/** Splits `$patch` elements off a keyed patch list (mergeSliceWithSpecialElements upstream). */
function splitSpecialElements(
  patch: readonly JSONValue[], mergeKey: string,
): { items: JSONValue[]; deletedKeys: JSONValue[]; replace: boolean } {
  const split = { items: [] as JSONValue[], deletedKeys: [] as JSONValue[], replace: false };
  for (const item of patch) {
    if (!isJSONObject(item)) {
      throw new PatchError('API_PATCH_ERR_NOT_APPLICABLE',
        `expected a map in a list merged on ${mergeKey}, but received ${describeJSON(item)}`);
    }
    const marker = getField(item, directiveMarker);
    if (marker === undefined) split.items.push(item);
    else if (marker === 'delete') split.deletedKeys.push(requireMergeKey(item, mergeKey));
    else if (marker === 'replace') split.replace = true;
    else if (marker === 'merge') {
      throw new PatchError('API_PATCH_ERR_MALFORMED',
        'merging lists cannot yet be specified in the patch');
    } else {
      throw new PatchError('API_PATCH_ERR_MALFORMED',
        `unknown patch type: ${describeJSON(marker)} in map: ${describeJSON(item)}`);
    }
  }
  return split;
}

interface ElementOrder {
  readonly key: string;
  readonly order: readonly JSONValue[];
  readonly patch: JSONObject;
  readonly serverList: readonly JSONValue[] | undefined;
}

/**
 * Reorders the merged list `key` by its `$setElementOrder` list (mergePatchIntoOriginal
 * upstream): listed items in that order, the others where the server had them. Lists that
 * are not merged (replace strategy, no schema) are replaced whole, so the order is ignored.
 */
function applyElementOrder(
  result: JSONObject, order: ElementOrder, schema: SchemaNode | undefined,
): void {
  const list = fieldSchema(schema, order.key);
  const merged = getField(result, order.key);
  if (list?.kind !== 'list' || list.patchStrategy !== 'merge' || !Array.isArray(merged)) return;
  const keyOf: ItemKey = list.mergeKey === undefined ? (item) => item : mergeKeyOf(list.mergeKey);
  const wanted = list.mergeKey === undefined
    ? [...order.order]
    : order.order.map((entry) => requireMergeKey(entry, list.mergeKey!));
  const patchList = getField(order.patch, order.key);
  if (Array.isArray(patchList)) checkOrderConsistent(patchList, wanted, keyOf);
  const serverOrder = (order.serverList ?? []).map(keyOf).filter((key) => key !== undefined);
  setField(result, order.key, orderMergedList(merged, { patchOrder: wanted, serverOrder }, keyOf));
}

/**
 * The non-directive items of the patch list MUST appear in `$setElementOrder` in the same
 * relative order (validatePatchWithSetOrderList upstream).
 */
function checkOrderConsistent(
  patchList: readonly JSONValue[], wanted: readonly JSONValue[], keyOf: ItemKey,
): void {
  const items = patchList.filter((item) => !isJSONObject(item) || !hasField(item, directiveMarker));
  let wantedIndex = 0;
  for (const item of items) {
    const key = keyOf(item);
    while (wantedIndex < wanted.length && wanted[wantedIndex] !== key) wantedIndex += 1;
    if (wantedIndex >= wanted.length) {
      throw new PatchError('API_PATCH_ERR_MALFORMED', `The order in patch list: `
        + `${describeJSON(patchList)} doesn't match ${setElementOrderPrefix} list: `
        + `${describeJSON(wanted)}`);
    }
    wantedIndex += 1;
  }
}
