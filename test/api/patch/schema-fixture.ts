/**
 * A small structural schema of a Deployment and a Pod for the patch tests: just the fields
 * the upstream strategic merge cases touch, with k8s.io/api's patch strategies and merge keys.
 */
import type { ListSchema, ObjectSchema, SchemaNode } from '../../../src/resources/types.js';

const string: SchemaNode = { kind: 'scalar', type: 'string' };
const integer: SchemaNode = { kind: 'scalar', type: 'integer' };
const stringMap: SchemaNode = { kind: 'map', values: string };

function object(fields: Record<string, SchemaNode>, retainKeys = false): ObjectSchema {
  return retainKeys ? { kind: 'object', fields, retainKeys } : { kind: 'object', fields };
}

function mergeList(items: SchemaNode, mergeKey?: string): ListSchema {
  return mergeKey === undefined
    ? { kind: 'list', items, patchStrategy: 'merge' }
    : { kind: 'list', items, patchStrategy: 'merge', mergeKey };
}

const container = object({
  name: string,
  image: string,
  args: { kind: 'list', items: string },
  ports: mergeList(object({ containerPort: integer, protocol: string, name: string }),
    'containerPort'),
  env: mergeList(object({ name: string, value: string }), 'name'),
  volumeMounts: mergeList(object({ name: string, mountPath: string }), 'mountPath'),
});

const volume = object({
  name: string,
  emptyDir: object({ medium: string }),
  hostPath: object({ path: string }),
  configMap: object({ name: string }),
}, true);

/** podSpecSchema is the PodSpec subset. */
export const podSpecSchema = object({
  containers: mergeList(container, 'name'),
  initContainers: mergeList(container, 'name'),
  volumes: { kind: 'list', items: volume, patchStrategy: 'merge', mergeKey: 'name',
    retainKeys: true },
  tolerations: { kind: 'list', items: object({ key: string, operator: string }) },
  nodeName: string,
});

const metadata = object({
  name: string,
  labels: stringMap,
  annotations: stringMap,
  finalizers: mergeList(string),
  ownerReferences: mergeList(object({ uid: string, name: string }), 'uid'),
});

/** deploymentSchema is the Deployment subset. */
export const deploymentSchema: ObjectSchema = object({
  apiVersion: string,
  kind: string,
  metadata,
  spec: object({
    replicas: integer,
    strategy: object({
      type: string,
      rollingUpdate: object({ maxSurge: string, maxUnavailable: string }),
    }, true),
    template: object({ metadata, spec: podSpecSchema }),
  }),
  status: object({
    conditions: mergeList(object({ type: string, status: string }), 'type'),
  }),
});
