/**
 * @module resources/registry
 * The served kinds, in discovery order (core v1 first, then apps/v1, autoscaling/v2,
 * coordination.k8s.io/v1), and lookups by group/version/resource and by group/kind.
 * The API layer builds its indexes from `resourceDefinitions`; nothing here is mutable.
 */
import type { ResourceDefinition } from './types.js';
import { assert } from '../util/assert.js';
import { namespaceDefinition, nodeDefinition } from './kinds/cluster.js';
import { configMapDefinition, secretDefinition } from './kinds/config.js';
import {
  endpointsDefinition, leaseDefinition, serviceAccountDefinition,
} from './kinds/endpoints.js';
import { eventDefinition } from './kinds/events.js';
import { horizontalPodAutoscalerDefinition } from './kinds/hpa.js';
import { horizontalPodAutoscalerV1Definition } from './kinds/hpa-v1.js';
import { podDefinition } from './kinds/pod.js';
import { serviceDefinition } from './kinds/service.js';
import {
  deploymentDefinition, replicaSetDefinition, replicationControllerDefinition,
} from './kinds/workloads.js';

/** Every served kind, grouped by group/version in discovery order. */
export const resourceDefinitions: readonly ResourceDefinition[] = Object.freeze([
  namespaceDefinition, podDefinition, nodeDefinition, serviceDefinition, endpointsDefinition,
  configMapDefinition, secretDefinition, eventDefinition, serviceAccountDefinition,
  replicationControllerDefinition,
  deploymentDefinition, replicaSetDefinition,
  horizontalPodAutoscalerDefinition, horizontalPodAutoscalerV1Definition,
  leaseDefinition,
]);

/** GroupVersion names one served API group version ('' is the core group). */
export interface GroupVersion {
  readonly group: string;
  readonly version: string;
}

/**
 * The group versions for discovery, preferred order first. policy/v1 serves no resource of
 * its own here; it is listed because pods/eviction answers with a policy/v1 Eviction and
 * kubectl drain looks the group up.
 */
const discoveryOrder: readonly GroupVersion[] = Object.freeze([
  { group: '', version: 'v1' },
  { group: 'apps', version: 'v1' },
  { group: 'autoscaling', version: 'v2' },
  { group: 'autoscaling', version: 'v1' },
  { group: 'coordination.k8s.io', version: 'v1' },
  { group: 'policy', version: 'v1' },
]);

const byResource = new Map<string, ResourceDefinition>();
const byKind = new Map<string, ResourceDefinition>();
for (const definition of resourceDefinitions) {
  const resourceKey = `${definition.group}/${definition.version}/${definition.resource}`;
  const kindKey = `${definition.group}/${definition.kind}`;
  assert(!byResource.has(resourceKey), `resources: ${resourceKey} registered twice`);
  byResource.set(resourceKey, definition);
  // NB: a kind served in a second version is found by kind in its storage version only.
  if (definition.storageVersion !== undefined) continue;
  assert(!byKind.has(kindKey), `resources: kind ${kindKey} registered twice`);
  byKind.set(kindKey, definition);
}

/** Returns the definition served at /api[s]/{group}/{version}/{resource}, if any. */
export function findByResource(
  group: string,
  version: string,
  resource: string,
): ResourceDefinition | undefined {
  return byResource.get(`${group}/${version}/${resource}`);
}

/** Returns the definition of `kind` in `group` ('' for core), if any. */
export function findByKind(group: string, kind: string): ResourceDefinition | undefined {
  return byKind.get(`${group}/${kind}`);
}

/** Returns the definition of an object's `apiVersion` ("v1", "apps/v1") and `kind`. */
export function findByAPIVersionKind(
  apiVersion: string,
  kind: string,
): ResourceDefinition | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const definition = findByKind(group, kind);
  return definition?.version === version ? definition : undefined;
}

/** Returns the group versions in discovery order (core v1 first). */
export function groupVersions(): readonly GroupVersion[] {
  return discoveryOrder;
}
