/**
 * @module resources/schema/builders
 * Small constructors for structural schema nodes (`SchemaNode` of resources/types), so each
 * k8s.io/api struct reads as one declaration close to its Go definition. Every node built
 * here is a fresh object; `obj` remembers the Go type name of its struct (e.g. `v1.PodSpec`)
 * and `int64` remembers that the field is an int64, for upstream-style decoding messages
 * (see `goTypeName`). Pure data, no IO.
 */
import type {
  ListSchema,
  MapSchema,
  ObjectSchema,
  ScalarSchema,
  SchemaNode,
} from '../types.js';

/** Go type names of struct and int64 nodes, keyed by node identity. */
const goTypeNames = new WeakMap<SchemaNode, string>();

/** str is a Go string field. */
export function str(): ScalarSchema {
  return { kind: 'scalar', type: 'string' };
}

/** int is a Go int32 field. */
export function int(): ScalarSchema {
  return { kind: 'scalar', type: 'integer' };
}

/** int64 is a Go int64 field (same JSON type as int; remembered for messages). */
export function int64(): ScalarSchema {
  const node: ScalarSchema = { kind: 'scalar', type: 'integer' };
  goTypeNames.set(node, 'int64');
  return node;
}

/** num is a Go float64 field. */
export function num(): ScalarSchema {
  return { kind: 'scalar', type: 'number' };
}

/** bool is a Go bool field. */
export function bool(): ScalarSchema {
  return { kind: 'scalar', type: 'boolean' };
}

/** intOrString is an intstr.IntOrString field (targetPort, maxSurge, probe ports). */
export function intOrString(): ScalarSchema {
  return { kind: 'scalar', type: 'int-or-string' };
}

/** quantity is a resource.Quantity field ("100m", "1Gi", or a bare number). */
export function quantity(): ScalarSchema {
  return { kind: 'scalar', type: 'quantity' };
}

/** anyValue is a field of any JSON value (RawExtension, JSON): never descended into. */
export function anyValue(): ScalarSchema {
  return { kind: 'scalar', type: 'any' };
}

/** StructOptions are the optional struct markers of `obj`. */
export interface StructOptions {
  /** upstream `patchStrategy:"retainKeys"` on the field holding this struct. */
  readonly retainKeys?: boolean;
  /** Unknown fields are kept (and not reported) below this struct. */
  readonly preserveUnknownFields?: boolean;
}

/**
 * obj is a Go struct named `goName` (package-qualified, e.g. `v1.PodSpec`) with `fields`
 * keyed by their JSON names.
 */
export function obj(
  goName: string,
  fields: Readonly<Record<string, SchemaNode>>,
  options: StructOptions = {},
): ObjectSchema {
  const node: ObjectSchema = {
    kind: 'object',
    fields,
    ...(options.retainKeys === true ? { retainKeys: true } : {}),
    ...(options.preserveUnknownFields === true ? { preserveUnknownFields: true } : {}),
  };
  goTypeNames.set(node, goName);
  return node;
}

/** preserved is a struct whose fields are not checked (free-form JSON object). */
export function preserved(goName: string): ObjectSchema {
  return obj(goName, {}, { preserveUnknownFields: true });
}

/** atomicList is a list a strategic merge patch replaces whole (no patchStrategy tag). */
export function atomicList(items: SchemaNode): ListSchema {
  return { kind: 'list', items };
}

/**
 * mergeList is a list tagged `patchStrategy:"merge" patchMergeKey:"<mergeKey>"`; without a
 * key it is a merged set of primitives (finalizers).
 */
export function mergeList(items: SchemaNode, mergeKey?: string): ListSchema {
  return {
    kind: 'list',
    items,
    patchStrategy: 'merge',
    ...(mergeKey === undefined ? {} : { mergeKey }),
  };
}

/** retainKeysList is a list tagged `patchStrategy:"merge,retainKeys"` (PodSpec.volumes). */
export function retainKeysList(items: SchemaNode, mergeKey: string): ListSchema {
  return { kind: 'list', items, patchStrategy: 'merge', mergeKey, retainKeys: true };
}

/** map is a Go map[string]T. */
export function map(values: SchemaNode): MapSchema {
  return { kind: 'map', values };
}

/** stringMap is map[string]string (labels, annotations, selectors, data). */
export function stringMap(): MapSchema {
  return map(str());
}

/** stringList is an atomic []string (args, command, finalizer-free string lists). */
export function stringList(): ListSchema {
  return atomicList(str());
}

/** resourceList is a v1.ResourceList: map of resource name to quantity. */
export function resourceList(): MapSchema {
  return map(quantity());
}

/**
 * goTypeName is the Go type of `node` as encoding/json prints it in an UnmarshalTypeError
 * (`v1.Container`, `[]v1.Container`, `map[string]string`, `int32`, `intstr.IntOrString`).
 */
export function goTypeName(node: SchemaNode): string {
  const known = goTypeNames.get(node);
  if (known !== undefined) return known;
  switch (node.kind) {
    case 'list':
      return `[]${goTypeName(node.items)}`;
    case 'map':
      return `map[string]${goTypeName(node.values)}`;
    case 'object':
      return 'struct';
    case 'scalar':
      return scalarGoTypeName(node);
  }
}

/** scalarGoTypeName is the Go type of a scalar node without a remembered name. */
function scalarGoTypeName(node: ScalarSchema): string {
  switch (node.type) {
    case 'string':
      return 'string';
    case 'integer':
      return 'int32';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'int-or-string':
      return 'intstr.IntOrString';
    case 'quantity':
      return 'resource.Quantity';
    case 'any':
      return 'interface {}';
  }
}
