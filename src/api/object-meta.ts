/**
 * @module api/object-meta
 * The generic rules every kind follows on create and update (apiserver's rest.BeforeCreate /
 * BeforeUpdate): system fields (`uid`, `creationTimestamp`, `generation`, `deletionTimestamp`)
 * are owned by the server, `generateName` picks a name, `generation` rises only when the
 * spec (anything but metadata and status) changes, and a kind with a status subresource keeps
 * its status on main-resource writes and its spec on status writes.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject, ObjectMeta, ResourceDefinition } from '../resources/types.js';

/** The characters upstream's generateName suffix uses (no vowels, no look-alikes). */
const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** Length of the random suffix generateName adds, as upstream. */
export const generateNameSuffixLength = 5;

/** Returns `prefix` + a random 5-character suffix, truncated as upstream (63 chars max). */
export function generateName(prefix: string, random: () => number): string {
  const maxPrefix = 63 - generateNameSuffixLength;
  let name = prefix.length > maxPrefix ? prefix.slice(0, maxPrefix) : prefix;
  for (let i = 0; i < generateNameSuffixLength; i++) {
    name += nameAlphabet[Math.floor(random() * nameAlphabet.length)] ?? 'x';
  }
  return name;
}

/** RFC 3339 UTC with seconds precision, as metav1.Time serializes. */
export function formatTimestamp(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Deep-copies a JSON object. */
export function cloneObject<T>(value: T): T {
  return structuredClone(value);
}

/** The top-level fields that make up an object's "spec" for generation purposes. */
function specOf(object: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = object;
  return rest;
}

/** True when the spec part (everything but metadata, status, apiVersion, kind) differs. */
export function specChanged(next: KubeObject, previous: KubeObject): boolean {
  return !isDeepStrictEqual(specOf(next), specOf(previous));
}

/** CreateContext is what `prepareCreate` needs from the shell. */
export interface CreateContext {
  readonly now: Date;
  readonly uid: string;
  readonly namespace?: string;
}

/**
 * Sets the server-owned metadata of a new object (in place): uid, creationTimestamp,
 * generation, namespace; clears what a client may not set on create.
 */
export function prepareCreate(definition: ResourceDefinition, object: KubeObject,
  context: CreateContext): void {
  const metadata = object.metadata;
  metadata.uid = context.uid;
  metadata.creationTimestamp = formatTimestamp(context.now);
  delete metadata.resourceVersion;
  delete metadata.deletionTimestamp;
  delete metadata.deletionGracePeriodSeconds;
  delete metadata.managedFields;
  delete metadata.selfLink;
  if (definition.namespaced) metadata.namespace = context.namespace ?? 'default';
  else delete metadata.namespace;
  if (definition.hasGeneration) metadata.generation = 1;
  else delete metadata.generation;
  if (definition.hasStatus && definition.kind !== 'Node') {
    // NB: upstream's create strategies reset status (the controllers, the kubelet and the
    // defaults own it); a Node keeps the status its kubelet registers with.
    delete object.status;
  }
}

/**
 * Which part of the object an update writes: the main resource (status kept), the status
 * subresource (everything else kept), or both (server-internal writes such as a binding).
 */
export type UpdateTarget = 'main' | 'status' | 'all';

/**
 * Builds the object to store for an update (a new object): server-owned metadata comes from
 * `previous`; a main-resource update keeps the stored status, a status update keeps
 * everything but status; generation rises when the spec changed.
 */
export function prepareUpdate(definition: ResourceDefinition, next: KubeObject,
  previous: KubeObject, target: UpdateTarget): KubeObject {
  let result: KubeObject;
  if (target === 'status') {
    result = cloneObject(previous);
    if (next.status === undefined) delete result.status;
    else result.status = cloneObject(next.status);
  } else {
    result = cloneObject(next);
    if (definition.hasStatus && target === 'main') {
      if (previous.status === undefined) delete result.status;
      else result.status = cloneObject(previous.status);
    }
  }
  const metadata: ObjectMeta = result.metadata;
  const old = previous.metadata;
  copyOwned(metadata, old);
  if (definition.namespaced) metadata.namespace = old.namespace ?? 'default';
  delete metadata.managedFields;
  delete metadata.selfLink;
  if (definition.hasGeneration) {
    const generation = old.generation ?? 1;
    metadata.generation = target !== 'status' && specChanged(result, previous)
      ? generation + 1 : generation;
  }
  return result;
}

function copyOwned(metadata: ObjectMeta, old: ObjectMeta): void {
  for (const field of ['uid', 'creationTimestamp', 'deletionTimestamp',
    'deletionGracePeriodSeconds', 'name'] as const) {
    const value = old[field];
    if (value === undefined) delete metadata[field];
    else metadata[field] = value as never;
  }
}
