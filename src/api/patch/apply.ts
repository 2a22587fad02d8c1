/**
 * @module api/patch/apply
 * Server-side apply (`application/apply-patch+yaml`, `kubectl apply --server-side`) WITHOUT
 * field ownership: the applied configuration is merged into the live object by the schema,
 * the way structured-merge-diff merges two objects: maps merge key by key, lists with
 * `patchStrategy: 'merge'` and a `mergeKey` (SSA's `listType=map`) merge element by element
 * on the key, lists of primitives with 'merge' (`listType=set`) merge as sets, every other
 * list and every scalar in the applied configuration replaces the live one, and fields only
 * the live object has stay. Where the schema has no node, maps merge and lists replace.
 *
 * Out of scope (documented limits): `metadata.managedFields`, field managers, conflicts and
 * `force`. Without ownership a field that an earlier apply set and this one omits cannot be
 * told apart from a field another writer set, so it is kept, never removed. A `null` in the
 * applied configuration means "not specified" and leaves the live value alone. Keys starting
 * with `$` have no meaning here (apply has no directives) and are ordinary fields.
 *
 * Contract: pure. The inputs are never mutated and the result shares nothing with them.
 */
import type { JSONObject, JSONValue, ListSchema, SchemaNode } from '../../resources/types.js';
import { assert } from '../../util/assert.js';
import { PatchError } from './errors.js';
import {
  checkNestingDepth, cloneJSON, describeJSON, getField, isJSONObject, setField,
} from './json-value.js';
import { patchNestingDepthMax } from './limits.js';
import { orderMergedList, type ItemKey } from './list-order.js';

/**
 * Returns the object that results from applying the configuration `applied` to `live`
 * (undefined: the object does not exist yet, so the configuration becomes the object).
 * Throws PatchError `API_PATCH_ERR_NOT_APPLICABLE` (422) when an item of a keyed list lacks
 * its key, and `API_PATCH_ERR_LIMIT` (422) for nesting deeper than `patchNestingDepthMax`.
 */
export function applyConfiguration(
  live: JSONObject | undefined, applied: JSONObject, schema: SchemaNode | undefined,
): JSONObject {
  checkNestingDepth(applied, 'the applied configuration');
  if (live !== undefined) checkNestingDepth(live, 'the object');
  const working = live === undefined ? {} : cloneJSON(live);
  const result = mergeObject(working, cloneJSON(applied), schema, 1);
  assert(isJSONObject(result), 'applyConfiguration: the result is an object');
  return result;
}

/** Merges the applied map into the live map (owned working copies, mutated). */
function mergeObject(
  live: JSONObject, applied: JSONObject, schema: SchemaNode | undefined, depth: number,
): JSONObject {
  assert(depth <= patchNestingDepthMax + 1, 'mergeObject: depth bounded by the input check');
  for (const key of Object.keys(applied)) {
    const value = applied[key]!;
    if (value === null) continue;
    setField(live, key, mergeValue(getField(live, key), value, childSchema(schema, key), depth));
  }
  return live;
}

function mergeValue(
  live: JSONValue | undefined, applied: JSONValue, schema: SchemaNode | undefined,
  depth: number,
): JSONValue {
  if (isJSONObject(applied)) {
    return mergeObject(isJSONObject(live) ? live : {}, applied, schema, depth + 1);
  }
  if (Array.isArray(applied)) {
    return mergeList(Array.isArray(live) ? live : [], applied, schema, depth + 1);
  }
  return applied;
}

function childSchema(schema: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (schema?.kind === 'map') return schema.values;
  if (schema?.kind !== 'object') return undefined;
  return Object.prototype.hasOwnProperty.call(schema.fields, key) ? schema.fields[key] : undefined;
}

function mergeList(
  live: JSONValue[], applied: readonly JSONValue[], schema: SchemaNode | undefined,
  depth: number,
): JSONValue[] {
  const itemSchema = schema?.kind === 'list' ? schema.items : undefined;
  if (schema?.kind !== 'list' || schema.patchStrategy !== 'merge') {
    // NB: nulls inside replaced items are dropped too, so merge each onto nothing.
    return applied.map((item) => (item === null ? null
      : mergeValue(undefined, item, itemSchema, depth)));
  }
  if (schema.mergeKey === undefined) {
    const merged = [...new Set([...live, ...applied])];
    return orderMergedList(merged, { patchOrder: applied, serverOrder: live }, (item) => item);
  }
  return mergeKeyedList(live, applied, { list: schema, mergeKey: schema.mergeKey, depth });
}

function mergeKeyedList(
  live: JSONValue[], applied: readonly JSONValue[],
  context: { readonly list: ListSchema; readonly mergeKey: string; readonly depth: number },
): JSONValue[] {
  const keyOf: ItemKey = (item) =>
    (isJSONObject(item) ? getField(item, context.mergeKey) : undefined);
  const serverOrder = live.map(keyOf).filter((key) => key !== undefined);
  const patchOrder: JSONValue[] = [];
  for (const item of applied) {
    const key = keyOf(item);
    if (key === undefined || key === null) {
      throw new PatchError('API_PATCH_ERR_NOT_APPLICABLE',
        `map: ${describeJSON(item)} does not contain declared merge key: ${context.mergeKey}`);
    }
    patchOrder.push(key);
    const index = live.findIndex((existing) => keyOf(existing) === key);
    const merged = mergeValue(index < 0 ? undefined : live[index], item, context.list.items,
      context.depth);
    if (index < 0) live.push(merged);
    else live[index] = merged;
  }
  return orderMergedList(live, { patchOrder, serverOrder }, keyOf);
}
