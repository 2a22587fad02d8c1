/**
 * Goal: applyConfiguration merges an applied configuration into the live object as
 * ownership-free server-side apply: maps merge, keyed lists merge by key, other lists and
 * scalars are replaced, live-only fields stay. Method: a table over the Deployment schema,
 * then purity and error checks.
 */
import { describe, expect, it } from 'vitest';
import { applyConfiguration } from '../../../src/api/patch/apply.js';
import { PatchError } from '../../../src/api/patch/errors.js';
import type { JSONObject } from '../../../src/resources/types.js';
import { deploymentSchema } from './schema-fixture.js';

function pod(spec: JSONObject): JSONObject {
  return { spec: { template: { spec } } };
}

describe('applyConfiguration', () => {
  it.each<[string, JSONObject | undefined, JSONObject, JSONObject]>([
    ['no live object: the configuration is the object', undefined,
      { metadata: { name: 'web' }, spec: { replicas: 2 } },
      { metadata: { name: 'web' }, spec: { replicas: 2 } }],
    ['scalars are replaced and live-only fields stay',
      { metadata: { name: 'web', uid: 'u1' }, spec: { replicas: 1 }, status: { replicas: 1 } },
      { metadata: { name: 'web' }, spec: { replicas: 3 } },
      { metadata: { name: 'web', uid: 'u1' }, spec: { replicas: 3 }, status: { replicas: 1 } }],
    ['maps merge key by key', { metadata: { labels: { app: 'web', 'pod-template-hash': 'x' } } },
      { metadata: { labels: { app: 'web2' } } },
      { metadata: { labels: { app: 'web2', 'pod-template-hash': 'x' } } }],
    ['keyed lists merge by key in the applied order',
      pod({ containers: [{ name: 'a', image: 'a:1', imagePullPolicy: 'Always' }, { name: 'b' }] }),
      pod({ containers: [{ name: 'b', image: 'b:2' }, { name: 'a', image: 'a:2' }] }),
      pod({ containers: [{ name: 'b', image: 'b:2' },
        { name: 'a', image: 'a:2', imagePullPolicy: 'Always' }] })],
    ['a new keyed item is added', pod({ containers: [{ name: 'a' }] }),
      pod({ containers: [{ name: 'a' }, { name: 'c', image: 'c' }] }),
      pod({ containers: [{ name: 'a' }, { name: 'c', image: 'c' }] })],
    ['other lists are replaced', pod({ containers: [{ name: 'a', args: ['x', 'y'] }] }),
      pod({ containers: [{ name: 'a', args: ['z'] }] }),
      pod({ containers: [{ name: 'a', args: ['z'] }] })],
    ['primitive merge lists are unions', { metadata: { finalizers: ['a'] } },
      { metadata: { finalizers: ['b'] } }, { metadata: { finalizers: ['b', 'a'] } }],
    ['null means not specified', { spec: { replicas: 2 } }, { spec: { replicas: null } },
      { spec: { replicas: 2 } }],
    ['unknown fields: maps merge, lists replace', { spec: { x: { a: 1, l: [1] } } },
      { spec: { x: { b: 2, l: [2] } } }, { spec: { x: { a: 1, b: 2, l: [2] } } }],
    ['$ keys are ordinary fields', { metadata: {} }, { metadata: { $patch: 'delete' } },
      { metadata: { $patch: 'delete' } }],
  ])('%s', (_name, live, applied, expected) => {
    expect(applyConfiguration(live, applied, deploymentSchema)).toEqual(expected);
  });

  it('rejects a keyed item without its key', () => {
    expect(() => applyConfiguration(pod({ containers: [] }), pod({ containers: [{ image: 'x' }] }),
      deploymentSchema)).toThrow(PatchError);
  });

  it('never mutates its inputs', () => {
    const live = pod({ containers: [{ name: 'a', image: '1' }] });
    const applied = pod({ containers: [{ name: 'a', image: '2' }, { name: 'b' }] });
    const before = JSON.stringify([live, applied]);
    const result = applyConfiguration(live, applied, deploymentSchema);
    expect(JSON.stringify([live, applied])).toBe(before);
    expect(result).not.toBe(live);
  });
});
