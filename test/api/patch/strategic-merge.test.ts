/**
 * Goal: applyStrategicMergePatch behaves as k8s.io/apimachinery's StrategicMergeMapPatch for
 * what kubectl sends (patch, client-side apply, set image/env, cordon). Method: tables of
 * (live object, patch, expected object) over a small Deployment schema, covering the upstream
 * cases: containers merged by name, env by name, ports by containerPort, `$setElementOrder`,
 * `$patch: delete|replace`, `$retainKeys` on spec.strategy and on volumes,
 * `$deleteFromPrimitiveList/finalizers`, nulls, and JSON merge semantics where the schema is
 * silent; then the error cases and purity. Expected orders follow upstream's
 * normalizeElementOrder: without `$setElementOrder`, items new to the list come before the
 * server's items that follow them (observable with `kubectl patch`).
 */
import { describe, expect, it } from 'vitest';
import { applyStrategicMergePatch } from '../../../src/api/patch/strategic-merge.js';
import { PatchError } from '../../../src/api/patch/errors.js';
import type { JSONObject, JSONValue } from '../../../src/resources/types.js';
import { deploymentSchema } from './schema-fixture.js';

/** Wraps a pod spec into a Deployment. */
function deployment(podSpec: JSONObject, extra: JSONObject = {}): JSONObject {
  return { spec: { ...extra, template: { spec: podSpec } } };
}

const web = { name: 'web', image: 'nginx:1.25' };
const sidecar = { name: 'sidecar', image: 'envoy:1' };

describe('applyStrategicMergePatch: upstream cases', () => {
  it.each<[string, JSONObject, JSONValue, JSONObject]>([
    ['containers merge by name', deployment({ containers: [web, sidecar] }),
      deployment({ containers: [{ name: 'sidecar', image: 'envoy:2' }] }),
      deployment({ containers: [web, { name: 'sidecar', image: 'envoy:2' }] })],
    ['a new container comes before the server items (no $setElementOrder)',
      deployment({ containers: [web, sidecar] }),
      deployment({ containers: [{ name: 'log', image: 'fluentd' }] }),
      deployment({ containers: [{ name: 'log', image: 'fluentd' }, web, sidecar] })],
    ['$setElementOrder places a new container last',
      deployment({ containers: [web, sidecar] }),
      deployment({
        '$setElementOrder/containers': [{ name: 'web' }, { name: 'sidecar' }, { name: 'log' }],
        containers: [{ name: 'log', image: 'fluentd' }],
      }),
      deployment({ containers: [web, sidecar, { name: 'log', image: 'fluentd' }] })],
    ['$setElementOrder alone reorders the list',
      deployment({ containers: [web, sidecar] }),
      deployment({ '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }] }),
      deployment({ containers: [sidecar, web] })],
    ['$setElementOrder interleaves server-only items by their server positions',
      deployment({ containers: [web, { name: 'b' }, sidecar] }),
      deployment({
        '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }],
        containers: [{ name: 'web', image: 'nginx:2' }],
      }),
      // b (server index 1) precedes sidecar (index 2), the first ordered item.
      deployment({ containers: [{ name: 'b' }, sidecar, { name: 'web', image: 'nginx:2' }] })],
    ['$patch: delete removes a container', deployment({ containers: [web, sidecar] }),
      deployment({ containers: [{ name: 'web', $patch: 'delete' }] }),
      deployment({ containers: [sidecar] })],
    ['$patch: replace in a list replaces the list', deployment({ containers: [web, sidecar] }),
      deployment({ containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }] }),
      deployment({ containers: [{ name: 'only', image: 'x' }] })],
    ['env merges by name', deployment({ containers: [{
      name: 'web', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
    }] }),
    deployment({ containers: [{ name: 'web', env: [{ name: 'B', value: '3' }] }] }),
    deployment({ containers: [{
      name: 'web', env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }],
    }] })],
    ['ports merge by containerPort', deployment({ containers: [{
      name: 'web', ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }],
    }] }),
    deployment({ containers: [{ name: 'web', ports: [{ containerPort: 80, name: 'http' }] }] }),
    deployment({ containers: [{ name: 'web', ports: [
      { containerPort: 80, protocol: 'TCP', name: 'http' }, { containerPort: 443 },
    ] }] })],
    ['set image (kubectl set image sends the container by name)',
      deployment({ containers: [web, sidecar] }),
      deployment({ containers: [{ name: 'web', image: 'nginx:1.26' }] }),
      deployment({ containers: [{ name: 'web', image: 'nginx:1.26' }, sidecar] })],
    ['a list without a merge strategy is replaced whole',
      deployment({ containers: [{ name: 'web', args: ['a', 'b'] }], tolerations: [{ key: 'x' }] }),
      deployment({ containers: [{ name: 'web', args: ['c'] }], tolerations: [{ key: 'y' }] }),
      deployment({ containers: [{ name: 'web', args: ['c'] }], tolerations: [{ key: 'y' }] })],
    ['$retainKeys on spec.strategy when switching RollingUpdate to Recreate',
      { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } } } },
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } },
      { spec: { strategy: { type: 'Recreate' } } }],
    ['$retainKeys drops unlisted keys even without a null',
      { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } } } },
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      { spec: { strategy: { type: 'Recreate' } } }],
    ['$retainKeys in a volume switches its source',
      deployment({ volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: {} }] }),
      deployment({ volumes: [{ name: 'data', $retainKeys: ['hostPath', 'name'],
        hostPath: { path: '/x' } }] }),
      deployment({ volumes: [{ name: 'data', hostPath: { path: '/x' } },
        { name: 'cfg', configMap: {} }] })],
    ['$deleteFromPrimitiveList/finalizers', { metadata: { finalizers: ['a', 'b', 'c'] } },
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } },
      { metadata: { finalizers: ['a', 'c'] } }],
    ['finalizers merge as a set', { metadata: { finalizers: ['a', 'b'] } },
      { metadata: { finalizers: ['c', 'a'] } }, { metadata: { finalizers: ['c', 'a', 'b'] } }],
    ['$setElementOrder/finalizers with an addition and a deletion',
      { metadata: { finalizers: ['a', 'b'] } },
      { metadata: { '$setElementOrder/finalizers': ['b', 'c'], finalizers: ['c'],
        '$deleteFromPrimitiveList/finalizers': ['a'] } },
      { metadata: { finalizers: ['b', 'c'] } }],
    ['null deletes a map key', { metadata: { labels: { app: 'web', tier: 'front' } } },
      { metadata: { labels: { tier: null, track: 'stable' } } },
      { metadata: { labels: { app: 'web', track: 'stable' } } }],
    ['null of an absent key is a no-op', { metadata: { name: 'x' } },
      { metadata: { labels: null } }, { metadata: { name: 'x' } }],
    ['cordon sets and uncordon clears a field', { spec: { unschedulable: true, podCIDR: 'x' } },
      { spec: { unschedulable: null } }, { spec: { podCIDR: 'x' } }],
    ['$patch: replace on a map', { metadata: { labels: { a: '1', b: '2' } } },
      { metadata: { labels: { $patch: 'replace', c: '3' } } }, { metadata: { labels: { c: '3' } } }],
    ['$patch: delete on a map removes it',
      { spec: { replicas: 2, strategy: { type: 'Recreate' } } },
      { spec: { strategy: { $patch: 'delete' } } }, { spec: { replicas: 2 } }],
    ['$patch: merge on a map merges', { metadata: { labels: { a: '1' } } },
      { metadata: { labels: { $patch: 'merge', b: '2' } } },
      { metadata: { labels: { a: '1', b: '2' } } }],
    ['$patch: delete at the top leaves an empty object', { spec: { replicas: 1 } },
      { $patch: 'delete' }, {}],
    ['status conditions merge by type',
      { status: { conditions: [{ type: 'Available', status: 'False' }, { type: 'Progressing' }] } },
      { status: { conditions: [{ type: 'Available', status: 'True' }] } },
      { status: { conditions: [{ type: 'Available', status: 'True' }, { type: 'Progressing' }] } }],
    ['where the schema is silent: maps merge and lists replace',
      { spec: { extra: { keep: 1, list: [1, 2], sub: { a: 1 } } } },
      { spec: { extra: { list: [3], sub: { b: 2, a: null } } } },
      { spec: { extra: { keep: 1, list: [3], sub: { b: 2 } } } }],
    ['directives in a value new to the object are applied, not stored', { spec: {} },
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null },
        template: { spec: { containers: [{ name: 'web', env: [{ name: 'A', $patch: 'delete' }] }],
          '$setElementOrder/containers': [{ name: 'web' }] } } } },
      { spec: { strategy: { type: 'Recreate' },
        template: { spec: { containers: [{ name: 'web', env: [] }] } } } }],
    ['a type change replaces the value', { spec: { replicas: { odd: true } } },
      { spec: { replicas: 3 } }, { spec: { replicas: 3 } }],
  ])('%s', (_name, live, patch, expected) => {
    expect(applyStrategicMergePatch(live, patch, deploymentSchema)).toEqual(expected);
  });

  it('orders new items before the server items that follow them in the patch', () => {
    const live = deployment({ containers: [web, sidecar] });
    const patch = deployment({ containers: [{ name: 'log' }, { name: 'web', image: 'n:2' }] });
    const result = applyStrategicMergePatch(live, patch, deploymentSchema) as {
      spec: { template: { spec: { containers: Array<{ name: string }> } } };
    };
    expect(result.spec.template.spec.containers.map((item) => item.name))
      .toEqual(['log', 'web', 'sidecar']);
  });

  it('works without any schema as JSON merge', () => {
    expect(applyStrategicMergePatch({ a: { b: 1, c: [1] } }, { a: { b: null, c: [2] } },
      undefined)).toEqual({ a: { c: [2] } });
  });
});

describe('applyStrategicMergePatch: errors', () => {
  it.each<[string, JSONObject, JSONValue, number, string | RegExp]>([
    ['an unknown directive', {}, { $foo: 1 }, 400,
      'unknown strategic merge patch directive "$foo"'],
    ['an unknown $patch value', {}, { metadata: { $patch: 'frob' } }, 400,
      /^unknown patch type: "frob" in map: /],
    ['$patch: merge in a list', deployment({ containers: [web] }),
      deployment({ containers: [{ $patch: 'merge' }] }), 400,
      'merging lists cannot yet be specified in the patch'],
    ['an element without its merge key', deployment({ containers: [web] }),
      deployment({ containers: [{ image: 'x' }] }), 400,
      'map: {"image":"x"} does not contain declared merge key: name'],
    ['a field missing from $retainKeys', { spec: { strategy: { type: 'Recreate' } } },
      { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: { maxSurge: '1' } } } }, 400,
      'invalid patch format of retainKeys'],
    ['$retainKeys that is not a list', {}, { spec: { strategy: { $retainKeys: 'type' } } }, 400,
      'invalid patch format of retainKeys'],
    ['$setElementOrder that is not a list', {},
      { metadata: { '$setElementOrder/finalizers': 'a' } }, 400,
      'invalid patch format of setElementOrder list'],
    ['$deleteFromPrimitiveList without a list name', {},
      { metadata: { $deleteFromPrimitiveList: ['a'] } }, 400,
      'invalid patch format of primitive list'],
    ['$setElementOrder that contradicts the patch list', deployment({ containers: [web] }),
      deployment({ '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }],
        containers: [{ name: 'b' }, { name: 'a' }] }), 400, /^The order in patch list: /],
    ['a non-map element in a keyed list', deployment({ containers: [web] }),
      deployment({ containers: ['web'] }), 422, /^expected a map in a list merged on name/],
    ['a patch that is not an object', {}, [1], 400,
      'a strategic merge patch must be a JSON object, got [1]'],
  ])('%s', (_name, live, patch, status, message) => {
    let caught: unknown;
    try {
      applyStrategicMergePatch(live, patch, deploymentSchema);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PatchError);
    expect((caught as PatchError).httpStatus).toBe(status);
    if (typeof message === 'string') expect((caught as PatchError).message).toBe(message);
    else expect((caught as PatchError).message).toMatch(message);
  });
});

describe('applyStrategicMergePatch: purity and bounds', () => {
  it('never mutates its inputs and returns nothing shared with them', () => {
    const live = deployment({ containers: [web, sidecar] }, { replicas: 1 });
    const patch = deployment({ '$setElementOrder/containers': [{ name: 'sidecar' }],
      containers: [{ name: 'sidecar', image: 'x', env: [{ name: 'A' }] }] });
    const before = JSON.stringify([live, patch]);
    const result = applyStrategicMergePatch(live, patch, deploymentSchema);
    expect(JSON.stringify([live, patch])).toBe(before);
    const spec = (result.spec as JSONObject);
    spec.replicas = 99;
    expect((live.spec as JSONObject).replicas).toBe(1);
    expect(JSON.stringify(result)).not.toMatch(/"\$/);
  });

  it('refuses nesting deeper than the bound with a PatchError', () => {
    let deep: JSONValue = 1;
    for (let level = 0; level < 100_000; level += 1) deep = { a: deep };
    expect(() => applyStrategicMergePatch({}, { x: deep }, undefined))
      .toThrow(/the patch nests deeper than 100 levels/);
  });
});
