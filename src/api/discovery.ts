/**
 * @module api/discovery
 * Discovery documents (kubectl-api.md §2): aggregated discovery (apidiscovery.k8s.io/v2) on
 * `/api` and `/apis` when the client asks for it, the legacy APIVersions/APIGroupList
 * otherwise, and the legacy per-group/version APIResourceList (`/api/v1`, `/apis/apps/v1`),
 * which `kubectl drain` reads directly to find `pods/eviction`. Also `/version` and the
 * minimal OpenAPI v3 that turns on server-side field validation in kubectl (§3).
 */
import type { ResourceDefinition } from '../resources/types.js';
import { apiVersionOf, type Registry } from './registry-index.js';
import { parseMediaTypes } from './request.js';

/** The media type of an aggregated discovery answer. */
export const aggregatedDiscoveryType =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** The version `/version` reports: kubectl's dispatcher picks the client from `minor`. */
export const kubernetesVersion = {
  major: '1', minor: '32', gitVersion: 'v1.32.4-coracle', gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean', buildDate: '2026-11-23T00:00:00Z', goVersion: 'go1.23.0',
  compiler: 'gc', platform: 'linux/amd64',
} as const;

/** True when the Accept header asks for aggregated discovery (v2 or v2beta1). */
export function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const media of parseMediaTypes(accept)) {
    if (media.type !== 'application/json') continue;
    if (media.params.g !== 'apidiscovery.k8s.io') continue;
    if (media.params.as !== 'APIGroupDiscoveryList') continue;
    if (media.params.v === 'v2' || media.params.v === 'v2beta1') return media.params.v;
  }
  return undefined;
}

function discoveryResource(definition: ResourceDefinition): Record<string, unknown> {
  return {
    resource: definition.resource, singularResource: definition.singular,
    scope: definition.namespaced ? 'Namespaced' : 'Cluster',
    responseKind: { group: definition.group, version: definition.version, kind: definition.kind },
    verbs: definition.verbs,
    ...(definition.shortNames.length === 0 ? {} : { shortNames: definition.shortNames }),
    ...(definition.categories.length === 0 ? {} : { categories: definition.categories }),
    subresources: definition.subresources.map((sub) => ({
      subresource: sub.name,
      responseKind: { group: sub.group, version: sub.version, kind: sub.kind },
      verbs: sub.verbs,
    })),
  };
}

/** The aggregated document for `/api` (core only) or `/apis` (every other group). */
export function aggregatedDiscovery(registry: Registry, core: boolean,
  version: 'v2' | 'v2beta1'): Record<string, unknown> {
  const groups = new Map<string, Map<string, ResourceDefinition[]>>();
  for (const definition of registry.definitions) {
    if ((definition.group === '') !== core) continue;
    const versions = groups.get(definition.group) ?? new Map<string, ResourceDefinition[]>();
    groups.set(definition.group, versions);
    const list = versions.get(definition.version) ?? [];
    versions.set(definition.version, list);
    list.push(definition);
  }
  const items = [...groups].map(([group, versions]) => ({
    metadata: { name: group, creationTimestamp: null },
    versions: [...versions].map(([version, definitions]) => ({
      version, freshness: 'Current', resources: definitions.map(discoveryResource),
    })),
  }));
  return {
    kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {}, items,
  };
}

/** Legacy `/api`. */
export function legacyAPIVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions', versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** Legacy `/apis`. */
export function legacyAPIGroupList(registry: Registry): Record<string, unknown> {
  const names = [...new Set(registry.groupVersions().map((gv) => gv.group))]
    .filter((group) => group !== '');
  const groups = names.map((name) => {
    const { kind: _kind, apiVersion: _apiVersion, ...group } = legacyAPIGroup(registry, name)!;
    return group;
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** Legacy `/apis/<group>` (one group). */
export function legacyAPIGroup(registry: Registry, group: string):
  Record<string, unknown> | undefined {
  const versions = registry.groupVersions().filter((gv) => gv.group === group);
  const first = versions[0];
  if (first === undefined) return undefined;
  const entries = versions.map((gv) => ({ groupVersion: `${group}/${gv.version}`,
    version: gv.version }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: entries,
    preferredVersion: entries[0] };
}

/** Legacy APIResourceList of one group/version; undefined when not served. */
export function apiResourceList(registry: Registry, group: string, version: string):
  Record<string, unknown> | undefined {
  const definitions = registry.inGroupVersion(group, version);
  if (definitions.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const definition of definitions) {
    resources.push({
      name: definition.resource, singularName: definition.singular,
      namespaced: definition.namespaced, kind: definition.kind, verbs: definition.verbs,
      ...(definition.shortNames.length === 0 ? {} : { shortNames: definition.shortNames }),
      ...(definition.categories.length === 0 ? {} : { categories: definition.categories }),
    });
    for (const sub of definition.subresources) {
      resources.push({
        name: `${definition.resource}/${sub.name}`, singularName: '',
        namespaced: definition.namespaced,
        ...(sub.group === definition.group && sub.version === definition.version
          ? {} : { group: sub.group, version: sub.version }),
        kind: sub.kind, verbs: sub.verbs,
      });
    }
  }
  return {
    kind: 'APIResourceList', apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }), resources,
  };
}

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** The OpenAPI v3 index: one entry per group/version. */
export function openAPIIndex(registry: Registry): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const gv of registry.groupVersions()) {
    const path = gvPath(gv.group, gv.version);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=coracle1` };
  }
  return { paths };
}

/**
 * The minimal OpenAPI v3 document of one group/version: each kind's item path with a
 * `patch` operation that names the kind and advertises `fieldValidation`, which is what
 * makes kubectl hand validation to the server (kubectl-api.md §3). No requestBody and no
 * schemas, so client-side apply keeps using its compiled-in strategic merge metadata.
 */
export function openAPIGroupVersion(registry: Registry, group: string, version: string):
  Record<string, unknown> | undefined {
  const definitions = registry.inGroupVersion(group, version);
  if (definitions.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const prefix = `/${gvPath(group, version)}`;
  for (const definition of definitions) {
    const scope = definition.namespaced ? '/namespaces/{namespace}' : '';
    paths[`${prefix}${scope}/${definition.resource}/{name}`] = {
      patch: {
        'x-kubernetes-group-version-kind': { group, version, kind: definition.kind },
        'x-kubernetes-action': 'patch',
        parameters: [
          { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
        ],
        responses: { 200: { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: kubernetesVersion.gitVersion },
    paths, components: { schemas: {} },
  };
}
