/**
 * Goal: StoredObject.json() splices the resourceVersion into the stored bytes exactly as
 * parsing and re-serializing would, for the layout encodeObject writes, and falls back to
 * parsing for any other layout (values written by older versions or by etcd clients).
 * Method: encode objects, wrap them as store key-values, compare json() with `object`.
 */
import { describe, expect, it } from 'vitest';
import { encodeObject, StoredObject } from '../../src/api/object-store.js';
import { convertEvent, rawEventLine } from '../../src/api/watch.js';
import type { KubeObject } from '../../src/resources/types.js';
import { EventType, type KeyValue, type WatchEvent } from '../../src/store/types.js';

function stored(value: Uint8Array, modRevision = 42): StoredObject {
  return new StoredObject({ key: new Uint8Array(0), value, modRevision, createRevision: 1,
    version: 1, lease: 0 });
}

function render(object: StoredObject): unknown {
  return JSON.parse(Buffer.concat(object.json()).toString('utf8'));
}

describe('StoredObject', () => {
  it.each<[string, KubeObject]>([
    ['a full object', { apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'a', namespace: 'd', labels: { x: 'y' } }, data: { k: ',"metadata":{' } }],
    ['empty metadata', { apiVersion: 'v1', kind: 'Namespace', metadata: {} }],
    ['tricky strings', { apiVersion: 'v1', kind: 'Se\\",\\"metadata\\":{cret',
      metadata: { name: '"quoted"' } }],
    ['a resourceVersion to drop', { apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'w', resourceVersion: '7' }, spec: { replicas: 2 } }],
  ])('renders %s like a parse would', (_name, object) => {
    const value = stored(encodeObject(object));
    expect(render(value)).toEqual(value.object);
    expect((value.object.metadata).resourceVersion).toBe('42');
  });

  it('parses values of any other layout', () => {
    const value = stored(Buffer.from('{"metadata":{"name":"n"},"apiVersion":"v1","kind":"X"}'));
    expect(render(value)).toEqual({ metadata: { name: 'n', resourceVersion: '42' },
      apiVersion: 'v1', kind: 'X' });
  });
});

describe('rawEventLine', () => {
  const encoded = (name: string, value: string): Uint8Array => encodeObject({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: value } });
  const kv = (value: Uint8Array, modRevision: number, version: number): KeyValue =>
    ({ key: Buffer.from('/registry/configmaps/d/a'), value, modRevision, createRevision: 5,
      version, lease: 0 });

  it.each<[string, WatchEvent]>([
    ['a create', { type: EventType.PUT, kv: kv(encoded('a', '1'), 5, 1) }],
    ['an update', { type: EventType.PUT, kv: kv(encoded('a', '2'), 6, 2),
      prevKv: kv(encoded('a', '1'), 5, 1) }],
    ['a delete', { type: EventType.DELETE, kv: kv(new Uint8Array(0), 7, 0),
      prevKv: kv(encoded('a', '2'), 6, 2) }],
  ])('renders %s exactly as the parsing path does', (_name, event) => {
    const line = Buffer.concat(rawEventLine(event)).toString('utf8');
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toEqual(convertEvent(event, () => true));
  });
});
