/**
 * Goal: the structural schemas name exactly the fields of k8s.io/api v1.32, with the right
 * JSON types, for every struct reachable from a served kind.
 * Method: walk every object node of every kind schema and compare it with the model class
 * that @kubernetes/client-node generated from the upstream OpenAPI (same Go type name,
 * e.g. `v1.PodSpec` -> `V1PodSpec` or `CoreV1Event`). client-node 1.4 is generated from a
 * newer Kubernetes, so the fields added after v1.32 are listed below and must be exactly
 * the difference: a field we invent, misspell or forget fails the test.
 */
import * as clientNode from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { goTypeName, kindSchema, schemaKinds } from '../../src/resources/schema/index.js';
import type { ObjectSchema, SchemaNode } from '../../src/resources/types.js';

/** Fields client-node knows that Kubernetes added after v1.32 (by Go type). */
const addedAfter132: Readonly<Record<string, readonly string[]>> = {
  'v2.HPAScalingRules': ['tolerance'],
  'v1.ReplicaSetStatus': ['terminatingReplicas'],
  'v1.DeploymentStatus': ['terminatingReplicas'],
  'v1.PodSpec': ['hostnameOverride'],
  'v1.Container': ['restartPolicyRules'],
  'v1.EphemeralContainer': ['restartPolicyRules'],
  'v1.Lifecycle': ['stopSignal'],
  'v1.ContainerStatus': ['stopSignal'],
  'v1.EnvVarSource': ['fileKeyRef'],
  'v1.VolumeProjection': ['podCertificate'],
  'v1.PodStatus': ['extendedResourceClaimStatus', 'observedGeneration'],
  'v1.PodCondition': ['observedGeneration'],
};

interface Attribute {
  readonly baseName: string;
  readonly type: string;
}

type ModelClass = { readonly attributeTypeMap?: readonly Attribute[] } | undefined;

/** Every object node reachable from the served kinds, each once. */
function allObjectNodes(): ObjectSchema[] {
  const seen = new Set<SchemaNode>();
  const found: ObjectSchema[] = [];
  const stack: SchemaNode[] = schemaKinds.map((kind) => kindSchema(kind));
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    if (node.kind === 'object') {
      found.push(node);
      stack.push(...Object.values(node.fields));
    } else if (node.kind === 'list') {
      stack.push(node.items);
    } else if (node.kind === 'map') {
      stack.push(node.values);
    }
  }
  return found;
}

/** The client-node class names a Go type may have (`V1PodSpec`, `CoreV1Event`). */
function classNames(goName: string): string[] {
  const [pkg, name] = goName.split('.');
  const version = pkg!.toUpperCase();
  return [`${version}${name}`, `Core${version}${name}`];
}

function modelOf(goName: string): readonly Attribute[] | undefined {
  const library = clientNode as unknown as Record<string, ModelClass>;
  const found = classNames(goName).map((name) => library[name]).find((c) => c !== undefined);
  return found?.attributeTypeMap;
}

/** True when client-node's attribute type agrees with the schema node. */
function typeAgrees(node: SchemaNode, type: string): boolean {
  switch (node.kind) {
    case 'list':
      return type.startsWith('Array<') && typeAgrees(node.items, type.slice(6, -1));
    case 'map':
      return type.startsWith('{ [key: string]: ');
    case 'object':
      if (node.preserveUnknownFields === true) return type === 'any';
      return classNames(goTypeName(node)).includes(type);
    case 'scalar':
      return scalarAgrees(node.type, type);
  }
}

function scalarAgrees(schemaType: string, type: string): boolean {
  const expected: Record<string, readonly string[]> = {
    'string': ['string', 'Date', 'V1MicroTime'],
    'integer': ['number'],
    'number': ['number'],
    'boolean': ['boolean'],
    'int-or-string': ['IntOrString'],
    'quantity': ['string'],
    'any': ['any', 'object'],
  };
  return expected[schemaType]?.includes(type) ?? false;
}

const objectNodes = allObjectNodes().filter((node) => modelOf(goTypeName(node)) !== undefined);
const structCases = objectNodes.map((node) => [goTypeName(node), node] as const);

describe('schemas match the upstream models', () => {
  it('covers the structs of every kind (only FieldsV1 has no model)', () => {
    const withoutModel = allObjectNodes()
      .map((node) => goTypeName(node))
      .filter((name) => modelOf(name) === undefined);
    expect(withoutModel).toEqual(['v1.FieldsV1']);
    expect(structCases.length).toBeGreaterThan(150);
  });

  it.each(structCases)('%s has exactly the v1.32 fields', (goName, node) => {
    const upstream = modelOf(goName)!.map((attribute) => attribute.baseName);
    const newer = addedAfter132[goName] ?? [];
    expect(Object.keys(node.fields).sort()).toEqual(
      upstream.filter((field) => !newer.includes(field)).sort(),
    );
  });

  it.each(structCases)('%s fields have the upstream JSON types', (goName, node) => {
    const mismatched = modelOf(goName)!
      .filter((attribute) => Object.hasOwn(node.fields, attribute.baseName))
      .filter((attribute) => !typeAgrees(node.fields[attribute.baseName]!, attribute.type))
      .map((attribute) => `${attribute.baseName}: ${attribute.type}`);
    expect(mismatched).toEqual([]);
  });
});
