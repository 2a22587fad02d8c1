/**
 * @module bench/api-noop-worker
 * Worker-thread entry of the no-op API server (api-noop-server.ts): starts it with the
 * bodies in `workerData` on a free loopback port, posts `{ port }`, and on the message
 * 'stop' closes every connection and exits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { portOf, startNoopAPIServer } from './api-noop-server.js';
import type { NoopBodies } from './api-noop-server.js';

const port = parentPort;
if (port === null) throw new Error('api-noop-worker must run as a worker thread');
const server = await startNoopAPIServer(workerData as NoopBodies, 0);
port.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
port.postMessage({ port: portOf(server) });
