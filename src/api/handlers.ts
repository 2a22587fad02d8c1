/**
 * @module api/handlers
 * The verbs on a resource path: GET (get, list, watch), POST (create), PUT (update), PATCH
 * (JSON merge, JSON patch, strategic merge, server-side apply), DELETE (delete,
 * deletecollection), and the subresources status, scale, binding and eviction.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JSONObject, JSONValue, KubeObject, ResourceDefinition } from '../resources/types.js';
import {
  asKubeObject, checkFields, checkObjectFields, decodeObjectBody, decodePatchBody, mediaTypeOf,
  parseFieldValidation,
} from './codecs.js';
import type { HandlerContext } from './context.js';
import { buildFilter } from './filters.js';
import { ensureReached, listBody, listMetadata, listObjects, parseListQuery } from './list.js';
import { cloneObject } from './object-meta.js';
import { applyPatch, isPatchMediaType } from './patching.js';
import { sendJSON, sendJSONChunks } from './reply.js';
import { apiVersionOf, listPrefix, objectKey } from './registry-index.js';
import {
  parseResourceVersion, queryFlag, queryInteger, readBody, type ResourcePath, responseShape,
} from './request.js';
import {
  newBadRequest, newMethodNotSupported, newNotFound, newUnsupportedMediaType, successStatus,
} from './status.js';
import { parseIncludeObject, partialMetadata, tableContentType, toMetadataList, toTable } from './table.js';
import { serveWatch } from './watch.js';
import {
  createObject, deleteObject, type DeleteRequest, type Mutation, updateObject,
} from './writes.js';
import { handleSubresource } from './subresources.js';
import { handleConverted } from './converted.js';

/** Longest watch a client may ask for with timeoutSeconds, in seconds. */
export const watchTimeoutSecondsMax = 3600;

/** Request is everything a verb handler reads. */
export interface Request {
  readonly http: IncomingMessage;
  readonly response: ServerResponse;
  readonly path: ResourcePath;
  readonly definition: ResourceDefinition;
  readonly query: URLSearchParams;
}

/** The namespace (default "default"; none for cluster-scoped kinds) and name of a request. */
export function where(request: Request): { namespace: string | undefined; name: string } {
  return {
    namespace: request.definition.namespaced ? request.path.namespace ?? 'default' : undefined,
    name: request.path.name ?? '',
  };
}

/** Reads `dryRun` (only "All" is valid, as upstream); true when given. */
export function dryRunOf(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const value of values) {
    if (value !== 'All') {
      throw newBadRequest(`dryRun: Unsupported value: "${value}": supported values: "All"`);
    }
  }
  return values.length > 0;
}

/** Dispatches a request on a resource path to its verb. */
export async function handleResource(context: HandlerContext, request: Request): Promise<void> {
  const { path, definition } = request;
  if (path.namespace !== undefined && !definition.namespaced) {
    throw newNotFound({ group: definition.group, resource: definition.resource }, path.name ?? '');
  }
  if (path.subresource !== undefined) return handleSubresource(context, request);
  if (definition.storageVersion !== undefined) {
    return handleConverted(context, request, definition.storageVersion);
  }
  const method = request.http.method ?? 'GET';
  if (path.name === undefined) {
    if (method === 'GET') return handleCollectionGet(context, request);
    if (method === 'POST') return handleCreate(context, request);
    if (method === 'DELETE') return handleDeleteCollection(context, request);
  } else {
    if (method === 'GET') return handleGet(context, request);
    if (method === 'PUT') return handleUpdate(context, request);
    if (method === 'PATCH') return handlePatch(context, request);
    if (method === 'DELETE') return handleDelete(context, request);
  }
  throw newMethodNotSupported({ group: definition.group, resource: definition.resource },
    method.toLowerCase());
}

/** Sends one object in the shape Accept asks for. */
export function sendObject(context: HandlerContext, request: Request, code: number,
  object: KubeObject, warnings: readonly string[] = []): void {
  const shape = responseShape(request.http.headers.accept);
  if (shape === 'table') {
    const table = toTable(request.definition, [object], {
      now: context.now(), include: parseIncludeObject(request.query.get('includeObject')),
      listMetadata: { resourceVersion: object.metadata.resourceVersion ?? '' },
    });
    sendJSON(request.response, code, table, { contentType: tableContentType, warnings });
  } else if (shape === 'metadata') {
    sendJSON(request.response, code, partialMetadata(object), {
      contentType: 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io', warnings });
  } else {
    sendJSON(request.response, code, object, { warnings });
  }
}

async function handleGet(context: HandlerContext, request: Request): Promise<void> {
  const rv = parseResourceVersion(request.query.get('resourceVersion'));
  const key = objectKey(request.definition, where(request).namespace, request.path.name!);
  // NB: a resourceVersion other than 0 means "not older than" (API conventions): a peer
  // behind it must catch up first, or an object created through another peer reads as 404.
  if (rv !== undefined) await ensureReached(context.store, rv);
  const stored = await context.store.get(key, rv === undefined ? 'linearizable' : 'local');
  if (stored === undefined) {
    throw newNotFound({ group: request.definition.group, resource: request.definition.resource },
      request.path.name!);
  }
  if (responseShape(request.http.headers.accept) === 'object') {
    sendJSONChunks(request.response, 200, stored.json());
    return;
  }
  sendObject(context, request, 200, stored.object);
}

async function handleCollectionGet(context: HandlerContext, request: Request): Promise<void> {
  const { definition, query } = request;
  const filter = buildFilter(definition, query);
  const prefix = listPrefix(definition, definition.namespaced ? request.path.namespace : undefined);
  if (request.path.legacyWatch || queryFlag(query, 'watch')) {
    const timeoutSeconds = queryInteger(query, 'timeoutSeconds');
    const timeoutMs = timeoutSeconds === undefined
      ? (1800 + Math.floor(context.random() * 1800)) * 1000
      : Math.min(timeoutSeconds, watchTimeoutSecondsMax) * 1000;
    return serveWatch(context.store, request.response, {
      definition, prefix, filter,
      resourceVersion: parseResourceVersion(query.get('resourceVersion')),
      shape: responseShape(request.http.headers.accept),
      bookmarks: queryFlag(query, 'allowWatchBookmarks'), timeoutMs,
      sendInitialEvents: queryFlag(query, 'sendInitialEvents'),
      bookmarkIntervalMs: context.bookmarkIntervalMs, now: context.now,
    });
  }
  const result = await listObjects(context.store, { prefix, filter, ...parseListQuery(query) });
  const shape = responseShape(request.http.headers.accept);
  if (shape === 'table') {
    const objects = result.items.map((item) => item.object);
    sendJSON(request.response, 200, toTable(definition, objects, {
      now: context.now(), include: parseIncludeObject(query.get('includeObject')),
      listMetadata: listMetadata(result),
    }), { contentType: tableContentType });
  } else if (shape === 'metadata') {
    const objects = result.items.map((item) => item.object);
    sendJSON(request.response, 200, toMetadataList(objects, listMetadata(result)), {
      contentType: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' });
  } else {
    sendJSONChunks(request.response, 200, listBody(definition, apiVersionOf(definition), result));
  }
}

/** Reads and decodes an object body for `definition`, applying fieldValidation. */
export async function readObject(request: Request, definition = request.definition):
  Promise<{ object: KubeObject; warnings: string[] }> {
  const body = await readBody(request.http);
  const decoded = decodeObjectBody(body, request.http.headers['content-type']);
  const mode = parseFieldValidation(request.query.get('fieldValidation'));
  const warnings = checkObjectFields(definition, decoded, mode);
  return { object: asKubeObject(definition, decoded.value), warnings };
}

function checkNamespaceMatch(request: Request, object: KubeObject): void {
  const namespace = object.metadata.namespace;
  if (request.definition.namespaced && namespace !== undefined && namespace !== '' &&
    request.path.namespace !== undefined && namespace !== request.path.namespace) {
    throw newBadRequest('the namespace of the provided object does not match the namespace ' +
      'sent on the request');
  }
}

async function handleCreate(context: HandlerContext, request: Request): Promise<void> {
  const { object, warnings } = await readObject(request);
  checkNamespaceMatch(request, object);
  const created = await createObject(context, request.definition, object, {
    namespace: request.definition.namespaced
      ? request.path.namespace ?? object.metadata.namespace ?? 'default' : undefined,
    dryRun: dryRunOf(request.query),
  });
  sendObject(context, request, 201, created, warnings);
}

/** Kinds a PUT may create (upstream's AllowCreateOnUpdate). */
const createOnUpdateKinds = new Set(['Endpoints', 'Lease', 'Event', 'Node']);

async function handleUpdate(context: HandlerContext, request: Request): Promise<void> {
  const { object, warnings } = await readObject(request);
  checkNamespaceMatch(request, object);
  if (object.metadata.name !== undefined && object.metadata.name !== request.path.name) {
    throw newBadRequest(`the name of the object (${object.metadata.name}) does not match the ` +
      `name on the URL (${request.path.name ?? ''})`);
  }
  object.metadata.name = request.path.name!;
  const precondition = object.metadata.resourceVersion;
  const result = await updateObject(context, request.definition, where(request),
    () => ({ object: cloneObject(object),
      ...(precondition === undefined ? {} : { precondition }) }),
    {
      target: 'main', dryRun: dryRunOf(request.query),
      ...(createOnUpdateKinds.has(request.definition.kind) && (precondition ?? '') === ''
        ? { createIfMissing: () => cloneObject(object) } : {}),
    });
  sendObject(context, request, result.created ? 201 : 200, result.object, warnings);
}

/** Reads a patch body; returns the media type and the decoded value. */
export async function readPatch(request: Request):
  Promise<{ media: string; patch: JSONValue; warnings: string[] }> {
  const media = mediaTypeOf(request.http.headers['content-type']);
  if (!isPatchMediaType(media)) throw newUnsupportedMediaType(media);
  const body = await readBody(request.http);
  const decoded = decodePatchBody(body, media);
  return { media, patch: decoded.value, warnings: decoded.warnings };
}

async function handlePatch(context: HandlerContext, request: Request): Promise<void> {
  const { media, patch, warnings } = await readPatch(request);
  const { definition } = request;
  const mode = parseFieldValidation(request.query.get('fieldValidation'));
  const isApply = media === 'application/apply-patch+yaml';
  const fieldWarnings: string[] = [...warnings];
  const mutate = (current: KubeObject): Mutation => {
    const patched = applyPatch(definition, current, patch, media);
    fieldWarnings.push(...checkFields(definition, patched, [], mode));
    const object = asKubeObject(definition, patched);
    if (object.metadata.name !== request.path.name) {
      throw newBadRequest('metadata.name: Invalid value: the name of a patched object cannot change');
    }
    const rv = object.metadata.resourceVersion;
    return { object, ...(rv === current.metadata.resourceVersion ? {} : { precondition: rv ?? '' }) };
  };
  const result = await updateObject(context, definition, where(request), mutate, {
    target: 'main', dryRun: dryRunOf(request.query),
    ...(isApply ? { createIfMissing: () => applyCreate(request, patch, mode, fieldWarnings) } : {}),
  });
  sendObject(context, request, result.created ? 201 : 200, result.object, fieldWarnings);
}

function applyCreate(request: Request, patch: JSONValue, mode: 'Strict' | 'Warn' | 'Ignore',
  warnings: string[]): KubeObject {
  warnings.push(...checkFields(request.definition, patch, [], mode));
  const object = asKubeObject(request.definition, cloneObject(patch));
  if (object.metadata.name !== undefined && object.metadata.name !== request.path.name) {
    throw newBadRequest(`the name of the object (${object.metadata.name}) does not match the ` +
      `name on the URL (${request.path.name ?? ''})`);
  }
  object.metadata.name = request.path.name!;
  return object;
}

/** Reads DeleteOptions from the body (when any) and the query. */
export async function readDeleteOptions(request: Request,
  source: 'options' | 'eviction' = 'options'): Promise<DeleteRequest> {
  const body = await readBody(request.http);
  let options: JSONObject = {};
  if (body.length > 0) {
    const decoded = decodeObjectBody(body, request.http.headers['content-type'] ?? 'application/json');
    if (decoded.value !== null && typeof decoded.value === 'object' && !Array.isArray(decoded.value)) {
      options = decoded.value;
    }
  }
  if (source === 'eviction') {
    const nested = options.deleteOptions;
    options = nested !== null && typeof nested === 'object' && !Array.isArray(nested)
      ? nested : {};
  }
  const query = request.query;
  const policy = query.get('propagationPolicy') ?? options.propagationPolicy;
  const graceText = query.get('gracePeriodSeconds');
  const grace = graceText !== null ? Number(graceText) : options.gracePeriodSeconds;
  const preconditions = options.preconditions as DeleteRequest['preconditions'] | undefined;
  const dryRun = dryRunOf(query) || (Array.isArray(options.dryRun) && options.dryRun.length > 0);
  if (options.orphanDependents === true && policy === undefined) {
    return { propagationPolicy: 'Orphan', dryRun };
  }
  return {
    dryRun,
    ...(typeof policy === 'string' ? { propagationPolicy: policy } : {}),
    ...(typeof grace === 'number' && Number.isFinite(grace) ? { gracePeriodSeconds: grace } : {}),
    ...(preconditions !== undefined && preconditions !== null ? { preconditions } : {}),
  };
}

async function handleDelete(context: HandlerContext, request: Request): Promise<void> {
  const options = await readDeleteOptions(request);
  const result = await deleteObject(context, request.definition, where(request), options);
  sendObject(context, request, 200, result.object);
}

async function handleDeleteCollection(context: HandlerContext, request: Request): Promise<void> {
  const { definition, query } = request;
  const options = await readDeleteOptions(request);
  const filter = buildFilter(definition, query);
  const prefix = listPrefix(definition, definition.namespaced ? request.path.namespace : undefined);
  const result = await listObjects(context.store, { prefix, filter, limit: 0 });
  const deleted: KubeObject[] = [];
  for (const { object } of result.items) {
    try {
      const outcome = await deleteObject(context, definition, {
        namespace: object.metadata.namespace, name: object.metadata.name ?? '',
      }, options);
      deleted.push(outcome.object);
    } catch (error) {
      if (!(error instanceof Error && 'httpCode' in error && error.httpCode === 404)) throw error;
    }
  }
  sendJSON(request.response, 200, {
    kind: `${definition.kind}List`, apiVersion: apiVersionOf(definition),
    metadata: { resourceVersion: String(result.revision) }, items: deleted,
  });
}

/** The Success Status of a subresource POST (binding, eviction). */
export function sendSuccess(request: Request, code: number): void {
  const status = successStatus(
    { group: request.definition.group, resource: request.definition.resource },
    request.path.name ?? '');
  sendJSON(request.response, code, { ...status, code });
}
