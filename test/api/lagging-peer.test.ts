/**
 * Goal: a peer whose own state lags the cluster (a follower that has not applied the latest
 * entries yet) still answers writes as the cluster would. Found by the real-kubectl e2e
 * suite: `kubectl create namespace` through one peer, then a create inside that namespace
 * through another peer, failed with `namespaces "..." not found` because the namespace check
 * read only the peer's local state. Upstream's NamespaceLifecycle makes a live lookup when its
 * cache misses; a server dry-run create must see objects created through any peer too.
 * Method: the real API server over a LocalBackend wrapped so that, once `lagging` is set,
 * every serializable (`local`) range answers as if nothing had been applied, while
 * linearizable ranges and writes reach the store; driven with fetch on 127.0.0.1:0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAPIServer, type RunningAPIServer } from '../../src/api/server.js';
import type { EtcdBackend } from '../../src/server/etcd-api/backend.js';
import { LocalBackend } from '../../src/server/etcd-api/local-backend.js';
import type { RangeRequest, RangeResponse } from '../../src/store/types.js';
import { silentLogger } from '../../src/util/logger.js';

let backend: LocalBackend;
let server: RunningAPIServer;
let base = '';
/** While true, local reads see an empty store (the peer applied nothing yet). */
let lagging = false;

/** Wraps `inner` so serializable ranges see nothing while `lagging` is set. */
function laggingBackend(inner: LocalBackend): EtcdBackend {
  const range = async (request: RangeRequest): Promise<RangeResponse> => {
    const response = await inner.range(request);
    return lagging && request.serializable === true
      ? { ...response, kvs: [], more: false, count: 0 } : response;
  };
  return new Proxy(inner, {
    get: (target, property, receiver): unknown => (property === 'range' ? range
      : Reflect.get(target, property, receiver) as unknown),
  });
}

async function post(path: string, body: unknown): Promise<{ status: number; message: string }> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const reply = await response.json() as { message?: string };
  return { status: response.status, message: reply.message ?? '' };
}

const configMap = (name: string): unknown =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } });

beforeAll(async () => {
  backend = new LocalBackend();
  server = await startAPIServer({ listen: '127.0.0.1:0', backend: laggingBackend(backend),
    logger: silentLogger });
  base = `http://127.0.0.1:${server.port}`;
  const deadline = Date.now() + 5000;
  while ((await fetch(`${base}/api/v1/namespaces/default`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('bootstrap namespaces not created in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
});

afterAll(async () => {
  await server.close();
  backend.close();
});

describe('writes on a peer whose local state lags', () => {
  it('creates inside a namespace this peer has not applied yet; refuses a missing one',
    async () => {
      expect((await post('/api/v1/namespaces', { metadata: { name: 'fresh' } })).status)
        .toBe(201);
      lagging = true;
      try {
        expect((await post('/api/v1/namespaces/fresh/configmaps', configMap('inside'))).status)
          .toBe(201);
        expect(await post('/api/v1/namespaces/never/configmaps', configMap('x')))
          .toEqual({ status: 404, message: 'namespaces "never" not found' });
      } finally {
        lagging = false;
      }
    });

  it('answers AlreadyExists to a dry-run create of an object this peer has not applied',
    async () => {
      expect((await post('/api/v1/namespaces/default/configmaps', configMap('taken'))).status)
        .toBe(201);
      lagging = true;
      try {
        expect(await post('/api/v1/namespaces/default/configmaps?dryRun=All', configMap('taken')))
          .toEqual({ status: 409, message: 'configmaps "taken" already exists' });
        expect((await post('/api/v1/namespaces/default/configmaps?dryRun=All',
          configMap('free'))).status).toBe(201);
      } finally {
        lagging = false;
      }
    });
});
