/**
 * @module api/writes
 * The write paths every kind shares, as the apiserver's generic registry runs them:
 * - create: name (generateName), server-owned metadata, defaults, Service allocations,
 *   validation (422), namespace existence (404) and termination (403), then ONE
 *   transaction that fails if the key exists (409 AlreadyExists);
 * - update (GuaranteedUpdate): read, mutate, prepare, validate, write guarded by the mod
 *   revision that was read; a lost race is retried unless the client gave a
 *   resourceVersion precondition, which makes it a 409 Conflict; an update that changes
 *   nothing writes nothing (the resourceVersion stays);
 * - delete: preconditions, finalizers and propagation policy (deletionTimestamp and the
 *   `foregroundDeletion`/`orphan` finalizers, for the garbage collector to act on), graceful
 *   deletion of pods bound to a node, and namespace deletion with its contents.
 * `dryRun=All` runs every step except the store write.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject, ResourceDefinition } from '../resources/types.js';
import { allocateForCreate, allocateForUpdate, describeMarker, releaseForDelete } from './allocators.js';
import type { HandlerContext } from './context.js';
import {
  cloneObject, formatTimestamp, generateName, prepareCreate, prepareUpdate, type UpdateTarget,
} from './object-meta.js';
import type { ExtraWrite, StoredObject } from './object-store.js';
import { listPrefix, objectKey } from './registry-index.js';
import {
  APIError, newAlreadyExists, newConflict, newForbidden, newInvalid, newNotFound,
  newServiceUnavailable, optimisticLockMessage,
} from './status.js';

/** How many times a write that lost a race without a client precondition is retried. */
export const writeAttemptsMax = 8;

function target(definition: ResourceDefinition): { group: string; resource: string } {
  return { group: definition.group, resource: definition.resource };
}

/** Fails fast with 503 when this peer knows no leader (no write could commit). */
export function requireLeader(context: HandlerContext): void {
  if (!context.leaderKnown()) {
    throw newServiceUnavailable('the control plane has no leader right now (no quorum of ' +
      'peers is reachable from this peer); writes are refused, reads with ' +
      'resourceVersion=0 are still served');
  }
}

/**
 * Refuses a create in a namespace that does not exist or is terminating (upstream's
 * NamespaceLifecycle admission). Like upstream, which reads its informer cache first and makes
 * a live lookup on a miss, this reads the peer's own state first and, on a miss, does a
 * linearizable read: a namespace created through ANOTHER peer may not be applied here yet.
 */
async function checkNamespace(context: HandlerContext, namespace: string): Promise<void> {
  const definition = context.registry.find('', 'v1', 'namespaces');
  if (definition === undefined) return;
  const key = objectKey(definition, undefined, namespace);
  const stored = await context.store.get(key, 'local') ??
    await context.store.get(key, 'linearizable');
  if (stored === undefined) throw newNotFound(target(definition), namespace);
  if (stored.object.metadata.deletionTimestamp !== undefined) {
    throw newForbidden(target(definition), namespace,
      `unable to create new content in namespace ${namespace} because it is being terminated`);
  }
}

/** Validates after defaults; throws 422 Invalid with every cause. */
export function validateOrThrow(definition: ResourceDefinition, object: KubeObject,
  old: KubeObject | undefined): void {
  const errors = definition.validate(object, old);
  if (errors.length > 0) {
    throw newInvalid({ group: definition.group, kind: definition.kind },
      object.metadata.name ?? '', errors);
  }
}

/** CreateOptions of one create. */
export interface CreateOptions {
  readonly namespace: string | undefined;
  readonly dryRun: boolean;
}

/** Creates `input` (see the module comment); returns the stored object. */
export async function createObject(context: HandlerContext, definition: ResourceDefinition,
  input: KubeObject, options: CreateOptions): Promise<KubeObject> {
  requireLeader(context);
  const namespace = definition.namespaced ? options.namespace ?? 'default' : undefined;
  if (namespace !== undefined) await checkNamespace(context, namespace);
  for (let attempt = 1; ; attempt++) {
    const object = cloneObject(input);
    const generated = nameObject(definition, object, context);
    prepareCreate(definition, object, {
      now: context.now(), uid: context.newUID(),
      ...(namespace === undefined ? {} : { namespace }),
    });
    definition.applyDefaults(object, { now: context.now() });
    const extras = definition.kind === 'Service' && definition.group === ''
      ? allocateForCreate(object, context.ipRange, context.random) : [];
    validateOrThrow(definition, object, undefined);
    const name = object.metadata.name!;
    if (options.dryRun) {
      const key = objectKey(definition, namespace, name);
      // NB: linearizable, as a real create would conflict with an object created through
      // another peer that this one has not applied yet.
      if (await context.store.get(key, 'linearizable') !== undefined) {
        throw newAlreadyExists(target(definition), name);
      }
      return object;
    }
    const outcome = await context.store.create(objectKey(definition, namespace, name), object,
      extras);
    if (outcome.kind === 'ok') {
      object.metadata.resourceVersion = String(outcome.modRevision);
      return object;
    }
    const retryable = outcome.current !== undefined ? generated
      : outcome.extraConflictKey !== undefined &&
        isRandomAllocation(input, outcome.extraConflictKey);
    if (!retryable || attempt >= writeAttemptsMax) {
      if (outcome.current !== undefined) throw newAlreadyExists(target(definition), name);
      throw newInvalid({ group: definition.group, kind: definition.kind }, name, [{
        type: 'FieldValueInvalid', field: 'spec',
        message: describeMarker(outcome.extraConflictKey ?? ''),
      }]);
    }
  }
}

/** True when the marker was picked at random (a client-chosen value is not retried). */
function isRandomAllocation(input: KubeObject, markerKey: string): boolean {
  const spec = (input.spec ?? {}) as { clusterIP?: unknown; ports?: { nodePort?: unknown }[] };
  if (markerKey.startsWith('/registry/ranges/serviceips/')) {
    return spec.clusterIP === undefined || spec.clusterIP === '';
  }
  const port = Number(markerKey.slice(markerKey.lastIndexOf('/') + 1));
  return !(spec.ports ?? []).some((entry) => entry.nodePort === port);
}

/** Fills the name from generateName; returns true when it generated one. */
function nameObject(definition: ResourceDefinition, object: KubeObject,
  context: HandlerContext): boolean {
  const metadata = object.metadata;
  if ((metadata.name === undefined || metadata.name === '') &&
    typeof metadata.generateName === 'string' && metadata.generateName !== '') {
    metadata.name = generateName(metadata.generateName, context.random);
    return true;
  }
  if (metadata.name === undefined || metadata.name === '') {
    throw newInvalid({ group: definition.group, kind: definition.kind }, '', [{
      type: 'FieldValueRequired', field: 'metadata.name',
      message: 'Required value: name or generateName is required',
    }]);
  }
  return false;
}

/** Mutation is what an update does to the current object. */
export interface Mutation {
  /** The desired object, built from a copy of the current one (or from the request). */
  readonly object: KubeObject;
  /** The resourceVersion the client requires, when it gave one. */
  readonly precondition?: string;
}

/** UpdateOptions of one update. */
export interface UpdateOptions {
  readonly target: UpdateTarget;
  readonly dryRun: boolean;
  /** When the object is missing: create this instead (PUT on kinds that allow it, apply). */
  readonly createIfMissing?: () => KubeObject;
}

/** UpdateResult is the object after the update and whether it was created. */
export interface UpdateResult {
  readonly object: KubeObject;
  readonly created: boolean;
}

/** Updates one object by `mutate` (see the module comment). */
export async function updateObject(context: HandlerContext, definition: ResourceDefinition,
  where: { namespace: string | undefined; name: string },
  mutate: (current: KubeObject) => Mutation, options: UpdateOptions): Promise<UpdateResult> {
  requireLeader(context);
  const key = objectKey(definition, where.namespace, where.name);
  for (let attempt = 1; ; attempt++) {
    const current = await context.store.get(key, 'linearizable');
    if (current === undefined) {
      if (options.createIfMissing === undefined) throw newNotFound(target(definition), where.name);
      const created = await createObject(context, definition, options.createIfMissing(),
        { namespace: where.namespace, dryRun: options.dryRun });
      return { object: created, created: true };
    }
    const mutation = mutate(cloneObject(current.object));
    if (mutation.precondition !== undefined && mutation.precondition !== '' &&
      mutation.precondition !== current.object.metadata.resourceVersion) {
      throw newConflict(target(definition), where.name, optimisticLockMessage);
    }
    const result = await writeUpdate(context, definition, current, mutation, options);
    if (result !== 'conflict') return { object: result, created: false };
    if ((mutation.precondition !== undefined && mutation.precondition !== '') ||
      attempt >= writeAttemptsMax) {
      throw newConflict(target(definition), where.name, optimisticLockMessage);
    }
  }
}

async function writeUpdate(context: HandlerContext, definition: ResourceDefinition,
  current: StoredObject, mutation: Mutation, options: UpdateOptions):
  Promise<KubeObject | 'conflict'> {
  const next = prepareUpdate(definition, mutation.object, current.object, options.target);
  definition.applyDefaults(next, { now: context.now() });
  const extras: ExtraWrite[] = definition.kind === 'Service' && definition.group === ''
    ? allocateForUpdate(next, current.object, context.ipRange, context.random) : [];
  // NB: server-internal writes ('all', e.g. a binding) may change what clients may not.
  validateOrThrow(definition, next, options.target === 'all' ? undefined : current.object);
  const key = objectKey(definition, next.metadata.namespace, next.metadata.name!);
  next.metadata.resourceVersion = current.object.metadata.resourceVersion!;
  if (isDeepStrictEqual(next, current.object)) return current.object;
  if (next.metadata.deletionTimestamp !== undefined &&
    (next.metadata.finalizers ?? []).length === 0) {
    // The last finalizer is gone from an object being deleted: the update deletes it.
    if (options.dryRun) return next;
    const outcome = await context.store.delete(key, current.modRevision,
      definition.kind === 'Service' ? releaseForDelete(current.object) : []);
    return outcome.kind === 'ok' ? next : 'conflict';
  }
  if (options.dryRun) return next;
  const outcome = await context.store.update(key, next, current.modRevision, extras);
  if (outcome.kind !== 'ok') {
    if (outcome.extraConflictKey !== undefined &&
      outcome.current?.modRevision === current.modRevision) {
      throw newInvalid({ group: definition.group, kind: definition.kind },
        next.metadata.name ?? '', [{ type: 'FieldValueInvalid', field: 'spec',
          message: describeMarker(outcome.extraConflictKey) }]);
    }
    return 'conflict';
  }
  next.metadata.resourceVersion = String(outcome.modRevision);
  return next;
}

/** DeleteOptions as sent in a DELETE body or query. */
export interface DeleteRequest {
  readonly propagationPolicy?: string;
  readonly gracePeriodSeconds?: number;
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly dryRun: boolean;
}

/** DeleteResult is the object as last seen and whether it is gone already. */
export interface DeleteResult {
  readonly object: KubeObject;
  readonly deleted: boolean;
}

function checkPreconditions(definition: ResourceDefinition, object: KubeObject,
  request: DeleteRequest): void {
  const preconditions = request.preconditions;
  const name = object.metadata.name ?? '';
  if (preconditions?.uid !== undefined && preconditions.uid !== object.metadata.uid) {
    throw newConflict(target(definition), name, `Precondition failed: UID in precondition: ` +
      `${preconditions.uid}, UID in object meta: ${object.metadata.uid ?? ''}`);
  }
  if (preconditions?.resourceVersion !== undefined &&
    preconditions.resourceVersion !== object.metadata.resourceVersion) {
    throw newConflict(target(definition), name, `Precondition failed: ResourceVersion in ` +
      `precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ` +
      `${object.metadata.resourceVersion ?? ''}`);
  }
}

/** The graceful-deletion state to record, or undefined to delete at once. */
function gracefulState(definition: ResourceDefinition, object: KubeObject,
  request: DeleteRequest, now: Date): KubeObject | undefined {
  const policy = request.propagationPolicy;
  if (policy !== undefined && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw new APIError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: ` +
      `propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", ` +
      `"Background", "Orphan"`);
  }
  const next = cloneObject(object);
  const finalizers = [...(next.metadata.finalizers ?? [])];
  if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) {
    finalizers.push('foregroundDeletion');
  }
  if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
  let graceSeconds = 0;
  if (definition.kind === 'Pod' && definition.group === '') {
    graceSeconds = podGraceSeconds(object, request);
  }
  if (finalizers.length === 0 && graceSeconds === 0) return undefined;
  if (finalizers.length > 0) next.metadata.finalizers = finalizers;
  if (next.metadata.deletionTimestamp === undefined) {
    const deadline = new Date(now.getTime() + graceSeconds * 1000);
    next.metadata.deletionTimestamp = formatTimestamp(deadline);
    next.metadata.deletionGracePeriodSeconds = graceSeconds;
  }
  return next;
}

function podGraceSeconds(pod: KubeObject, request: DeleteRequest): number {
  const spec = (pod.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const phase = ((pod.status ?? {}) as { phase?: string }).phase;
  // Upstream: a pod never bound to a node, or already finished, is deleted at once.
  if (spec.nodeName === undefined || spec.nodeName === '' || phase === 'Succeeded' ||
    phase === 'Failed') return 0;
  const grace = request.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, grace);
}

/** Deletes one object (see the module comment). */
export async function deleteObject(context: HandlerContext, definition: ResourceDefinition,
  where: { namespace: string | undefined; name: string }, request: DeleteRequest):
  Promise<DeleteResult> {
  requireLeader(context);
  const key = objectKey(definition, where.namespace, where.name);
  for (let attempt = 1; attempt <= writeAttemptsMax; attempt++) {
    const current = await context.store.get(key, 'linearizable');
    if (current === undefined) throw newNotFound(target(definition), where.name);
    checkPreconditions(definition, current.object, request);
    const graceful = definition.kind === 'Namespace' ? undefined
      : gracefulState(definition, current.object, request, context.now());
    if (graceful !== undefined) {
      if (isDeepStrictEqual(graceful, current.object)) {
        return { object: current.object, deleted: false };
      }
      if (request.dryRun) return { object: graceful, deleted: false };
      const outcome = await context.store.update(key, graceful, current.modRevision);
      if (outcome.kind === 'ok') {
        graceful.metadata.resourceVersion = String(outcome.modRevision);
        return { object: graceful, deleted: false };
      }
      continue;
    }
    if (request.dryRun) return { object: current.object, deleted: true };
    const isNamespace = definition.kind === 'Namespace' && definition.group === '';
    if (isNamespace && attempt === 1) await deleteServicesIn(context, where.name);
    const outcome = definition.kind === 'Namespace' && definition.group === ''
      ? await context.store.deleteWithPrefixes(key, current.modRevision,
        namespacedPrefixes(context, where.name))
      : await context.store.delete(key, current.modRevision,
        definition.kind === 'Service' && definition.group === '' ? releaseForDelete(current.object) : []);
    if (outcome.kind === 'ok') return { object: current.object, deleted: true };
  }
  throw newConflict(target(definition), where.name, optimisticLockMessage);
}

/**
 * Deletes the Services of `namespace` one by one first, so their cluster IPs and node ports
 * are released with them (the namespace's own transaction then removes everything else).
 */
async function deleteServicesIn(context: HandlerContext, namespace: string): Promise<void> {
  const services = context.registry.find('', 'v1', 'services');
  if (services === undefined) return;
  const page = await context.store.list(listPrefix(services, namespace),
    { limit: 0, revision: 0, consistency: 'linearizable' });
  for (const item of page.items) {
    try {
      await deleteObject(context, services, { namespace, name: item.object.metadata.name ?? '' },
        { dryRun: false });
    } catch (error) {
      if (!(error instanceof APIError && error.httpCode === 404)) throw error;
    }
  }
}

/**
 * The prefixes of every namespaced kind in `namespace`. NB: the namespace controller (a later
 * issue) will take this over with finalizers; until then a namespace and its contents go in
 * one transaction, so no object outlives its namespace.
 */
function namespacedPrefixes(context: HandlerContext, namespace: string): string[] {
  return context.registry.definitions.filter((definition) => definition.namespaced)
    .map((definition) => listPrefix(definition, namespace));
}
