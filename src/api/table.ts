/**
 * @module api/table
 * Server-side printing (kubectl-api.md §4): a `meta.k8s.io/v1` Table whose columns and cells
 * come from the kind's definition, each row carrying the object's metadata (or the whole
 * object with `includeObject=Object`), and PartialObjectMetadata for metadata-only clients.
 */
import type { KubeObject, ResourceDefinition } from '../resources/types.js';
import { newBadRequest } from './status.js';

/** The media type a Table response is sent with. */
export const tableContentType = 'application/json;as=Table;v=v1;g=meta.k8s.io';

/** What each row's `object` holds. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Parses `includeObject` (default Metadata); 400 on anything else. */
export function parseIncludeObject(value: string | null): IncludeObject {
  if (value === null || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw newBadRequest(`includeObject must be one of None, Metadata, Object; got "${value}"`);
}

/** PartialObjectMetadata of one object. */
export function partialMetadata(object: KubeObject): Record<string, unknown> {
  return {
    kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata,
  };
}

function rowObject(object: KubeObject, include: IncludeObject): unknown {
  if (include === 'Object') return object;
  if (include === 'Metadata') return partialMetadata(object);
  return undefined;
}

/** Builds a Table of `objects`; `listMetadata` is the list's (resourceVersion, continue). */
export function toTable(definition: ResourceDefinition, objects: readonly KubeObject[],
  options: { now: Date; include: IncludeObject; listMetadata: Record<string, unknown> }):
  Record<string, unknown> {
  const rows = objects.map((object) => {
    const row: Record<string, unknown> = { cells: definition.tableCells(object, options.now) };
    const embedded = rowObject(object, options.include);
    if (embedded !== undefined) row.object = embedded;
    return row;
  });
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: options.listMetadata,
    columnDefinitions: definition.columns, rows,
  };
}

/** Builds a PartialObjectMetadataList of `objects`. */
export function toMetadataList(objects: readonly KubeObject[],
  listMetadata: Record<string, unknown>): Record<string, unknown> {
  return {
    kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: listMetadata,
    items: objects.map(partialMetadata),
  };
}
