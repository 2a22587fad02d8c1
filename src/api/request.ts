/**
 * @module api/request
 * Parsing of what arrives over HTTP: resource paths
 * (`/api/v1/[namespaces/{ns}/]{resource}[/{name}[/{subresource}]]`, `/apis/{group}/{version}/…`,
 * and the legacy `/watch/` prefix), the query parameters kubectl and client libraries send,
 * bounded request bodies, and content negotiation (JSON, Table, PartialObjectMetadata).
 */
import type { IncomingMessage } from 'node:http';
import {
  newBadRequest, newRequestEntityTooLarge,
} from './status.js';

/** Largest request body accepted, in bytes; larger bodies get 413 (issue 6: 3 MiB). */
export const requestBodyBytesMax = 3 * 1024 * 1024;

/** ResourcePath is a parsed resource URL. */
export interface ResourcePath {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
  /** True for the legacy `/api/v1/watch/...` form. */
  readonly legacyWatch: boolean;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw newBadRequest(`malformed path segment: ${segment}`);
  }
}

/**
 * Parses a resource path; undefined when the path is not under /api/v1 or /apis/g/v with at
 * least a resource (discovery paths are handled before this).
 */
export function parseResourcePath(pathname: string): ResourcePath | undefined {
  const parts = pathname.split('/').filter((part) => part !== '').map(decodeSegment);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    rest = parts.slice(1);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    rest = parts.slice(2);
  } else {
    return undefined;
  }
  const version = rest[0]!;
  let segments = rest.slice(1);
  const legacyWatch = segments[0] === 'watch';
  if (legacyWatch) segments = segments.slice(1);
  if (segments.length === 0 || segments.length > 5) return undefined;
  if (segments[0] === 'namespaces' && segments.length >= 3 &&
    !(segments.length === 3 && (segments[2] === 'status' || segments[2] === 'finalize'))) {
    const [, namespace, resource, name, subresource] = segments as
      [string, string, string, string?, string?];
    return {
      group, version, resource, namespace, legacyWatch,
      ...(name === undefined ? {} : { name }),
      ...(subresource === undefined ? {} : { subresource }),
    };
  }
  if (segments.length > 3) return undefined;
  const [resource, name, subresource] = segments as [string, string?, string?];
  return {
    group, version, resource, legacyWatch,
    ...(name === undefined ? {} : { name }),
    ...(subresource === undefined ? {} : { subresource }),
  };
}

/** Reads the request body, refusing more than `requestBodyBytesMax` bytes with 413. */
export function readBody(request: IncomingMessage): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > requestBodyBytesMax) {
    request.resume();
    return Promise.reject(newRequestEntityTooLarge(requestBodyBytesMax));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let failed = false;
    request.on('data', (chunk: Buffer) => {
      if (failed) return;
      total += chunk.length;
      if (total > requestBodyBytesMax) {
        failed = true;
        chunks.length = 0;
        reject(newRequestEntityTooLarge(requestBodyBytesMax));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => { if (!failed) resolve(Buffer.concat(chunks)); });
    request.on('error', (error) => { if (!failed) reject(error); });
  });
}

/** MediaType is one parsed entry of a Content-Type or Accept header. */
export interface MediaType {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses a media type list (`a/b;x=y, c/d`), lower-casing the type. */
export function parseMediaTypes(header: string | undefined): MediaType[] {
  if (header === undefined || header.trim() === '') return [];
  return header.split(',').slice(0, 32).map((entry) => {
    const [type, ...params] = entry.split(';');
    const parsed: Record<string, string> = {};
    for (const param of params) {
      const at = param.indexOf('=');
      if (at > 0) parsed[param.slice(0, at).trim()] = param.slice(at + 1).trim();
    }
    return { type: (type ?? '').trim().toLowerCase(), params: parsed };
  });
}

/** ResponseShape is what a GET should answer with, decided from Accept. */
export type ResponseShape = 'object' | 'table' | 'metadata';

/**
 * Picks the response shape from Accept the way the apiserver's negotiation does: the first
 * acceptable entry wins; `as=Table;g=meta.k8s.io` → Table, `as=PartialObjectMetadata[List]`
 * → metadata only, plain JSON (or protobuf, or anything else) → the object as JSON.
 */
export function responseShape(accept: string | undefined): ResponseShape {
  for (const media of parseMediaTypes(accept)) {
    const as = media.params.as;
    if (as === undefined) {
      if (media.type === 'application/json' || media.type === '*/*' ||
        media.type === 'application/vnd.kubernetes.protobuf' || media.type === 'application/*') {
        return 'object';
      }
      continue;
    }
    const groupOk = media.params.g === 'meta.k8s.io' &&
      (media.params.v === 'v1' || media.params.v === 'v1beta1');
    if (!groupOk) continue;
    if (as === 'Table') return 'table';
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return 'metadata';
  }
  return 'object';
}

/** Reads a boolean query parameter ("true"/"1"). */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value === 'true' || value === '1';
}

/** Reads a non-negative integer query parameter; 400 when malformed. */
export function queryInteger(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^\d{1,15}$/.test(value)) {
    throw newBadRequest(`invalid ${name} parameter "${value}": must be a non-negative integer`);
  }
  return Number(value);
}

/**
 * Parses a resourceVersion parameter: undefined when absent or empty, 0 for "0", else a
 * positive revision; anything else is 400 as upstream ("invalid resource version").
 */
export function parseResourceVersion(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (!/^\d{1,15}$/.test(value)) {
    throw newBadRequest(`invalid resource version "${value}": must be a decimal revision`);
  }
  return Number(value);
}
