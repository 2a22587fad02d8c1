/**
 * Goal: the kind schemas accept real manifests, report misspelt fields at the path
 * upstream's strict decoder reports, and carry upstream's strategic-merge-patch strategies.
 * Method: table-driven. Realistic manifests (schema-manifests.ts) must have no unknown
 * fields and no type errors; each typo case edits one manifest and expects exactly one
 * path; the merge-key table looks up the list node at a path and compares its strategy
 * with the patch tags of k8s.io/api v1.32 types.go.
 */
import { describe, expect, it } from 'vitest';
import {
  kindSchema,
  maybeKindSchema,
  schemaKinds,
  typeErrors,
  unknownFields,
} from '../../src/resources/schema/index.js';
import type { ListSchema, ObjectSchema, SchemaNode } from '../../src/resources/types.js';
import { manifest, manifests } from './schema-manifests.js';

/**
 * nodeAt follows a dotted schema path; `[]` steps into list items (`spec.ports[]`), and a
 * trailing segment names the node itself.
 */
function nodeAt(root: SchemaNode, path: string): SchemaNode {
  let node = root;
  for (const segment of path.split('.')) {
    const isItem = segment.endsWith('[]');
    const name = isItem ? segment.slice(0, -2) : segment;
    if (node.kind !== 'object') throw new Error(`${path}: ${name} is not below an object`);
    const field = node.fields[name];
    if (field === undefined) throw new Error(`${path}: no field ${name}`);
    node = field;
    if (isItem) {
      if (node.kind !== 'list') throw new Error(`${path}: ${name} is not a list`);
      node = node.items;
    }
  }
  return node;
}

function listAt(kind: string, path: string): ListSchema {
  const node = nodeAt(kindSchema(kind), path);
  if (node.kind !== 'list') throw new Error(`${kind} ${path} is not a list`);
  return node;
}

/** set writes `value` at a dotted path with `[i]` indexes into a parsed manifest. */
function set(object: Record<string, unknown>, path: string, value: unknown): void {
  const steps = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  const last = steps.pop()!;
  let cursor = object;
  for (const step of steps) cursor = cursor[step] as Record<string, unknown>;
  cursor[last] = value;
}

describe('kindSchema', () => {
  it('knows every served kind and request body', () => {
    expect(schemaKinds).toEqual([
      'Namespace', 'Pod', 'Node', 'Service', 'Endpoints', 'ConfigMap', 'Secret', 'Event',
      'ServiceAccount', 'ReplicationController', 'Deployment', 'ReplicaSet', 'Lease',
      'HorizontalPodAutoscaler', 'Scale', 'Binding', 'Eviction', 'DeleteOptions',
    ]);
  });

  it.each(schemaKinds.filter((kind) => kind !== 'DeleteOptions'))(
    '%s is a whole object with apiVersion, kind and ObjectMeta',
    (kind) => {
      const schema = kindSchema(kind);
      expect(Object.keys(schema.fields).slice(0, 3)).toEqual(['apiVersion', 'kind', 'metadata']);
      expect(schema.fields['metadata']).toBe(kindSchema('Pod').fields['metadata']);
      expect(schema.preserveUnknownFields).toBeUndefined();
    },
  );

  it('throws a clear error for an unknown kind, maybeKindSchema returns undefined', () => {
    expect(() => kindSchema('Ingress')).toThrow(/no schema for kind "Ingress"; known kinds: /);
    expect(maybeKindSchema('Ingress')).toBeUndefined();
    expect(maybeKindSchema('Pod')).toBe(kindSchema('Pod'));
  });

  it('shares sub-schemas: one PodTemplateSpec, one Container', () => {
    const template = nodeAt(kindSchema('Deployment'), 'spec.template');
    expect(nodeAt(kindSchema('ReplicaSet'), 'spec.template')).toBe(template);
    expect(nodeAt(kindSchema('ReplicationController'), 'spec.template')).toBe(template);
    expect(nodeAt(kindSchema('Pod'), 'spec.containers[]'))
      .toBe(nodeAt(kindSchema('Pod'), 'spec.initContainers[]'));
  });
});

describe('real manifests have no unknown fields and no type errors', () => {
  it.each(Object.keys(manifests))('%s', (kind) => {
    const value = manifest(kind);
    expect(value['kind']).toBe(kind);
    expect(unknownFields(value, kindSchema(kind))).toEqual([]);
    expect(typeErrors(value, kindSchema(kind))).toEqual([]);
  });
});

const typoCases: readonly (readonly [kind: string, path: string])[] = [
  ['Deployment', 'metadata.labelz'],
  ['Deployment', 'spec.replicaz'],
  ['Deployment', 'spec.template.spec.containers[0].imagee'],
  ['Deployment', 'spec.template.spec.containers[1].readinessProbe.grpc.serviceName'],
  ['Deployment', 'spec.template.spec.containers[0].env[1].valueFrom.fieldRef.path'],
  ['Deployment', 'spec.template.spec.containers[0].resources.request'],
  ['Deployment', 'spec.template.spec.containers[0].livenessProbe.httpGet.headers'],
  ['Deployment', 'spec.template.spec.volumes[0].emptyDir.size'],
  ['Deployment', 'spec.template.spec.volumes[5].projected.sources[0].serviceAccountToken.ttl'],
  ['Deployment', 'spec.template.spec.affinity.podAntiAffinity.requiredDuringScheduling'],
  ['Deployment', 'spec.template.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchLabels'],
  ['Deployment', 'spec.template.spec.tolerations[0].seconds'],
  ['Deployment', 'spec.template.metadata.label'],
  ['Deployment', 'spec.strategy.rollingUpdate.maxSurges'],
  ['Deployment', 'status.conditions[0].lastProbeTime'],
  ['Deployment', 'metadata.ownerReferences[0].controlled'],
  ['Pod', 'spec.ephemeralContainers[0].target'],
  ['Pod', 'status.containerStatuses[0].state.running.started'],
  ['Service', 'spec.ports[0].containerPort'],
  ['Service', 'status.loadBalancer.ingress[0].ports[0].code'],
  ['Namespace', 'status.phaze'],
  ['ConfigMap', 'stringData'],
  ['Secret', 'spec'],
  ['HorizontalPodAutoscaler', 'spec.metrics[0].resource.target.utilization'],
  ['HorizontalPodAutoscaler', 'spec.targetCPUUtilizationPercentage'],
  ['Lease', 'spec.holder'],
  ['Event', 'involvedObject.path'],
  ['Node', 'status.daemonEndpoints.kubeletEndpoint.port'],
  ['Node', 'status.nodeInfo.os'],
  ['Eviction', 'deleteOptions.grace'],
];

describe('a misspelt field is reported at its path', () => {
  it.each(typoCases)('%s %s', (kind, path) => {
    const value = manifest(kind);
    set(value, path, 'x');
    expect(unknownFields(value, kindSchema(kind))).toEqual([path]);
  });

  it('reports several typos in document order', () => {
    const value = manifest('Deployment');
    set(value, 'spec.template.spec.containers[1].imagee', 'x');
    set(value, 'metadata.labelz', {});
    set(value, 'spec.template.spec.containers[0].portz', []);
    set(value, 'zzz', 1);
    expect(unknownFields(value, kindSchema('Deployment'))).toEqual([
      'metadata.labelz',
      'spec.template.spec.containers[0].portz',
      'spec.template.spec.containers[1].imagee',
      'zzz',
    ]);
  });
});

/** [kind, list path, patchStrategy, mergeKey, retainKeys] as in k8s.io/api v1.32. */
const strategyCases: readonly (readonly [string, string, string, string?, boolean?])[] = [
  ['Deployment', 'spec.template.spec.containers', 'merge', 'name'],
  ['Deployment', 'spec.template.spec.initContainers', 'merge', 'name'],
  ['Pod', 'spec.ephemeralContainers', 'merge', 'name'],
  ['Pod', 'spec.containers[].ports', 'merge', 'containerPort'],
  ['Pod', 'spec.containers[].env', 'merge', 'name'],
  ['Pod', 'spec.containers[].volumeMounts', 'merge', 'mountPath'],
  ['Pod', 'spec.containers[].volumeDevices', 'merge', 'devicePath'],
  ['Pod', 'spec.volumes', 'merge', 'name', true],
  ['Pod', 'spec.resourceClaims', 'merge', 'name', true],
  ['Pod', 'spec.imagePullSecrets', 'merge', 'name'],
  ['Pod', 'spec.hostAliases', 'merge', 'ip'],
  ['Pod', 'spec.topologySpreadConstraints', 'merge', 'topologyKey'],
  ['Pod', 'spec.schedulingGates', 'merge', 'name'],
  ['Pod', 'status.conditions', 'merge', 'type'],
  ['Pod', 'status.podIPs', 'merge', 'ip'],
  ['Service', 'spec.ports', 'merge', 'port'],
  ['Service', 'status.conditions', 'merge', 'type'],
  ['Deployment', 'metadata.ownerReferences', 'merge', 'uid'],
  ['Deployment', 'metadata.finalizers', 'merge'],
  ['Deployment', 'status.conditions', 'merge', 'type'],
  ['ReplicaSet', 'status.conditions', 'merge', 'type'],
  ['Node', 'status.conditions', 'merge', 'type'],
  ['Node', 'status.addresses', 'merge', 'type'],
  ['Node', 'spec.podCIDRs', 'merge'],
  ['Namespace', 'status.conditions', 'merge', 'type'],
  ['HorizontalPodAutoscaler', 'status.conditions', 'merge', 'type'],
  ['ServiceAccount', 'secrets', 'merge', 'name'],
  ['Pod', 'spec.tolerations', 'replace'],
  ['Pod', 'spec.containers[].args', 'replace'],
  ['Pod', 'spec.containers[].command', 'replace'],
  ['Pod', 'spec.containers[].envFrom', 'replace'],
  ['Pod', 'spec.readinessGates', 'replace'],
  ['Node', 'spec.taints', 'replace'],
  ['Endpoints', 'subsets', 'replace'],
  ['HorizontalPodAutoscaler', 'spec.metrics', 'replace'],
  ['Deployment', 'metadata.managedFields', 'replace'],
  ['Deployment', 'spec.selector.matchExpressions', 'replace'],
];

describe('list strategies match upstream patch tags', () => {
  const cases = strategyCases.map(([kind, path, strategy, mergeKey, retainKeys]) => (
    { kind, path, strategy, mergeKey, retainKeys }
  ));
  it.each(cases)('$kind $path: $strategy $mergeKey', (testCase) => {
    const { kind, path, strategy, mergeKey, retainKeys } = testCase;
    const list = listAt(kind, path);
    expect(list.patchStrategy ?? 'replace').toBe(strategy);
    expect(list.mergeKey).toBe(mergeKey);
    expect(list.retainKeys).toBe(retainKeys);
  });

  it('marks Deployment spec.strategy retainKeys, and no other struct on the way', () => {
    const strategy = nodeAt(kindSchema('Deployment'), 'spec.strategy') as ObjectSchema;
    expect(strategy.retainKeys).toBe(true);
    expect((nodeAt(kindSchema('Deployment'), 'spec') as ObjectSchema).retainKeys).toBeUndefined();
    expect((nodeAt(kindSchema('Deployment'), 'spec.template.spec') as ObjectSchema).retainKeys)
      .toBeUndefined();
  });
});

/** [kind, path, scalar type]: the special scalar types of upstream fields. */
const scalarCases: readonly (readonly [string, string, string])[] = [
  ['Service', 'spec.ports[].targetPort', 'int-or-string'],
  ['Deployment', 'spec.strategy.rollingUpdate.maxSurge', 'int-or-string'],
  ['Deployment', 'spec.strategy.rollingUpdate.maxUnavailable', 'int-or-string'],
  ['Pod', 'spec.containers[].livenessProbe.httpGet.port', 'int-or-string'],
  ['Pod', 'spec.containers[].readinessProbe.tcpSocket.port', 'int-or-string'],
  ['Pod', 'spec.containers[].startupProbe.grpc.port', 'integer'],
  ['Pod', 'spec.volumes[].emptyDir.sizeLimit', 'quantity'],
  ['Pod', 'metadata.creationTimestamp', 'string'],
  ['Pod', 'spec.hostNetwork', 'boolean'],
  ['HorizontalPodAutoscaler', 'spec.metrics[].resource.target.averageValue', 'quantity'],
];

describe('scalar types', () => {
  it.each(scalarCases)('%s %s is %s', (kind, path, type) => {
    const node = nodeAt(kindSchema(kind), path);
    expect(node).toEqual({ kind: 'scalar', type });
  });

  it('resource lists are maps of quantities', () => {
    for (const path of ['spec.containers[].resources.limits', 'spec.overhead']) {
      expect(nodeAt(kindSchema('Pod'), path)).toEqual({
        kind: 'map', values: { kind: 'scalar', type: 'quantity' },
      });
    }
    expect(nodeAt(kindSchema('Node'), 'status.capacity')).toEqual({
      kind: 'map', values: { kind: 'scalar', type: 'quantity' },
    });
  });
});
