/**
 * @module api/subresources
 * Subresources (kubectl-api.md §10): `status` (GET/PUT/PATCH writing only `.status`),
 * `scale` (autoscaling/v1 Scale over `spec.replicas`), `pods/binding` (sets `spec.nodeName`
 * once, with the PodScheduled condition), `pods/eviction` (policy/v1 Eviction → delete,
 * answered 201 Success), and `pods/log` (served by the node agent in a later issue).
 */
import type { KubeObject, ResourceDefinition } from '../resources/types.js';
import { maybeKindSchema } from '../resources/schema/index.js';
import { asKubeObject, checkFields, parseFieldValidation } from './codecs.js';
import type { HandlerContext } from './context.js';
import {
  dryRunOf, readDeleteOptions, readObject, readPatch, type Request, sendObject, sendSuccess,
  where,
} from './handlers.js';
import {
  fromMetaLabelSelector, selectorFromSet, selectorToString,
} from './selectors/label-selector.js';
import { cloneObject, formatTimestamp } from './object-meta.js';
import { applyPatch } from './patching.js';
import { sendJSON } from './reply.js';
import { objectKey } from './registry-index.js';
import { readBody } from './request.js';
import {
  newBadRequest, newConflict, newMethodNotSupported, newNotFound,
} from './status.js';
import { deleteObject, type Mutation, updateObject } from './writes.js';

function served(definition: ResourceDefinition, name: string): boolean {
  return definition.subresources.some((sub) => sub.name === name);
}

/** Dispatches a subresource request. */
export async function handleSubresource(context: HandlerContext, request: Request):
  Promise<void> {
  const { definition, path } = request;
  const sub = path.subresource ?? '';
  const method = request.http.method ?? 'GET';
  const target = { group: definition.group, resource: `${definition.resource}/${sub}` };
  if (path.name === undefined || !served(definition, sub)) throw newNotFound(target, path.name ?? '');
  if (sub === 'status') return handleStatus(context, request, method);
  if (sub === 'scale') return handleScale(context, request, method);
  if (sub === 'binding' && method === 'POST') return handleBinding(context, request);
  if (sub === 'eviction' && method === 'POST') return handleEviction(context, request);
  if (sub === 'log' && method === 'GET') return handleLog(context, request);
  throw newMethodNotSupported(target, method.toLowerCase());
}

async function current(context: HandlerContext, request: Request): Promise<KubeObject> {
  const place = where(request);
  const stored = await context.store.get(objectKey(request.definition, place.namespace,
    place.name), 'linearizable');
  if (stored === undefined) {
    throw newNotFound({ group: request.definition.group, resource: request.definition.resource },
      place.name);
  }
  return stored.object;
}

async function handleStatus(context: HandlerContext, request: Request, method: string):
  Promise<void> {
  if (method === 'GET') return sendObject(context, request, 200, await current(context, request));
  let mutate: (object: KubeObject) => Mutation;
  let warnings: string[] = [];
  if (method === 'PUT') {
    const read = await readObject(request);
    warnings = read.warnings;
    const precondition = read.object.metadata.resourceVersion;
    mutate = () => ({ object: read.object,
      ...(precondition === undefined ? {} : { precondition }) });
  } else if (method === 'PATCH') {
    const { media, patch } = await readPatch(request);
    mutate = (object) => {
      const patched = asKubeObject(request.definition,
        applyPatch(request.definition, object, patch, media));
      const rv = patched.metadata.resourceVersion;
      return { object: patched,
        ...(rv === object.metadata.resourceVersion ? {} : { precondition: rv ?? '' }) };
    };
  } else {
    throw newMethodNotSupported({ group: request.definition.group,
      resource: `${request.definition.resource}/status` }, method.toLowerCase());
  }
  const result = await updateObject(context, request.definition, where(request), mutate,
    { target: 'status', dryRun: dryRunOf(request.query) });
  sendObject(context, request, 200, result.object, warnings);
}

/**
 * Renders a workload's selector as Scale `status.selector` (LabelSelectorAsSelector(...)
 * .String()): apps kinds hold a metav1.LabelSelector, a ReplicationController a plain map.
 */
function selectorString(selector: unknown): string {
  if (selector === null || typeof selector !== 'object') return '';
  const record = selector as Record<string, unknown>;
  try {
    return selectorToString('matchLabels' in record || 'matchExpressions' in record
      ? fromMetaLabelSelector(record)
      : selectorFromSet(record as Record<string, string>));
  } catch {
    return ''; // NB: stored selectors were validated; an invalid one selects nothing.
  }
}

function toScale(object: KubeObject): KubeObject {
  const spec = (object.spec ?? {}) as { replicas?: number; selector?: unknown };
  const status = (object.status ?? {}) as { replicas?: number };
  const metadata = object.metadata;
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: {
      name: metadata.name!,
      ...(metadata.namespace === undefined ? {} : { namespace: metadata.namespace }),
      uid: metadata.uid!, resourceVersion: metadata.resourceVersion!,
      creationTimestamp: metadata.creationTimestamp!,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: selectorString(spec.selector) },
  };
}

const scaleDefinition = {
  group: 'autoscaling', version: 'v1', kind: 'Scale',
  get schema() { return maybeKindSchema('Scale')!; },
} as const;

function replicasOf(scale: KubeObject): number {
  const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isSafeInteger(replicas) || replicas < 0) {
    throw newBadRequest(`spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be ` +
      'greater than or equal to 0');
  }
  return replicas;
}

async function handleScale(context: HandlerContext, request: Request, method: string):
  Promise<void> {
  if (method === 'GET') {
    sendJSON(request.response, 200, toScale(await current(context, request)));
    return;
  }
  let desired: (object: KubeObject) => { replicas: number; precondition?: string };
  const scaleAsDefinition = { ...request.definition, ...scaleDefinition } as ResourceDefinition;
  if (method === 'PUT') {
    const read = await readObject(request, scaleAsDefinition);
    const rv = read.object.metadata.resourceVersion;
    desired = () => ({ replicas: replicasOf(read.object),
      ...(rv === undefined ? {} : { precondition: rv }) });
  } else if (method === 'PATCH') {
    const { media, patch } = await readPatch(request);
    const mode = parseFieldValidation(request.query.get('fieldValidation'));
    desired = (object) => {
      const scale = toScale(object);
      const patched = applyPatch(scaleAsDefinition, scale, patch, media);
      checkFields(scaleAsDefinition, patched, [], mode);
      const rv = (patched.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
      return { replicas: replicasOf(patched as unknown as KubeObject),
        ...(rv === scale.metadata.resourceVersion ? {} : { precondition: rv ?? '' }) };
    };
  } else {
    throw newMethodNotSupported({ group: request.definition.group,
      resource: `${request.definition.resource}/scale` }, method.toLowerCase());
  }
  const result = await updateObject(context, request.definition, where(request), (object) => {
    const wanted = desired(object);
    const next = cloneObject(object);
    next.spec = { ...(next.spec ?? {}), replicas: wanted.replicas };
    const precondition = wanted.precondition;
    return { object: next, ...(precondition === undefined ? {} : { precondition }) };
  }, { target: 'main', dryRun: dryRunOf(request.query) });
  sendJSON(request.response, 200, toScale(result.object));
}

async function readJSONBody(request: Request): Promise<Record<string, unknown>> {
  const body = await readBody(request.http);
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // Reported below.
  }
  throw newBadRequest('the body of the request must be a JSON object');
}

async function handleBinding(context: HandlerContext, request: Request): Promise<void> {
  const binding = await readJSONBody(request);
  const node = (binding.target as { name?: unknown } | undefined)?.name;
  if (typeof node !== 'string' || node === '') {
    throw newBadRequest('Binding.target.name: Required value: the node to bind to');
  }
  const name = request.path.name!;
  await updateObject(context, request.definition, where(request), (pod) => {
    const spec = (pod.spec ?? {}) as Record<string, unknown>;
    if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
      throw newConflict({ group: '', resource: 'pods/binding' }, name,
        `pod ${name} is already assigned to node "${spec.nodeName}"`);
    }
    if (pod.metadata.deletionTimestamp !== undefined) {
      throw newConflict({ group: '', resource: 'pods/binding' }, name,
        `pod ${name} is being deleted, cannot be assigned to a host`);
    }
    pod.spec = { ...spec, nodeName: node };
    setScheduledCondition(pod, formatTimestamp(context.now()));
    return { object: pod };
  }, { target: 'all', dryRun: dryRunOf(request.query) });
  sendSuccess(request, 201);
}

function setScheduledCondition(pod: KubeObject, now: string): void {
  const status = (pod.status ?? {}) as { conditions?: Record<string, unknown>[] };
  const conditions = (status.conditions ?? []).filter((entry) => entry.type !== 'PodScheduled');
  conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null,
    lastTransitionTime: now });
  pod.status = { ...status, conditions };
}

async function handleEviction(context: HandlerContext, request: Request): Promise<void> {
  const options = await readDeleteOptions(request, 'eviction');
  await deleteObject(context, request.definition, where(request), options);
  sendSuccess(request, 201);
}

async function handleLog(context: HandlerContext, request: Request): Promise<void> {
  const pod = await current(context, request);
  const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  if (nodeName === undefined || nodeName === '') {
    throw newBadRequest(`pod ${pod.metadata.name ?? ''} does not have a host assigned`);
  }
  throw newBadRequest(`logs of pod ${pod.metadata.name ?? ''} are served by the node agent on ` +
    `${nodeName}, and no node agent has reported for it`);
}
