/**
 * @module api/patch/list-order
 * The element order of a merged list, as k8s.io/apimachinery/pkg/util/strategicpatch orders
 * it (normalizeElementOrder and mergeSortedSlice): the items named by the patch (or by
 * `$setElementOrder`) come in that order, the items only the server had keep their relative
 * order, and the two runs are interleaved using the server's original positions. Shared by
 * strategic merge patch and the ownership-free server-side apply.
 *
 * Contract: pure; returns a new array and never mutates its arguments.
 */
import type { JSONValue } from '../../resources/types.js';
import { assert } from '../../util/assert.js';

/** ItemKey returns the identity of a list item: its merge key value, or the item itself. */
export type ItemKey = (item: JSONValue) => JSONValue | undefined;

/**
 * Orders `merged` the way upstream's normalizeElementOrder does. `patchOrder` lists the keys
 * in their wanted order (the patch list, or `$setElementOrder`), `serverOrder` the keys of the
 * list as it was before the merge.
 */
export function orderMergedList(
  merged: readonly JSONValue[],
  order: { readonly patchOrder: readonly JSONValue[]; readonly serverOrder: readonly JSONValue[] },
  keyOf: ItemKey,
): JSONValue[] {
  const patchIndex = firstIndexes(order.patchOrder);
  const serverIndex = firstIndexes(order.serverOrder);
  const patchItems: Array<{ item: JSONValue; rank: number }> = [];
  const serverOnly: JSONValue[] = [];
  for (const item of merged) {
    const rank = rankOf(patchIndex, keyOf(item));
    if (rank === undefined) serverOnly.push(item);
    else patchItems.push({ item, rank });
  }
  // NB: Array.prototype.sort is stable, as Go's sort.SliceStable upstream.
  patchItems.sort((left, right) => left.rank - right.rank);
  const result = interleave(serverOnly, patchItems.map((entry) => entry.item), {
    serverIndex, keyOf,
  });
  assert(result.length === merged.length, 'orderMergedList: no item lost or duplicated');
  return result;
}

function firstIndexes(keys: readonly JSONValue[]): Map<JSONValue, number> {
  const indexes = new Map<JSONValue, number>();
  keys.forEach((key, index) => {
    if (!indexes.has(key)) indexes.set(key, index);
  });
  return indexes;
}

function rankOf(indexes: Map<JSONValue, number>, key: JSONValue | undefined): number | undefined {
  return key === undefined ? undefined : indexes.get(key);
}

/**
 * Merges the server-only run (`left`) into the patch run (`right`) as mergeSortedSlice does:
 * a server item goes first only when both items were in the server list and it came first.
 */
function interleave(
  left: readonly JSONValue[],
  right: readonly JSONValue[],
  context: { readonly serverIndex: Map<JSONValue, number>; readonly keyOf: ItemKey },
): JSONValue[] {
  const result: JSONValue[] = [];
  let leftIndex = 0;
  let rightIndex = 0;
  while (leftIndex < left.length || rightIndex < right.length) {
    if (leftIndex >= left.length) {
      result.push(right[rightIndex++]!);
      continue;
    }
    if (rightIndex >= right.length) {
      result.push(left[leftIndex++]!);
      continue;
    }
    const leftRank = rankOf(context.serverIndex, context.keyOf(left[leftIndex]!));
    const rightRank = rankOf(context.serverIndex, context.keyOf(right[rightIndex]!));
    const leftFirst = leftRank !== undefined && rightRank !== undefined && leftRank < rightRank;
    result.push(leftFirst ? left[leftIndex++]! : right[rightIndex++]!);
  }
  return result;
}
