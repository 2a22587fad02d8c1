/**
 * Goal: the strict-field checker reports unknown fields and JSON type errors the way
 * upstream's strict decoder does, skips what it must skip (SMP directives, preserved
 * objects, `any` values, null), and refuses values nested past its depth bound.
 * Method: table-driven cases against the real kind schemas and a few small hand-built
 * schemas, comparing the full outputs.
 */
import { describe, expect, it } from 'vitest';
import {
  SchemaDepthError,
  kindSchema,
  typeErrors,
  unknownFields,
} from '../../src/resources/schema/index.js';
import { schemaDepthMax } from '../../src/resources/schema/limits.js';
import type { ObjectSchema, SchemaNode } from '../../src/resources/types.js';

const deployment = kindSchema('Deployment');

function podTemplate(spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'apps/v1', kind: 'Deployment', spec: { template: { spec } } };
}

describe('unknownFields skips what upstream does not report', () => {
  it('ignores strategic merge patch directives at every level', () => {
    const patch = {
      $patch: 'replace',
      metadata: { labels: { app: 'x' }, '$deleteFromPrimitiveList/finalizers': ['a'] },
      spec: {
        $retainKeys: ['type'],
        strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null },
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'web' }],
            containers: [{ name: 'web', $patch: 'delete' }],
          },
        },
      },
    };
    expect(unknownFields(patch, deployment)).toEqual([]);
  });

  it('does not descend into preserved objects (managedFields fieldsV1) or any values', () => {
    const preserving: ObjectSchema = {
      kind: 'object',
      fields: { raw: { kind: 'scalar', type: 'any' } },
    };
    expect(unknownFields({ raw: { anything: { goes: [1] } } }, preserving)).toEqual([]);
    const value = {
      metadata: { managedFields: [{ manager: 'm', fieldsV1: { 'f:spec': { 'f:x': {} } } }] },
    };
    expect(unknownFields(value, deployment)).toEqual([]);
  });

  it('accepts null anywhere and does not descend into values of the wrong type', () => {
    expect(unknownFields({ metadata: null, spec: { template: null } }, deployment)).toEqual([]);
    expect(unknownFields(podTemplate({ containers: 'oops' }), deployment)).toEqual([]);
  });

  it('reports unknown fields inside map values with the key in brackets', () => {
    const schema: SchemaNode = {
      kind: 'map',
      values: { kind: 'object', fields: { a: { kind: 'scalar', type: 'string' } } },
    };
    expect(unknownFields({ one: { a: 'x', b: 'y' } }, schema)).toEqual(['[one].b']);
  });

  it('reports an unknown field whose name is an Object prototype key', () => {
    expect(unknownFields({ metadata: { constructor: 1, toString: 2 } }, deployment))
      .toEqual(['metadata.constructor', 'metadata.toString']);
  });
});

/** [what, value, expected path, expected message] against the Deployment schema. */
const typeCases: readonly (readonly [string, unknown, string, string])[] = [
  [
    'string for a list of containers',
    podTemplate({ containers: 'web' }),
    'spec.template.spec.containers',
    'json: cannot unmarshal string into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container',
  ],
  [
    'string for replicas',
    { spec: { replicas: '3' } },
    'spec.replicas',
    'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
  ],
  [
    'fraction for replicas',
    { spec: { replicas: 1.5 } },
    'spec.replicas',
    'json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32',
  ],
  [
    'int32 overflow',
    { spec: { replicas: 2 ** 31 } },
    'spec.replicas',
    'json: cannot unmarshal number 2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32',
  ],
  [
    'number for a label value',
    { metadata: { labels: { app: 1 } } },
    'metadata.labels[app]',
    'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
  ],
  [
    'number in args',
    podTemplate({ containers: [{ name: 'a', args: ['x', 2] }] }),
    'spec.template.spec.containers[0].args[1]',
    'json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.args of type string',
  ],
  [
    'array for metadata',
    { metadata: [] },
    'metadata',
    'json: cannot unmarshal array into Go struct field Deployment.metadata of type v1.ObjectMeta',
  ],
  [
    'bool for an int-or-string port',
    podTemplate({ containers: [{ name: 'a', livenessProbe: { httpGet: { port: true } } }] }),
    'spec.template.spec.containers[0].livenessProbe.httpGet.port',
    'json: cannot unmarshal bool into Go struct field HTTPGetAction.spec.template.spec.containers.livenessProbe.httpGet.port of type intstr.IntOrString',
  ],
  [
    'object for a quantity',
    podTemplate({ containers: [{ name: 'a', resources: { limits: { cpu: {} } } }] }),
    'spec.template.spec.containers[0].resources.limits[cpu]',
    'json: cannot unmarshal object into Go struct field ResourceRequirements.spec.template.spec.containers.resources.limits of type resource.Quantity',
  ],
  [
    'string for an int64',
    podTemplate({ terminationGracePeriodSeconds: '30' }),
    'spec.template.spec.terminationGracePeriodSeconds',
    'json: cannot unmarshal string into Go struct field PodSpec.spec.template.spec.terminationGracePeriodSeconds of type int64',
  ],
  [
    'a top-level array',
    [],
    '',
    'json: cannot unmarshal array into Go value of type v1.Deployment',
  ],
];

describe('typeErrors', () => {
  it.each(typeCases)('%s', (_what, value, path, message) => {
    expect(typeErrors(value, deployment)).toEqual([{ path, message }]);
  });

  it('accepts the JSON types each scalar allows', () => {
    const value = {
      spec: {
        replicas: 3,
        strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
        template: {
          spec: {
            terminationGracePeriodSeconds: 2 ** 40,
            containers: [{ name: 'a', resources: { limits: { cpu: 1, memory: '1Gi' } } }],
          },
        },
      },
    };
    expect(typeErrors(value, deployment)).toEqual([]);
  });

  it('lists several errors in document order and keeps unknownFields separate', () => {
    const value = { spec: { paused: 'yes', replicas: 'two', bogus: 1 } };
    expect(typeErrors(value, deployment).map((error) => error.path))
      .toEqual(['spec.paused', 'spec.replicas']);
    expect(unknownFields(value, deployment)).toEqual(['spec.bogus']);
  });
});

describe('depth bound', () => {
  /** A schema that nests `depth` levels of {child: ...} lists, built iteratively. */
  function nested(depth: number): { schema: SchemaNode; value: unknown } {
    let schema: SchemaNode = { kind: 'scalar', type: 'string' };
    let value: unknown = 'leaf';
    for (let level = 0; level < depth; level += 1) {
      schema = { kind: 'object', fields: { child: schema } };
      value = { child: value };
    }
    return { schema, value };
  }

  it('walks values nested up to schemaDepthMax', () => {
    const { schema, value } = nested(schemaDepthMax);
    expect(unknownFields(value, schema)).toEqual([]);
  });

  it('throws SchemaDepthError past schemaDepthMax, naming the path', () => {
    const { schema, value } = nested(schemaDepthMax + 1);
    expect(() => unknownFields(value, schema)).toThrow(SchemaDepthError);
    try {
      typeErrors(value, schema);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SchemaDepthError);
      expect((error as SchemaDepthError).code).toBe('SCHEMA_ERR_TOO_DEEP');
      expect((error as SchemaDepthError).path).toBe(Array(schemaDepthMax + 1).fill('child').join('.'));
    }
  });
});
