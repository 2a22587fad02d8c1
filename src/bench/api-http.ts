/**
 * @module bench/api-http
 * The lean HTTP/1.1 client of `coracle bench api`: Node's `http.Agent` with keep-alive and
 * `maxSockets` sized to the load's concurrency (undici is not a dependency, and none is
 * added), pre-built JSON bodies, and responses either kept as text (small objects, whose
 * resourceVersion the caller needs) or only counted (lists: reading every byte is part of
 * the latency, parsing it is not). Watches get their own socket outside the pool and hand
 * each complete line to the caller.
 *
 * A non-2xx answer, a socket error or a request past its deadline rejects with an Error
 * naming the request; the load runners count it and go on.
 */
import { Agent, request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';

/** APIReply is one answered request. */
export interface APIReply {
  readonly status: number;
  /** The body as text; empty when the caller asked only for its size. */
  readonly text: string;
  readonly bytes: number;
}

/** How much of a response body the caller needs. */
export type BodyUse = 'text' | 'count';

/** WatchHandle is one open watch stream. */
export interface WatchHandle {
  /** Resolves once the response headers (200) arrived, so the watch is registered. */
  readonly ready: Promise<void>;
  close(): void;
}

/** Splits `host:port`. */
export function splitEndpoint(endpoint: string): { host: string; port: number } {
  const at = endpoint.lastIndexOf(':');
  const port = Number(endpoint.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`invalid endpoint "${endpoint}": want host:port`);
  }
  return { host: endpoint.slice(0, at), port };
}

/** APIClient sends requests to one API endpoint over a bounded keep-alive socket pool. */
export class APIClient {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;
  private readonly requestTimeoutMs: number;
  private readonly watches = new Set<ClientRequest>();

  /** Creates a client of `endpoint` with at most `maxSockets` connections. */
  constructor(readonly endpoint: string, options: { maxSockets: number;
    requestTimeoutMs: number }) {
    ({ host: this.host, port: this.port } = splitEndpoint(endpoint));
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets,
      maxFreeSockets: options.maxSockets, scheduling: 'lifo' });
    this.requestTimeoutMs = options.requestTimeoutMs;
  }

  /** Sends one request; resolves on a 2xx with the whole body read, else rejects. */
  request(method: string, path: string, options: { body?: string; use?: BodyUse } = {}):
    Promise<APIReply> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(options.body));
    }
    return new Promise((resolveReply, reject) => {
      const outgoing = httpRequest({ host: this.host, port: this.port, method, path, headers,
        agent: this.agent });
      outgoing.setTimeout(this.requestTimeoutMs, () => outgoing.destroy(
        new Error(`${method} ${path}: no answer within ${this.requestTimeoutMs} ms`)));
      outgoing.once('error', reject);
      outgoing.once('response', (response) => {
        readBody(response, options.use ?? 'text').then((reply) => {
          if (reply.status >= 200 && reply.status < 300) resolveReply(reply);
          else reject(new Error(`${method} ${path}: ${reply.status} ${reply.text.slice(0, 200)}`));
        }, reject);
      });
      outgoing.end(options.body);
    });
  }

  /** Opens a watch at `path` (which MUST ask `watch=1`); `onLine` gets each event line. */
  watch(path: string, onLine: (line: string) => void): WatchHandle {
    let pending = '';
    const outgoing = httpRequest({ host: this.host, port: this.port, method: 'GET', path,
      headers: { Accept: 'application/json' }, agent: false });
    this.watches.add(outgoing);
    const ready = new Promise<void>((resolveReady, reject) => {
      outgoing.once('error', reject);
      outgoing.once('response', (response) => {
        if (response.statusCode !== 200) {
          reject(new Error(`watch ${path}: ${response.statusCode ?? 0}`));
          response.resume();
          return;
        }
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          pending += chunk;
          let newline = pending.indexOf('\n');
          while (newline >= 0) {
            onLine(pending.slice(0, newline));
            pending = pending.slice(newline + 1);
            newline = pending.indexOf('\n');
          }
        });
        response.on('error', () => undefined);
        resolveReady();
      });
      outgoing.end();
    });
    return { ready, close: () => {
      this.watches.delete(outgoing);
      outgoing.destroy();
    } };
  }

  /** Closes every pooled socket and open watch. */
  close(): void {
    for (const watch of this.watches) watch.destroy();
    this.watches.clear();
    this.agent.destroy();
  }
}

function readBody(response: IncomingMessage, use: BodyUse): Promise<APIReply> {
  const status = response.statusCode ?? 0;
  return new Promise((resolveBody, reject) => {
    let bytes = 0;
    const chunks: Buffer[] = [];
    // NB: an error answer is always kept, so its Status can be reported.
    const keep = use === 'text' || status >= 300;
    response.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (keep) chunks.push(chunk);
    });
    response.once('error', reject);
    response.once('end', () => resolveBody({ status, bytes,
      text: keep ? Buffer.concat(chunks).toString('utf8') : '' }));
  });
}
