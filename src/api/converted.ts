/**
 * @module api/converted
 * The verbs of a kind served in a second version (autoscaling/v1 HorizontalPodAutoscaler):
 * objects are stored, defaulted and validated in the storage version and converted at the
 * boundary, so both versions read and write the same objects with the same concurrency
 * rules. Bodies are checked against the served version's schema.
 */
import type { JSONValue, KubeObject, StorageVersion } from '../resources/types.js';
import { asKubeObject, checkFields, parseFieldValidation } from './codecs.js';
import type { HandlerContext } from './context.js';
import { buildFilter } from './filters.js';
import {
  dryRunOf, readDeleteOptions, readObject, readPatch, type Request, sendObject, where,
} from './handlers.js';
import { listMetadata, listObjects, parseListQuery, ensureReached } from './list.js';
import { applyPatch } from './patching.js';
import { sendJSON } from './reply.js';
import { apiVersionOf, listPrefix, objectKey } from './registry-index.js';
import {
  parseResourceVersion, queryFlag, queryInteger, responseShape,
} from './request.js';
import { newBadRequest, newMethodNotSupported, newNotFound } from './status.js';
import {
  parseIncludeObject, tableContentType, toMetadataList, toTable,
} from './table.js';
import { serveWatch } from './watch.js';
import { createObject, deleteObject, updateObject } from './writes.js';

/** Dispatches a request on a converted kind (see the module comment). */
export async function handleConverted(context: HandlerContext, request: Request,
  storage: StorageVersion): Promise<void> {
  const method = request.http.method ?? 'GET';
  const named = request.path.name !== undefined;
  if (method === 'GET') {
    return named ? getConverted(context, request, storage)
      : collectionConverted(context, request, storage);
  }
  if (method === 'POST' && !named) return createConverted(context, request, storage);
  if (method === 'PUT' && named) return updateConverted(context, request, storage);
  if (method === 'PATCH' && named) return patchConverted(context, request, storage);
  if (method === 'DELETE' && named) {
    const options = await readDeleteOptions(request);
    const result = await deleteObject(context, storage.definition, where(request), options);
    return sendObject(context, request, 200, storage.fromStorage(result.object));
  }
  throw newMethodNotSupported({ group: request.definition.group,
    resource: request.definition.resource }, method.toLowerCase());
}

async function getConverted(context: HandlerContext, request: Request,
  storage: StorageVersion): Promise<void> {
  const rv = parseResourceVersion(request.query.get('resourceVersion'));
  if (rv !== undefined) await ensureReached(context.store, rv);
  const place = where(request);
  const stored = await context.store.get(objectKey(storage.definition, place.namespace,
    place.name), rv === undefined ? 'linearizable' : 'local');
  if (stored === undefined) {
    throw newNotFound({ group: request.definition.group, resource: request.definition.resource },
      place.name);
  }
  sendObject(context, request, 200, storage.fromStorage(stored.object));
}

async function collectionConverted(context: HandlerContext, request: Request,
  storage: StorageVersion): Promise<void> {
  const { definition, query } = request;
  const filter = buildFilter(definition, query);
  const prefix = listPrefix(storage.definition, request.path.namespace);
  if (request.path.legacyWatch || queryFlag(query, 'watch')) {
    const timeoutSeconds = queryInteger(query, 'timeoutSeconds');
    return serveWatch(context.store, request.response, {
      definition, prefix, filter: (object) => filter(storage.fromStorage(object)),
      resourceVersion: parseResourceVersion(query.get('resourceVersion')),
      shape: responseShape(request.http.headers.accept),
      bookmarks: queryFlag(query, 'allowWatchBookmarks'),
      timeoutMs: Math.min(timeoutSeconds ?? 1800, 3600) * 1000,
      sendInitialEvents: queryFlag(query, 'sendInitialEvents'),
      bookmarkIntervalMs: context.bookmarkIntervalMs, now: context.now,
      convert: (object) => storage.fromStorage(object),
    });
  }
  const result = await listObjects(context.store, {
    prefix, filter: (object) => filter(storage.fromStorage(object)), ...parseListQuery(query),
  });
  const items = result.items.map((item) => storage.fromStorage(item.object));
  const shape = responseShape(request.http.headers.accept);
  if (shape === 'table') {
    sendJSON(request.response, 200, toTable(definition, items, {
      now: context.now(), include: parseIncludeObject(query.get('includeObject')),
      listMetadata: listMetadata(result),
    }), { contentType: tableContentType });
  } else if (shape === 'metadata') {
    sendJSON(request.response, 200, toMetadataList(items, listMetadata(result)), {
      contentType: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' });
  } else {
    sendJSON(request.response, 200, { kind: `${definition.kind}List`,
      apiVersion: apiVersionOf(definition), metadata: listMetadata(result), items });
  }
}

async function createConverted(context: HandlerContext, request: Request,
  storage: StorageVersion): Promise<void> {
  const { object, warnings } = await readObject(request);
  const namespace = request.path.namespace ?? object.metadata.namespace ?? 'default';
  if (object.metadata.namespace !== undefined && object.metadata.namespace !== namespace) {
    throw newBadRequest('the namespace of the provided object does not match the namespace ' +
      'sent on the request');
  }
  const created = await createObject(context, storage.definition,
    storage.toStorage(object, undefined), { namespace, dryRun: dryRunOf(request.query) });
  sendObject(context, request, 201, storage.fromStorage(created), warnings);
}

async function updateConverted(context: HandlerContext, request: Request,
  storage: StorageVersion): Promise<void> {
  const { object, warnings } = await readObject(request);
  if (object.metadata.name !== undefined && object.metadata.name !== request.path.name) {
    throw newBadRequest(`the name of the object (${object.metadata.name}) does not match the ` +
      `name on the URL (${request.path.name ?? ''})`);
  }
  object.metadata.name = request.path.name!;
  const precondition = object.metadata.resourceVersion;
  const result = await updateObject(context, storage.definition, where(request), (current) => ({
    object: storage.toStorage(object, current),
    ...(precondition === undefined ? {} : { precondition }),
  }), { target: 'main', dryRun: dryRunOf(request.query) });
  sendObject(context, request, 200, storage.fromStorage(result.object), warnings);
}

async function patchConverted(context: HandlerContext, request: Request,
  storage: StorageVersion): Promise<void> {
  const { media, patch, warnings } = await readPatch(request);
  const { definition } = request;
  const mode = parseFieldValidation(request.query.get('fieldValidation'));
  const served = (value: JSONValue): KubeObject => {
    warnings.push(...checkFields(definition, value, [], mode));
    const object = asKubeObject(definition, value);
    if (object.metadata.name !== undefined && object.metadata.name !== request.path.name) {
      throw newBadRequest('metadata.name: Invalid value: the name of a patched object cannot change');
    }
    object.metadata.name = request.path.name!;
    return object;
  };
  const result = await updateObject(context, storage.definition, where(request), (current) => {
    const view = storage.fromStorage(current);
    const object = served(applyPatch(definition, view, patch, media));
    const rv = object.metadata.resourceVersion;
    return { object: storage.toStorage(object, current),
      ...(rv === view.metadata.resourceVersion ? {} : { precondition: rv ?? '' }) };
  }, {
    target: 'main', dryRun: dryRunOf(request.query),
    ...(media === 'application/apply-patch+yaml'
      ? { createIfMissing: () => storage.toStorage(served(structuredClone(patch)), undefined) }
      : {}),
  });
  sendObject(context, request, result.created ? 201 : 200, storage.fromStorage(result.object),
    warnings);
}
