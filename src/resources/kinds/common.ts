/**
 * @module resources/kinds/common
 * `defineKind` turns a compact per-kind description into a ResourceDefinition: it adds the
 * ObjectMeta validation every kind shares (create and update), the metadata field labels
 * every kind supports, and the lazily evaluated structural schema (the schema module is
 * large and built on first use). Also the discovery vocabulary shared by kinds (verbs,
 * the status and scale subresources).
 */
import type {
  DefaultsContext, FieldError, KubeObject, ObjectSchema, ResourceDefinition,
  SubresourceDefinition, TableCell, TableColumn,
} from '../types.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../meta-validation.js';
import type { NameValidator } from '../meta-validation.js';
import { kindSchema } from '../schema/index.js';
import { assert } from '../../util/assert.js';

/** The verbs of an ordinary resource, as upstream discovery lists them (sorted). */
export const standardVerbs: readonly string[] = [
  'create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch',
];

/** The verbs of a `status` or `scale` subresource. */
export const subresourceVerbs: readonly string[] = ['get', 'patch', 'update'];

/** Returns the `status` subresource of a kind (same group, version and kind). */
export function statusSubresource(group: string, version: string, kind: string):
SubresourceDefinition {
  return { name: 'status', group, version, kind, verbs: subresourceVerbs };
}

/** The `scale` subresource: an autoscaling/v1 Scale. */
export const scaleSubresource: SubresourceDefinition = {
  name: 'scale', group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: subresourceVerbs,
};

/** KindSpec is what a kind file declares; `defineKind` adds the shared behaviour. */
export interface KindSpec {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly resource: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly verbs?: readonly string[];
  readonly subresources?: readonly SubresourceDefinition[];
  readonly hasGeneration: boolean;
  readonly hasStatus: boolean;
  /** Checks metadata.name (and generateName) as upstream's ValidateXName. */
  readonly nameValidator: NameValidator;
  readonly columns: readonly TableColumn[];
  /** Kind defaults, in place and idempotent. */
  applyDefaults?(object: KubeObject, context: DefaultsContext): void;
  /** Kind validation beyond ObjectMeta; `old` is the stored object on update. */
  validateKind?(object: KubeObject, old: KubeObject | undefined): FieldError[];
  tableCells(object: KubeObject, now: Date): TableCell[];
  /** Kind-specific selectable fields (metadata.name/namespace are added here). */
  kindFieldLabels?(object: KubeObject): Record<string, string>;
}

/** Builds the ResourceDefinition of a kind from its KindSpec. */
export function defineKind(spec: KindSpec): ResourceDefinition {
  const columns = spec.columns;
  return {
    group: spec.group,
    version: spec.version,
    kind: spec.kind,
    resource: spec.resource,
    singular: spec.singular,
    namespaced: spec.namespaced,
    shortNames: spec.shortNames ?? [],
    categories: spec.categories ?? [],
    verbs: spec.verbs ?? standardVerbs,
    subresources: spec.subresources ?? [],
    hasGeneration: spec.hasGeneration,
    hasStatus: spec.hasStatus,
    // NB: a getter, so the schema module is evaluated only when the API layer first asks.
    get schema(): ObjectSchema {
      return kindSchema(spec.kind);
    },
    columns,
    applyDefaults(object: KubeObject, context: DefaultsContext): void {
      spec.applyDefaults?.(object, context);
    },
    validate(object: KubeObject, old: KubeObject | undefined): FieldError[] {
      const errors = validateObjectMeta(object.metadata, {
        namespaced: spec.namespaced, nameValidator: spec.nameValidator,
      });
      if (old !== undefined) {
        errors.push(...validateObjectMetaUpdate(object.metadata, old.metadata));
      }
      errors.push(...(spec.validateKind?.(object, old) ?? []));
      return errors;
    },
    tableCells(object: KubeObject, now: Date): TableCell[] {
      const cells = spec.tableCells(object, now);
      assert(cells.length === columns.length,
        `${spec.kind}: ${cells.length} cells for ${columns.length} columns`);
      return cells;
    },
    fieldLabels(object: KubeObject): Record<string, string> {
      const labels: Record<string, string> = { 'metadata.name': object.metadata.name ?? '' };
      if (spec.namespaced) labels['metadata.namespace'] = object.metadata.namespace ?? '';
      return { ...labels, ...(spec.kindFieldLabels?.(object) ?? {}) };
    },
  };
}
