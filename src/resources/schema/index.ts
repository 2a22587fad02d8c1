/**
 * @module resources/schema
 * The structural schemas of the Kubernetes kinds Coracle serves (whole objects: apiVersion,
 * kind, metadata and every field of k8s.io/api v1.32), and the strict-field checker used
 * for `fieldValidation=Strict`. `kindSchema(kind)` is the entry point; the schemas carry
 * the strategic-merge-patch list strategies, merge keys and retainKeys markers.
 */
import type { ObjectSchema } from '../types.js';
import { deploymentSchema, replicaSetSchema } from './apps.js';
import {
  evictionSchema,
  horizontalPodAutoscalerSchema,
  leaseSchema,
  scaleSchema,
} from './autoscaling.js';
import {
  bindingSchema,
  configMapSchema,
  endpointsSchema,
  eventSchema,
  namespaceSchema,
  nodeSchema,
  podSchema,
  replicationControllerSchema,
  secretSchema,
  serviceAccountSchema,
  serviceSchema,
} from './core.js';
import { deleteOptionsSchema } from './meta.js';

export { goTypeName } from './builders.js';
export { SchemaDepthError, typeErrors, unknownFields } from './strict.js';
export type { SchemaTypeError } from './strict.js';
export {
  labelSelectorSchema,
  objectMetaSchema,
  ownerReferenceSchema,
} from './meta.js';
export { containerSchema } from './container.js';
export { podSpecSchema, podTemplateSpecSchema } from './pod.js';

/** The schema of each kind, by its `kind` name (request-only kinds included). */
const schemasByKind: ReadonlyMap<string, ObjectSchema> = new Map([
  ['Namespace', namespaceSchema],
  ['Pod', podSchema],
  ['Node', nodeSchema],
  ['Service', serviceSchema],
  ['Endpoints', endpointsSchema],
  ['ConfigMap', configMapSchema],
  ['Secret', secretSchema],
  ['Event', eventSchema],
  ['ServiceAccount', serviceAccountSchema],
  ['ReplicationController', replicationControllerSchema],
  ['Deployment', deploymentSchema],
  ['ReplicaSet', replicaSetSchema],
  ['Lease', leaseSchema],
  ['HorizontalPodAutoscaler', horizontalPodAutoscalerSchema],
  ['Scale', scaleSchema],
  ['Binding', bindingSchema],
  ['Eviction', evictionSchema],
  ['DeleteOptions', deleteOptionsSchema],
]);

/** schemaKinds lists every kind `kindSchema` knows, in a stable order. */
export const schemaKinds: readonly string[] = [...schemasByKind.keys()];

/**
 * maybeKindSchema returns the whole-object schema of `kind` (e.g. "Deployment"), or
 * undefined when the kind is not one Coracle serves.
 */
export function maybeKindSchema(kind: string): ObjectSchema | undefined {
  return schemasByKind.get(kind);
}

/**
 * kindSchema returns the whole-object schema of `kind`. Throws an Error naming the known
 * kinds when `kind` is unknown (a programmer error: callers register only served kinds).
 */
export function kindSchema(kind: string): ObjectSchema {
  const schema = schemasByKind.get(kind);
  if (schema === undefined) {
    throw new Error(`no schema for kind "${kind}"; known kinds: ${schemaKinds.join(', ')}`);
  }
  return schema;
}
