/**
 * @module api/registry-index
 * Lookup of ResourceDefinitions by path and by kind, and the store key layout of DESIGN §6:
 * `/registry/<resource>/<namespace>/<name>`, or `/registry/<resource>/<name>` for
 * cluster-scoped kinds.
 */
import type { ResourceDefinition } from '../resources/types.js';

/** Registry indexes a fixed set of definitions. */
export class Registry {
  private readonly byPath = new Map<string, ResourceDefinition>();
  private readonly byKind = new Map<string, ResourceDefinition>();

  /** Indexes `definitions` (each group/version/resource once). */
  constructor(readonly definitions: readonly ResourceDefinition[]) {
    for (const definition of definitions) {
      this.byPath.set(`${definition.group}/${definition.version}/${definition.resource}`,
        definition);
      if (definition.storageVersion === undefined) {
        this.byKind.set(`${definition.group}/${definition.kind}`, definition);
      }
    }
  }

  /** The definition served at /api[s]/group/version/resource, if any. */
  find(group: string, version: string, resource: string): ResourceDefinition | undefined {
    return this.byPath.get(`${group}/${version}/${resource}`);
  }

  /** The definition of `kind` in `group`, if any. */
  findKind(group: string, kind: string): ResourceDefinition | undefined {
    return this.byKind.get(`${group}/${kind}`);
  }

  /** The group/versions served, core first, in a stable order. */
  groupVersions(): { group: string; version: string }[] {
    const seen = new Set<string>();
    const result: { group: string; version: string }[] = [];
    for (const definition of this.definitions) {
      const id = `${definition.group}/${definition.version}`;
      if (seen.has(id)) continue;
      seen.add(id);
      result.push({ group: definition.group, version: definition.version });
    }
    return result;
  }

  /** Definitions served under one group/version. */
  inGroupVersion(group: string, version: string): ResourceDefinition[] {
    return this.definitions.filter((definition) =>
      definition.group === group && definition.version === version);
  }
}

/** apiVersion string of a definition: "v1" or "apps/v1". */
export function apiVersionOf(definition: { group: string; version: string }): string {
  return definition.group === '' ? definition.version : `${definition.group}/${definition.version}`;
}

/** The store key of one object. */
export function objectKey(definition: ResourceDefinition, namespace: string | undefined,
  name: string): string {
  return definition.namespaced
    ? `/registry/${definition.resource}/${namespace ?? 'default'}/${name}`
    : `/registry/${definition.resource}/${name}`;
}

/** The store prefix of a list: one namespace, or all of them (`namespace` undefined). */
export function listPrefix(definition: ResourceDefinition, namespace: string | undefined): string {
  return definition.namespaced && namespace !== undefined
    ? `/registry/${definition.resource}/${namespace}/`
    : `/registry/${definition.resource}/`;
}
