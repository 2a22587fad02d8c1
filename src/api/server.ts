/**
 * @module api/server
 * The Kubernetes REST API of one peer (DESIGN §6): plain HTTP on `--api-listen`, served by
 * EVERY peer over its own replicated store. Routes: `/version`, `/healthz` `/livez`
 * `/readyz`, discovery (`/api`, `/apis`, `/api/v1`, `/apis/<g>[/<v>]`), `/openapi/v3[/…]`,
 * and every resource path. Every failure is answered with a Status; a handler bug becomes a
 * 500 Status and a log line, never a crashed peer.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resourceDefinitions } from '../resources/registry.js';
import type { EtcdBackend } from '../server/etcd-api/backend.js';
import type { Logger } from '../util/logger.js';
import { parseIPRange, serviceClusterIPRangeDefault } from './allocators.js';
import { ensureBootstrapObjects } from './bootstrap.js';
import type { HandlerContext } from './context.js';
import {
  aggregatedDiscovery, aggregatedDiscoveryType, apiResourceList, kubernetesVersion,
  legacyAPIGroup, legacyAPIGroupList, legacyAPIVersions, openAPIGroupVersion, openAPIIndex,
  wantsAggregated,
} from './discovery.js';
import { handleResource } from './handlers.js';
import { ObjectStore } from './object-store.js';
import { sendError, sendJSON } from './reply.js';
import { Registry } from './registry-index.js';
import { parseResourcePath } from './request.js';
import { bookmarkIntervalMsDefault } from './watch.js';
import { newPathNotFound, newNotFound } from './status.js';

/** Options of the API server. */
export interface APIServerOptions {
  /** host:port to listen on (port 0 picks a free one). */
  readonly listen: string;
  readonly backend: EtcdBackend;
  readonly logger: Logger;
  /** CIDR Service cluster IPs come from. Default 10.96.0.0/12. */
  readonly serviceClusterIPRange?: string;
  /** False when this peer knows no leader; default: always true (single-process tests). */
  readonly leaderKnown?: () => boolean;
  /** Interval of watch bookmarks, in ms (1..3,600,000). Default 60,000. */
  readonly bookmarkIntervalMs?: number;
  /** Clock; default the system clock. */
  readonly now?: () => Date;
}

/** RunningAPIServer is a listening API server. */
export interface RunningAPIServer {
  readonly port: number;
  close(): Promise<void>;
}

function splitHostPort(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  const port = Number(listen.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid --api-listen "${listen}": want host:port`);
  }
  return { host: listen.slice(0, at), port };
}

/** Starts the API server; resolves once it listens. */
export async function startAPIServer(options: APIServerOptions): Promise<RunningAPIServer> {
  const context: HandlerContext = {
    store: new ObjectStore(options.backend), registry: new Registry(resourceDefinitions),
    now: options.now ?? (() => new Date()), random: Math.random, newUID: randomUUID,
    ipRange: parseIPRange(options.serviceClusterIPRange ?? serviceClusterIPRangeDefault),
    leaderKnown: options.leaderKnown ?? (() => true),
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? bookmarkIntervalMsDefault,
    logger: options.logger,
  };
  const serverOptions = { keepAliveTimeout: 65_000, requestTimeout: 0 };
  const server = createServer(serverOptions, (request, response) => {
    handle(context, request, response).catch((error: unknown) => {
      const failure = sendError(response, error);
      if (failure.httpCode >= 500 && failure.httpCode !== 503 && failure.httpCode !== 504) {
        options.logger.error({ err: error, method: request.method, url: request.url },
          'API request failed');
      }
    });
  });
  server.maxConnections = 10_000;
  server.headersTimeout = 30_000;
  const { host, port } = splitHostPort(options.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bootstrap = ensureBootstrapObjects(context);
  return {
    port: (server.address() as AddressInfo).port,
    close: () => closeServer(server, bootstrap),
  };
}

async function closeServer(server: Server, bootstrap: { stop(): void }): Promise<void> {
  bootstrap.stop();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function handle(context: HandlerContext, request: IncomingMessage,
  response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://coracle');
  const path = url.pathname.length > 1 && url.pathname.endsWith('/')
    ? url.pathname.slice(0, -1) : url.pathname;
  if (handleFixed(context, request, response, path)) return;
  const resourcePath = parseResourcePath(path);
  if (resourcePath === undefined) throw newPathNotFound(path);
  const definition = context.registry.find(resourcePath.group, resourcePath.version,
    resourcePath.resource);
  if (definition === undefined) throw newPathNotFound(path);
  await handleResource(context, {
    http: request, response, path: resourcePath, definition, query: url.searchParams,
  });
}

function handleFixed(context: HandlerContext, request: IncomingMessage,
  response: ServerResponse, path: string): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const registry = context.registry;
  const accept = request.headers.accept;
  switch (path) {
    case '/version': sendJSON(response, 200, kubernetesVersion); return true;
    case '/healthz': case '/livez': sendText(response, 200, 'ok'); return true;
    case '/readyz':
      if (context.leaderKnown()) sendText(response, 200, 'ok');
      else sendText(response, 503, '[-]raft-leader failed: this peer knows no leader\nreadyz check failed');
      return true;
    case '/api': case '/apis': {
      const version = wantsAggregated(accept);
      if (version !== undefined) {
        sendJSON(response, 200, aggregatedDiscovery(registry, path === '/api', version), {
          contentType: aggregatedDiscoveryType.replace('v=v2', `v=${version}`) });
      } else {
        sendJSON(response, 200, path === '/api'
          ? legacyAPIVersions(request.headers.host ?? '127.0.0.1') : legacyAPIGroupList(registry));
      }
      return true;
    }
    case '/openapi/v3': sendJSON(response, 200, openAPIIndex(registry)); return true;
    default: return handleDiscoveryPath(registry, response, path);
  }
}

function handleDiscoveryPath(registry: Registry, response: ServerResponse, path: string): boolean {
  const parts = path.split('/').filter((part) => part !== '');
  if (parts[0] === 'openapi' && parts[1] === 'v3' && parts.length >= 4) {
    const [group, version] = parts[2] === 'api' ? ['', parts[3]!] : [parts[3]!, parts[4] ?? ''];
    const document = openAPIGroupVersion(registry, group, version);
    if (document === undefined) throw newPathNotFound(path);
    sendJSON(response, 200, document);
    return true;
  }
  if (parts[0] === 'api' && parts.length === 2) {
    const list = apiResourceList(registry, '', parts[1]!);
    if (list === undefined) throw newPathNotFound(path);
    sendJSON(response, 200, list);
    return true;
  }
  if (parts[0] === 'apis' && parts.length === 2) {
    const group = legacyAPIGroup(registry, parts[1]!);
    if (group === undefined) throw newNotFound({ group: '', resource: 'apigroups' }, parts[1]!);
    sendJSON(response, 200, group);
    return true;
  }
  if (parts[0] === 'apis' && parts.length === 3) {
    const list = apiResourceList(registry, parts[1]!, parts[2]!);
    if (list === undefined) throw newPathNotFound(path);
    sendJSON(response, 200, list);
    return true;
  }
  return false;
}

function sendText(response: ServerResponse, code: number, text: string): void {
  response.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)) });
  response.end(text);
}
