/**
 * @module bench/api-noop-server
 * An instant-answer HTTP server for measuring `coracle bench api`'s own client ceiling: it
 * never parses a body and answers each path the benchmark uses with bytes captured from the
 * real cluster in the same run (one pod, the 1,000- and 10,000-pod lists), so the client
 * does the same reading work as against a peer. A POST into the watch namespace is echoed,
 * as an ADDED line, to every open watch on that namespace, so watch delivery has a ceiling
 * too. It runs on a worker thread of the benchmark process (api-noop-worker.ts): in-process,
 * but not on the client's event loop.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../transport/proto.js';
import { namespaceNames } from './api-operations.js';

/** NoopBodies are the answers, captured from the real cluster. */
export interface NoopBodies {
  readonly pod: string;
  readonly list1k: string;
  readonly list10k: string;
  /** A list answer for any other namespace (the watch namespace's resourceVersion). */
  readonly emptyList: string;
}

function reply(response: ServerResponse, status: number, body: Buffer): void {
  response.writeHead(status, { 'Content-Type': 'application/json',
    'Content-Length': String(body.length) });
  response.end(body);
}

function drain(request: IncomingMessage): Promise<string> {
  return new Promise((resolveBody) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
  });
}

/** Starts the no-op server on 127.0.0.1:`port` (0: any); resolves with it listening. */
export async function startNoopAPIServer(bodies: NoopBodies, port: number): Promise<Server> {
  const encoded = { pod: Buffer.from(bodies.pod), list1k: Buffer.from(bodies.list1k),
    list10k: Buffer.from(bodies.list10k), emptyList: Buffer.from(bodies.emptyList) };
  const watchers = new Set<ServerResponse>();
  const watchPath = `/api/v1/namespaces/${namespaceNames.watch}/pods`;
  const server = createServer({ keepAliveTimeout: 65_000 }, (request, response) => {
    const url = request.url ?? '/';
    if (request.method === 'POST') {
      void drain(request).then((body) => {
        reply(response, 201, encoded.pod);
        if (!url.startsWith(watchPath)) return;
        const line = `{"type":"ADDED","object":${body}}\n`;
        for (const watcher of watchers) watcher.write(line);
      });
      return;
    }
    if (request.method === 'PUT') {
      void drain(request).then(() => reply(response, 200, encoded.pod));
      return;
    }
    if (url.includes('watch=1')) {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.flushHeaders();
      watchers.add(response);
      response.once('close', () => watchers.delete(response));
      return;
    }
    request.resume();
    reply(response, 200, answerGet(url, encoded));
  });
  await new Promise<void>((resolveListen) => server.listen(port, '127.0.0.1', resolveListen));
  return server;
}

function answerGet(url: string, encoded: Record<keyof NoopBodies, Buffer>): Buffer {
  const path = url.split('?')[0] ?? url;
  if (path.endsWith(`/${namespaceNames.list1k}/pods`)) return encoded.list1k;
  if (path.endsWith(`/${namespaceNames.list10k}/pods`)) return encoded.list10k;
  if (path.endsWith('/pods')) return encoded.emptyList;
  return encoded.pod;
}

/** Returns the port `server` listens on. */
export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

/** NoopWorker is the no-op server running on its worker thread. */
export interface NoopWorker {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** The compiled worker entry (worker threads cannot load TypeScript sources). */
function noopWorkerPath(): string {
  return join(packageRoot(), 'dist', 'src', 'bench', 'api-noop-worker.js');
}

/** Starts the no-op server on a worker thread; resolves once it listens. */
export async function startNoopAPIWorker(bodies: NoopBodies): Promise<NoopWorker> {
  const path = noopWorkerPath();
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build`);
  const worker = new Worker(path, { workerData: bodies });
  const port = await new Promise<number>((resolvePort, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: { port: number }) => resolvePort(message.port));
  });
  return {
    endpoint: `127.0.0.1:${port}`,
    stop: async () => {
      const exited = new Promise<void>((resolveExit) => worker.once('exit', () => resolveExit()));
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), 2_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
