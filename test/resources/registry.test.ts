/**
 * Goal: the registry serves the fourteen kinds with upstream's discovery data (resource
 * names, short names, categories, verbs, subresources, scope), in discovery order, with a
 * schema for each and a table row as wide as its columns. Method: one table row per kind
 * compared with what kube-apiserver 1.32 advertises, plus lookups and invariants over all.
 */
import { describe, expect, it } from 'vitest';
import {
  findByAPIVersionKind, findByKind, findByResource, groupVersions, resourceDefinitions,
} from '../../src/resources/registry.js';
import type { KubeObject } from '../../src/resources/types.js';

describe('registry', () => {
  it.each([
    ['', 'v1', 'pods', 'Pod', true, ['po'], ['all'], ['binding', 'eviction', 'log', 'status']],
    ['', 'v1', 'services', 'Service', true, ['svc'], ['all'], ['status']],
    ['', 'v1', 'nodes', 'Node', false, ['no'], [], ['status']],
    ['', 'v1', 'namespaces', 'Namespace', false, ['ns'], [], ['status']],
    ['', 'v1', 'endpoints', 'Endpoints', true, ['ep'], [], []],
    ['', 'v1', 'configmaps', 'ConfigMap', true, ['cm'], [], []],
    ['', 'v1', 'secrets', 'Secret', true, [], [], []],
    ['', 'v1', 'events', 'Event', true, ['ev'], [], []],
    ['', 'v1', 'serviceaccounts', 'ServiceAccount', true, ['sa'], [], []],
    ['', 'v1', 'replicationcontrollers', 'ReplicationController', true, ['rc'], ['all'],
      ['scale', 'status']],
    ['apps', 'v1', 'deployments', 'Deployment', true, ['deploy'], ['all'], ['scale', 'status']],
    ['apps', 'v1', 'replicasets', 'ReplicaSet', true, ['rs'], ['all'], ['scale', 'status']],
    ['autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, ['hpa'],
      ['all'], ['status']],
    ['coordination.k8s.io', 'v1', 'leases', 'Lease', true, [], [], []],
  ])('%s/%s %s', (group, version, resource, kind, namespaced, shortNames, categories, subs) => {
    const definition = findByResource(group, version, resource);
    expect(definition?.kind).toBe(kind);
    expect(findByKind(group, kind)).toBe(definition);
    expect(definition?.namespaced).toBe(namespaced);
    expect(definition?.shortNames).toEqual(shortNames);
    expect(definition?.categories).toEqual(categories);
    expect(definition?.subresources.map((sub) => sub.name).sort()).toEqual(subs);
    expect(definition?.schema.kind).toBe('object');
  });

  it('describes eviction and scale with their own group/version/kind', () => {
    const eviction = findByResource('', 'v1', 'pods')?.subresources
      .find((sub) => sub.name === 'eviction');
    expect(eviction).toEqual({ name: 'eviction', group: 'policy', version: 'v1',
      kind: 'Eviction', verbs: ['create'] });
    const scale = findByKind('apps', 'Deployment')?.subresources.find((s) => s.name === 'scale');
    expect(scale).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
  });

  it('lists group versions core first and every definition under one of them', () => {
    expect(groupVersions().map((gv) => gv.group === '' ? gv.version : `${gv.group}/${gv.version}`))
      .toEqual(['v1', 'apps/v1', 'autoscaling/v2', 'autoscaling/v1',
        'coordination.k8s.io/v1', 'policy/v1']);
    for (const definition of resourceDefinitions) {
      expect(groupVersions()).toContainEqual({ group: definition.group,
        version: definition.version });
    }
    expect(findByAPIVersionKind('apps/v1', 'Deployment')?.resource).toBe('deployments');
    expect(findByAPIVersionKind('apps/v1beta1', 'Deployment')).toBeUndefined();
    expect(findByAPIVersionKind('v1', 'Pod')?.resource).toBe('pods');
  });

  it.each(resourceDefinitions.map((definition) => [definition.kind, definition] as const))(
    '%s prints a full row from a bare object and keeps metadata field labels',
    (_kind, definition) => {
      const object: KubeObject = {
        apiVersion: definition.group === '' ? 'v1' : `${definition.group}/${definition.version}`,
        kind: definition.kind,
        metadata: { name: 'x', ...(definition.namespaced ? { namespace: 'default' } : {}) },
      };
      definition.applyDefaults(object, { now: new Date(0) });
      const cells = definition.tableCells(object, new Date(0));
      expect(cells).toHaveLength(definition.columns.length);
      const nameColumn = definition.columns.findIndex((column) => column.format === 'name');
      expect(cells[nameColumn]).toBe('x');
      expect(definition.fieldLabels(object)['metadata.name']).toBe('x');
      expect('metadata.namespace' in definition.fieldLabels(object))
        .toBe(definition.namespaced);
      expect(definition.verbs).toContain('watch');
    });
});
