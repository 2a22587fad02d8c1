/**
 * @module resources/schema/strict
 * The strict-field checker for `fieldValidation=Strict` (and Warn): `unknownFields` lists
 * the fields of a JSON value that its structural schema does not declare, as the JSON
 * paths upstream's strict decoder reports (`spec.template.spec.containers[0].imagee`);
 * `typeErrors` lists values whose JSON type contradicts the schema, with encoding/json's
 * message (`json: cannot unmarshal string into Go struct field PodSpec.spec.containers of
 * type []v1.Container`).
 *
 * Contract: both walk the value in document order (the key order of the parsed object),
 * so the output is stable for a given body. Neither descends below a node with
 * `preserveUnknownFields` or a scalar `any`, nor below a value of the wrong JSON type.
 * Keys starting with `$` are strategic-merge-patch directives (`$patch`, `$retainKeys`,
 * `$setElementOrder/x`, `$deleteFromPrimitiveList/x`) and are never reported. `null` is
 * accepted anywhere, as Go's decoder leaves the zero value. The walk is iterative and
 * bounded by `schemaDepthMax`; past it a `SchemaDepthError` is thrown.
 */
import { assert } from '../../util/assert.js';
import type { ScalarSchema, SchemaNode } from '../types.js';
import { goTypeName } from './builders.js';
import { SchemaDepthError } from './errors.js';
import { schemaDepthMax } from './limits.js';

export { SchemaDepthError } from './errors.js';

/** SchemaTypeError is one value whose JSON type contradicts its schema. */
export interface SchemaTypeError {
  /** JSON path with list indexes, '' for the root (`spec.replicas`). */
  readonly path: string;
  /** encoding/json's UnmarshalTypeError message. */
  readonly message: string;
}

/** A value to check, or an unknown field to report when the stack reaches it. */
type Frame =
  | {
    readonly tag: 'value';
    readonly value: unknown;
    readonly schema: SchemaNode;
    readonly path: string;
    /** Dotted field names from the root, no indexes (Go's UnmarshalTypeError.Field). */
    readonly goPath: string;
    /** Unqualified Go name of the innermost enclosing struct, '' at the root. */
    readonly goStruct: string;
    readonly depth: number;
  }
  | { readonly tag: 'unknown'; readonly path: string };

type ValueFrame = Extract<Frame, { tag: 'value' }>;

interface Findings {
  readonly unknownFields: string[];
  readonly typeErrors: SchemaTypeError[];
}

/**
 * unknownFields returns the JSON paths of the fields of `value` that `schema` does not
 * declare, in document order (`metadata.labelz`, `spec.template.spec.containers[0].imagee`).
 * Throws SchemaDepthError when `value` nests deeper than `schemaDepthMax`.
 */
export function unknownFields(value: unknown, schema: SchemaNode): string[] {
  return inspect(value, schema).unknownFields;
}

/**
 * typeErrors returns the values of `value` whose JSON type contradicts `schema` (a string
 * where a list is expected, a fraction where an integer is), in document order.
 * Throws SchemaDepthError when `value` nests deeper than `schemaDepthMax`.
 */
export function typeErrors(value: unknown, schema: SchemaNode): SchemaTypeError[] {
  return inspect(value, schema).typeErrors;
}

/** inspect walks `value` against `schema` once, collecting both kinds of findings. */
function inspect(value: unknown, schema: SchemaNode): Findings {
  const findings: Findings = { unknownFields: [], typeErrors: [] };
  const stack: Frame[] = [
    { tag: 'value', value, schema, path: '', goPath: '', goStruct: '', depth: 0 },
  ];
  while (stack.length > 0) {
    const frame = stack.pop();
    assert(frame !== undefined, 'the stack is not empty');
    if (frame.tag === 'unknown') {
      findings.unknownFields.push(frame.path);
      continue;
    }
    if (frame.depth > schemaDepthMax) throw new SchemaDepthError(frame.path, schemaDepthMax);
    if (frame.value === null) continue;
    const message = mismatchMessage(frame);
    if (message !== undefined) {
      findings.typeErrors.push({ path: frame.path, message });
      continue;
    }
    const children = childFrames(frame);
    // Pushed in reverse so the first child is popped first (document order).
    for (let index = children.length - 1; index >= 0; index -= 1) {
      const child = children[index];
      assert(child !== undefined, 'child index in range');
      stack.push(child);
    }
  }
  return findings;
}

/** childFrames lists the frames below an object, map or list value of the right type. */
function childFrames(frame: ValueFrame): Frame[] {
  const { schema, value } = frame;
  switch (schema.kind) {
    case 'scalar':
      return [];
    case 'list': {
      assert(Array.isArray(value), 'a list value is an array');
      return value.map((item: unknown, index) => ({
        ...frame, value: item, schema: schema.items, path: `${frame.path}[${index}]`,
        depth: frame.depth + 1,
      }));
    }
    case 'map':
      return entriesOf(value).map(([key, item]) => ({
        ...frame, value: item, schema: schema.values, path: `${frame.path}[${key}]`,
        depth: frame.depth + 1,
      }));
    case 'object':
      if (schema.preserveUnknownFields === true) return [];
      return objectChildFrames(frame, schema.fields);
  }
}

/** objectChildFrames lists a struct's declared fields to check and its unknown fields. */
function objectChildFrames(
  frame: ValueFrame,
  fields: Readonly<Record<string, SchemaNode>>,
): Frame[] {
  const goStruct = unqualified(goTypeName(frame.schema));
  const children: Frame[] = [];
  for (const [key, item] of entriesOf(frame.value)) {
    if (key.startsWith('$')) continue;
    const path = frame.path === '' ? key : `${frame.path}.${key}`;
    const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (field === undefined) {
      children.push({ tag: 'unknown', path });
      continue;
    }
    const goPath = frame.goPath === '' ? key : `${frame.goPath}.${key}`;
    children.push({
      tag: 'value', value: item, schema: field, path, goPath, goStruct,
      depth: frame.depth + 1,
    });
  }
  return children;
}

/** entriesOf returns the own entries of a plain object value. */
function entriesOf(value: unknown): [string, unknown][] {
  assert(isPlainObject(value), 'an object or map value is a plain object');
  return Object.entries(value);
}

/** isPlainObject is true for a JSON object (not null, not an array). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** unqualified strips a Go package qualifier: `v1.PodSpec` becomes `PodSpec`. */
function unqualified(goName: string): string {
  const dot = goName.lastIndexOf('.');
  return dot < 0 ? goName : goName.slice(dot + 1);
}

/**
 * mismatchMessage is encoding/json's message when the frame's value has the wrong JSON
 * type for its schema, or undefined when the type fits.
 */
function mismatchMessage(frame: ValueFrame): string | undefined {
  const { schema, value } = frame;
  let fits: boolean;
  switch (schema.kind) {
    case 'object':
    case 'map':
      fits = isPlainObject(value);
      break;
    case 'list':
      fits = Array.isArray(value);
      break;
    case 'scalar':
      fits = scalarFits(schema, value);
      break;
  }
  if (fits) return undefined;
  const into = frame.goStruct === ''
    ? 'Go value'
    : `Go struct field ${frame.goStruct}.${frame.goPath}`;
  const valueName = jsonTypeName(value, isIntegerSchema(schema));
  return `json: cannot unmarshal ${valueName} into ${into} of type ${goTypeName(schema)}`;
}

/** scalarFits is true when `value` decodes into the scalar `schema`. */
function scalarFits(schema: ScalarSchema, value: unknown): boolean {
  switch (schema.type) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'number':
      return typeof value === 'number';
    case 'integer':
      return typeof value === 'number' && integerFits(value, goTypeName(schema));
    case 'int-or-string':
      return typeof value === 'string' || (typeof value === 'number' && integerFits(value, 'int32'));
    case 'quantity':
      return typeof value === 'string' || typeof value === 'number';
    case 'any':
      return true;
  }
}

/** integerFits is true when `value` is an integer in the range of Go type `goType`. */
function integerFits(value: number, goType: string): boolean {
  if (!Number.isInteger(value)) return false;
  if (goType === 'int64') return Number.isSafeInteger(value);
  return value >= -(2 ** 31) && value < 2 ** 31;
}

/** isIntegerSchema is true for scalars that decode JSON numbers as Go integers. */
function isIntegerSchema(schema: SchemaNode): boolean {
  return schema.kind === 'scalar' && (schema.type === 'integer' || schema.type === 'int-or-string');
}

/**
 * jsonTypeName is how encoding/json names a JSON value's type; a number decoded into an
 * integer is named with its text (`number 1.5`), as Go does.
 */
function jsonTypeName(value: unknown, integerTarget: boolean): string {
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return integerTarget ? `number ${value}` : 'number';
    case 'object':
      return 'object';
    default:
      return typeof value;
  }
}
