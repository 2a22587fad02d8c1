/**
 * Goal: a peer whose own state lags the cluster (a follower that has not applied the latest
 * entries yet) still answers as the cluster would. Found by the real-kubectl e2e suite:
 * `kubectl create namespace` through one peer, then a create inside that namespace through
 * another peer, failed with `namespaces "..." not found` because the namespace check read
 * only the peer's local state (upstream's NamespaceLifecycle makes a live lookup when its
 * cache misses); likewise a server dry-run create must see objects created through any peer,
 * and a GET with resourceVersion=N ("not older than N") must not answer from state older
 * than N.
 * Method: the real API server over a LocalBackend wrapped as a lagging follower: after
 * `freeze()`, serializable (`local`) ranges read at the frozen revision and report it as
 * current, until a linearizable range catches the peer up (a ReadIndex applies everything up
 * to the read index before answering). Driven with fetch on 127.0.0.1:0.
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
/** The revision this peer has applied, while it lags; undefined once caught up. */
let appliedRevision: number | undefined;

/** Makes the peer lag at the current revision: later writes are not applied locally. */
async function freeze(): Promise<void> {
  const current = await backend.range({ key: new TextEncoder().encode('\0'), countOnly: true });
  appliedRevision = current.header.revision;
}

/** Wraps `inner` as a lagging follower (see the file comment). */
function laggingBackend(inner: LocalBackend): EtcdBackend {
  const range = async (request: RangeRequest): Promise<RangeResponse> => {
    if (request.serializable !== true) {
      appliedRevision = undefined;
      return inner.range(request);
    }
    if (appliedRevision === undefined) return inner.range(request);
    const revision = Math.min(request.revision ?? appliedRevision, appliedRevision) ||
      appliedRevision;
    const response = await inner.range({ ...request, revision });
    return { ...response, header: { ...response.header, revision: appliedRevision } };
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

describe('a peer whose local state lags', () => {
  it('creates inside a namespace it has not applied yet; still refuses a missing one',
    async () => {
      await freeze();
      expect((await post('/api/v1/namespaces', { metadata: { name: 'fresh' } })).status)
        .toBe(201);
      expect((await post('/api/v1/namespaces/fresh/configmaps', configMap('inside'))).status)
        .toBe(201);
      await freeze();
      expect(await post('/api/v1/namespaces/never/configmaps', configMap('x')))
        .toEqual({ status: 404, message: 'namespaces "never" not found' });
    });

  it('answers AlreadyExists to a dry-run create of an object it has not applied', async () => {
    await freeze();
    expect((await post('/api/v1/namespaces/default/configmaps', configMap('taken'))).status)
      .toBe(201);
    expect(await post('/api/v1/namespaces/default/configmaps?dryRun=All', configMap('taken')))
      .toEqual({ status: 409, message: 'configmaps "taken" already exists' });
    await freeze();
    expect((await post('/api/v1/namespaces/default/configmaps?dryRun=All',
      configMap('free'))).status).toBe(201);
  });

  it('catches up before a GET with resourceVersion=N; 0 may read its own state', async () => {
    await freeze();
    const created = await fetch(`${base}/api/v1/namespaces/default/configmaps`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(configMap('recent')),
    });
    const rv = (await created.json() as { metadata: { resourceVersion: string } })
      .metadata.resourceVersion;
    const path = `${base}/api/v1/namespaces/default/configmaps/recent`;
    const any = await fetch(`${path}?resourceVersion=0`);
    await any.arrayBuffer();
    expect(any.status).toBe(404);
    const notOlder = await fetch(`${path}?resourceVersion=${rv}`);
    expect(notOlder.status).toBe(200);
    expect((await notOlder.json() as { metadata: { resourceVersion: string } })
      .metadata.resourceVersion).toBe(rv);
    const future = await fetch(`${path}?resourceVersion=${Number(rv) + 1000}`);
    expect((await future.json() as { code: number; message: string }))
      .toEqual(expect.objectContaining({ code: 504,
        message: expect.stringMatching(/^Too large resource version: /) as unknown }));
  });
});
