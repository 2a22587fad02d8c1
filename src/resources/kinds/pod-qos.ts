/**
 * @module resources/kinds/pod-qos
 * The QoS class of a pod, as k8s.io/kubernetes pkg/apis/core/helper/qos GetPodQOS computes
 * it when a pod is created: BestEffort when no container requests or limits cpu or memory,
 * Guaranteed when every container limits both cpu and memory and the summed requests equal
 * the summed limits, Burstable otherwise. Only cpu and memory count (hugepages and extended
 * resources do not). Input MUST already carry the pod defaults (requests copied from limits).
 */
import { recordAt, recordsAt } from '../object-access.js';
import type { MutableRecord } from '../object-access.js';
import { compareQuantities, parseQuantity } from '../quantity.js';

/** PodQOSClass is v1.PodQOSClass. */
export type PodQOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const qosResources = ['cpu', 'memory'] as const;

/** Sums the positive cpu/memory quantities of `list` into `totals`; returns the names found. */
function addPositive(list: MutableRecord | undefined, totals: Map<string, number>): Set<string> {
  const found = new Set<string>();
  for (const name of qosResources) {
    const quantity = parseQuantity(list?.[name]);
    if (quantity === undefined || quantity <= 0) continue;
    found.add(name);
    totals.set(name, (totals.get(name) ?? 0) + quantity);
  }
  return found;
}

/** Computes the QoS class of a pod spec (containers and init containers). */
export function podQOSClass(spec: MutableRecord): PodQOSClass {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  const containers = [...recordsAt(spec, 'initContainers'), ...recordsAt(spec, 'containers')];
  for (const container of containers) {
    const resources = recordAt(container, 'resources');
    addPositive(recordAt(resources ?? {}, 'requests'), requests);
    const limitsFound = addPositive(recordAt(resources ?? {}, 'limits'), limits);
    if (!qosResources.every((name) => limitsFound.has(name))) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, request] of requests) {
      const limit = limits.get(name);
      if (limit === undefined || compareQuantities(limit, request) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
