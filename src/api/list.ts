/**
 * @module api/list
 * LIST semantics (API concepts "Resource versions" and "Retrieving large results sets in
 * chunks"): which revision a list reads, selectors applied while paging, `limit`/`continue`
 * with tokens that pin the first page's revision, and 410 Expired once that revision is
 * compacted.
 *
 * | resourceVersion | resourceVersionMatch | read                                      |
 * |-----------------|----------------------|-------------------------------------------|
 * | unset           | -                    | linearizable, at the current revision     |
 * | "0"             | unset/NotOlderThan   | this peer's state, no quorum round        |
 * | "N"             | unset/NotOlderThan   | this peer's state once it has reached N   |
 * | "N"             | Exact                | the snapshot at revision N (410 if gone)  |
 */
import type { KubeObject, ResourceDefinition } from '../resources/types.js';
import { matchEverything } from './filters.js';
import type { ObjectStore, ReadConsistency, StoredObject } from './object-store.js';
import { parseResourceVersion } from './request.js';
import {
  newBadRequest, newResourceExpired, newTimeout,
} from './status.js';

/** Largest page a client may ask for; larger limits are clamped (apiserver: no cap). */
export const listPageMax = 10_000;

/** Most store pages one filtered list reads before answering with a continue token. */
export const listScanPagesMax = 64;

/** ListRequest is a parsed LIST. */
export interface ListRequest {
  readonly prefix: string;
  readonly limit: number;
  readonly continueToken?: string;
  readonly resourceVersion?: number;
  readonly resourceVersionMatch?: string;
  readonly filter: (object: KubeObject) => boolean;
}

/** ListResult is what a LIST answers. */
export interface ListResult {
  readonly items: StoredObject[];
  readonly revision: number;
  readonly continueToken?: string;
  readonly remainingItemCount?: number;
}

interface ContinueState {
  readonly revision: number;
  readonly startKey: string;
}

/** Encodes a continue token the way upstream does (`{"v","rv","start"}` in base64). */
export function encodeContinue(prefix: string, revision: number, nextKey: string): string {
  const start = nextKey.slice(prefix.length);
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: revision, start }))
    .toString('base64url');
}

function decodeContinue(prefix: string, token: string): ContinueState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw newBadRequest('continue key is not valid: illegal base64 or JSON');
  }
  const state = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (state.v !== 'meta.k8s.io/v1' || typeof state.rv !== 'number' ||
    !Number.isSafeInteger(state.rv) || state.rv <= 0 || typeof state.start !== 'string' ||
    state.start.includes('/..') || state.start.startsWith('/')) {
    throw newBadRequest('continue key is not valid: incorrect encoded start resourceVersion ' +
      '(version meta.k8s.io/v1)');
  }
  return { revision: state.rv, startKey: prefix + state.start };
}

/** Validates resourceVersionMatch against resourceVersion as upstream's validation does. */
function readPlan(request: ListRequest): { revision: number; consistency: ReadConsistency;
  notOlderThan: number } {
  const rv = request.resourceVersion;
  const match = request.resourceVersionMatch ?? '';
  if (match !== '' && match !== 'Exact' && match !== 'NotOlderThan') {
    throw newBadRequest(`resourceVersionMatch: Unsupported value: "${match}": supported ` +
      'values: "Exact", "NotOlderThan"');
  }
  if (match !== '' && rv === undefined) {
    throw newBadRequest('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden ' +
      'unless resourceVersion is provided');
  }
  if (match === 'Exact') {
    if (rv === 0) {
      throw newBadRequest('resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is ' +
        'forbidden for resourceVersion "0"');
    }
    return { revision: rv!, consistency: 'local', notOlderThan: 0 };
  }
  if (rv === undefined) return { revision: 0, consistency: 'linearizable', notOlderThan: 0 };
  return { revision: 0, consistency: 'local', notOlderThan: rv };
}

/**
 * Ensures reads at `local` consistency see at least `revision` (0: any): when this peer has
 * not applied it yet, a linearizable read waits until it has (ReadIndex applies up to the
 * read index BEFORE answering); a revision beyond the cluster's is a 504 "Too large
 * resource version", as upstream answers NotOlderThan reads its watch cache cannot reach.
 */
export async function ensureReached(store: ObjectStore, revision: number): Promise<void> {
  if (revision === 0) return;
  let current = await store.revision('local');
  if (current >= revision) return;
  current = await store.revision('linearizable');
  if (current < revision) {
    throw newTimeout(`Too large resource version: ${revision}, current: ${current}`);
  }
}

/** Runs a LIST (see the module comment). */
export async function listObjects(store: ObjectStore, request: ListRequest):
  Promise<ListResult> {
  let startKey: string | undefined;
  let revision: number;
  let consistency: ReadConsistency;
  if (request.continueToken !== undefined && request.continueToken !== '') {
    if (request.resourceVersion !== undefined && request.resourceVersion !== 0) {
      throw newBadRequest('specifying resource version is not allowed when using continue');
    }
    const state = decodeContinue(request.prefix, request.continueToken);
    startKey = state.startKey;
    revision = state.revision;
    consistency = 'local';
  } else {
    const plan = readPlan(request);
    await ensureReached(store, plan.notOlderThan);
    revision = plan.revision;
    consistency = plan.consistency;
  }
  try {
    return await scan(store, request, { startKey, revision, consistency });
  } catch (error) {
    if (error instanceof Error && 'httpCode' in error && error.httpCode === 410 &&
      request.continueToken !== undefined) {
      throw newResourceExpired('The provided continue parameter is too old to display a ' +
        'consistent list result. You can start a new list without the continue parameter.');
    }
    throw error;
  }
}

async function scan(store: ObjectStore, request: ListRequest, from: {
  startKey: string | undefined; revision: number; consistency: ReadConsistency;
}): Promise<ListResult> {
  const limit = Math.min(request.limit, listPageMax);
  const items: StoredObject[] = [];
  let startKey = from.startKey;
  let revision = from.revision;
  for (let page = 0; page < listScanPagesMax; page++) {
    const want = limit === 0 ? 0 : Math.max(limit - items.length, 1);
    const result = await store.list(request.prefix, {
      ...(startKey === undefined ? {} : { startKey }), limit: want, revision,
      consistency: page === 0 ? from.consistency : 'local',
    });
    revision = result.revision;
    collect(result.items, request.filter, items);
    if (!result.more || result.lastKey === undefined) return { items, revision };
    startKey = result.lastKey + '\0';
    if (limit > 0 && items.length >= limit) {
      return { items, revision, continueToken: encodeContinue(request.prefix, revision, startKey) };
    }
  }
  return {
    items, revision,
    ...(startKey === undefined ? {} :
      { continueToken: encodeContinue(request.prefix, revision, startKey) }),
  };
}

function collect(page: readonly StoredObject[], filter: (object: KubeObject) => boolean,
  into: StoredObject[]): void {
  for (const stored of page) {
    if (filter === matchEverything || filter(stored.object)) into.push(stored);
  }
}

/** Parses the list-related query parameters of a request. */
export function parseListQuery(query: URLSearchParams): {
  limit: number; continueToken?: string; resourceVersion?: number;
  resourceVersionMatch?: string;
} {
  const limitText = query.get('limit');
  let limit = 0;
  if (limitText !== null && limitText !== '') {
    if (!/^-?\d{1,15}$/.test(limitText)) throw newBadRequest(`invalid limit "${limitText}"`);
    limit = Math.max(Number(limitText), 0);
  }
  const continueToken = query.get('continue') ?? undefined;
  const resourceVersion = parseResourceVersion(query.get('resourceVersion'));
  const resourceVersionMatch = query.get('resourceVersionMatch') ?? undefined;
  return {
    limit,
    ...(continueToken === undefined || continueToken === '' ? {} : { continueToken }),
    ...(resourceVersion === undefined ? {} : { resourceVersion }),
    ...(resourceVersionMatch === undefined ? {} : { resourceVersionMatch }),
  };
}

/**
 * The `<Kind>List` body of a list as byte chunks: the stored objects are spliced in as they
 * are (see StoredObject.json), never parsed and re-serialized.
 */
export function listBody(definition: ResourceDefinition, apiVersion: string,
  result: ListResult): Uint8Array[] {
  const head = JSON.stringify({ kind: `${definition.kind}List`, apiVersion,
    metadata: listMetadata(result) });
  const chunks: Uint8Array[] = [encoder.encode(`${head.slice(0, -1)},"items":[`)];
  result.items.forEach((item, index) => {
    if (index > 0) chunks.push(comma);
    chunks.push(...item.json());
  });
  chunks.push(closing);
  return chunks;
}

const encoder = new TextEncoder();
const comma = encoder.encode(',');
const closing = encoder.encode(']}');

/** The ListMeta of a result. */
export function listMetadata(result: ListResult): Record<string, unknown> {
  return {
    resourceVersion: String(result.revision),
    ...(result.continueToken === undefined ? {} : { continue: result.continueToken }),
  };
}
