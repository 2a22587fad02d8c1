/**
 * Goal: a peer that has lost its quorum answers Kubernetes API writes (and linearizable
 * reads) quickly with 503 ServiceUnavailable and a clear Status, keeps serving reads that
 * allow staleness (resourceVersion=0), and serves writes again once the quorum is back,
 * with nothing acknowledged lost.
 * Method: three real peers with --api-listen; write through one; kill -9 the other two;
 * poll /readyz until the survivor knows no leader; check the answers; restart the two.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, ProcessCluster } from './process-cluster.js';

let cluster: ProcessCluster;

beforeAll(async () => {
  cluster = await ProcessCluster.start({ peers: 3 });
}, 60_000);

afterAll(async () => {
  await cluster.stop();
});

async function call(name: string, method: string, path: string, body?: unknown):
  Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${cluster.apiURL(name)}${path}`, {
    method, headers: { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status,
    body: text === '' ? {} : JSON.parse(text) as Record<string, unknown> };
}

const configMap = (name: string): Record<string, unknown> =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: name } });

describe('a peer without quorum', () => {
  it('answers writes with 503 at once and serves resourceVersion=0 reads', async () => {
    await eventually(async () =>
      (await call('p1', 'GET', '/api/v1/namespaces/default')).status === 200 ? true : undefined,
    20_000, 'bootstrap namespaces');
    expect((await call('p1', 'POST', '/api/v1/namespaces/default/configmaps',
      configMap('before'))).status).toBe(201);
    await cluster.kill('p2');
    await cluster.kill('p3');
    await eventually(async () => {
      const ready = await fetch(`${cluster.apiURL('p1')}/readyz`);
      return ready.status === 503 ? true : undefined;
    }, 20_000, 'p1 to notice it has no leader');

    const started = Date.now();
    const write = await call('p1', 'POST', '/api/v1/namespaces/default/configmaps',
      configMap('during'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(write.status).toBe(503);
    expect(write.body).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
    expect(String(write.body.message)).toContain('no leader');
    const stale = await call('p1', 'GET', '/api/v1/namespaces/default/configmaps/before?resourceVersion=0');
    expect(stale.status).toBe(200);
    expect(stale.body.data).toEqual({ k: 'before' });
    const list = await call('p1', 'GET', '/api/v1/namespaces/default/configmaps?resourceVersion=0');
    expect(list.status).toBe(200);
    const linearizable = await call('p1', 'GET', '/api/v1/namespaces/default/configmaps/before');
    expect(linearizable.status).toBe(503);

    cluster.spawn('p2');
    cluster.spawn('p3');
    await cluster.waitForLeader(['p1', 'p2', 'p3'], 30_000);
    const after = await eventually(async () => {
      const reply = await call('p1', 'POST', '/api/v1/namespaces/default/configmaps',
        configMap('after'));
      return reply.status === 201 ? reply : undefined;
    }, 20_000, 'a write after the quorum is back');
    expect(after.status).toBe(201);
    const read = await call('p3', 'GET', '/api/v1/namespaces/default/configmaps/before');
    expect(read.body.data).toEqual({ k: 'before' });
  }, 120_000);
});
