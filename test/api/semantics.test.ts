/**
 * Goal: the finer Kubernetes semantics of the API layer: watch 410 after compaction, Table
 * and metadata-only shapes, generateName, deletion with propagation policies and graceful
 * pod deletion, namespace deletion with its contents, create-on-update kinds, warnings
 * under fieldValidation=Warn, deletecollection with selectors, and 503 when this peer knows
 * no leader (with resourceVersion=0 reads still served).
 * Method: the real API server over a LocalBackend on 127.0.0.1:0, driven with fetch.
 */
import { get as httpGet, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAPIServer, type RunningAPIServer } from '../../src/api/server.js';
import { LocalBackend } from '../../src/server/etcd-api/local-backend.js';
import { silentLogger } from '../../src/util/logger.js';

let backend: LocalBackend;
let server: RunningAPIServer;
let base: string;
let leaderKnown = true;

interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(method: string, path: string, body?: unknown,
  headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${base}${path}`, {
    method, headers: { 'Content-Type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers,
    body: text === '' ? {} : JSON.parse(text) as Record<string, unknown> };
}

function meta(reply: Reply): Record<string, unknown> {
  return reply.body.metadata as Record<string, unknown>;
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('condition not met in time');
}

async function firstLine(path: string): Promise<Record<string, unknown>> {
  const controller = new AbortController();
  const response = await fetch(`${base}${path}`, { signal: controller.signal });
  const reader = response.body!.getReader();
  let buffer = '';
  const deadline = Date.now() + 5000;
  while (!buffer.includes('\n') && Date.now() < deadline) {
    const chunk = await reader.read();
    if (chunk.done) break;
    buffer += new TextDecoder().decode(chunk.value as Uint8Array);
  }
  controller.abort();
  return JSON.parse(buffer.slice(0, buffer.indexOf('\n'))) as Record<string, unknown>;
}

beforeAll(async () => {
  backend = new LocalBackend();
  server = await startAPIServer({ listen: '127.0.0.1:0', backend, logger: silentLogger,
    leaderKnown: () => leaderKnown });
  base = `http://127.0.0.1:${server.port}`;
  await eventually(async () => (await call('GET', '/api/v1/namespaces/default')).status === 200);
});

afterAll(async () => {
  await server.close();
  backend.close();
});

const pod = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'x' } },
  spec: { containers: [{ name: 'c', image: 'busybox:1.36' }], ...extra },
});

describe('watch', () => {
  it('answers a watch from a compacted resourceVersion with a 410 Expired ERROR event', async () => {
    const first = await call('POST', '/api/v1/namespaces/default/configmaps',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'old' } });
    const rv = Number(meta(first).resourceVersion);
    await call('PATCH', '/api/v1/namespaces/default/configmaps/old', { data: { a: 'b' } },
      { 'Content-Type': 'application/merge-patch+json' });
    await backend.compact({ revision: rv + 1 });
    const event = await firstLine(
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv - 1}`);
    expect(event.type).toBe('ERROR');
    expect(event.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    const exact = await call('GET',
      `/api/v1/namespaces/default/configmaps?resourceVersion=${rv - 1}&resourceVersionMatch=Exact`);
    expect(exact.status).toBe(410);
    const future = await call('GET',
      '/api/v1/namespaces/default/configmaps?resourceVersion=99999999&resourceVersionMatch=Exact');
    expect(future.status).toBe(504);
    expect(future.body.reason).toBe('Timeout');
  });

  it('sends Table rows under a Table Accept', async () => {
    const event = await firstLine('/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0');
    expect(event.type).toBe('ADDED');
    const table = event.object as { kind: string; rows: { cells: unknown[] }[] };
    expect(table.kind).toBe('ConfigMap');
    const controller = new AbortController();
    const response = await fetch(`${base}/api/v1/namespaces?watch=true&resourceVersion=0`, {
      signal: controller.signal,
      headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
    });
    expect(response.headers.get('content-type')).toContain('as=Table');
    const chunk = await response.body!.getReader().read();
    controller.abort();
    const line = JSON.parse(new TextDecoder().decode(chunk.value as Uint8Array).split('\n')[0]!) as
      { object: { kind: string; rows: { cells: unknown[] }[] } };
    expect(line.object.kind).toBe('Table');
    expect(line.object.rows).toHaveLength(1);
  });
});

async function lines(path: string, count: number): Promise<Record<string, unknown>[]> {
  const controller = new AbortController();
  const response = await fetch(`${base}${path}`, { signal: controller.signal });
  const reader = response.body!.getReader();
  let buffer = '';
  const deadline = Date.now() + 5000;
  while (buffer.split('\n').length <= count && Date.now() < deadline) {
    const chunk = await reader.read();
    if (chunk.done) break;
    buffer += new TextDecoder().decode(chunk.value as Uint8Array);
  }
  controller.abort();
  return buffer.split('\n').slice(0, count).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('watch list (sendInitialEvents)', () => {
  it('sends the state, then a bookmark marking the end of the initial events', async () => {
    await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'wl' } });
    for (const name of ['a', 'b']) {
      await call('POST', '/api/v1/namespaces/wl/configmaps',
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
    }
    const events = await lines('/api/v1/namespaces/wl/configmaps?watch=true&sendInitialEvents=true' +
      '&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&resourceVersion=1', 3);
    expect(events.map((event) => event.type)).toEqual(['ADDED', 'ADDED', 'BOOKMARK']);
    const bookmark = events[2]!.object as { metadata: { annotations: Record<string, string> } };
    expect(bookmark.metadata.annotations['k8s.io/initial-events-end']).toBe('true');
  });
});

describe('slow watchers', () => {
  it('closes a watcher that does not read with a 410 ERROR instead of buffering', async () => {
    await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'slow' } });
    const response = await new Promise<IncomingMessage>((resolve) => {
      httpGet(`${base}/api/v1/namespaces/slow/configmaps?watch=true&resourceVersion=1`, resolve);
    });
    response.pause();
    // Far more events than a watcher may have queued (10,000), each a few hundred bytes.
    const value = Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'x', namespace: 'slow' }, data: { pad: 'p'.repeat(200) } }));
    for (let i = 0; i < 12_500; i++) {
      await backend.put({ key: Buffer.from(`/registry/configmaps/slow/x${i % 50}`), value });
    }
    const text = await new Promise<string>((resolve, reject) => {
      let body = '';
      const timer = setTimeout(() => reject(new Error('the watch was not closed')), 15_000);
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => { clearTimeout(timer); resolve(body); });
      response.resume();
    });
    const events = text.trim().split('\n').map((line) => JSON.parse(line) as
      { type: string; object: { code?: number } });
    expect(events.length).toBeLessThan(12_500);
    expect(events[events.length - 1]).toMatchObject({ type: 'ERROR', object: { code: 410 } });
  }, 60_000);
});

describe('create and update', () => {
  it('fills the name from generateName and returns PartialObjectMetadata when asked', async () => {
    const created = await call('POST', '/api/v1/namespaces/default/configmaps',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
    expect(created.status).toBe(201);
    expect(meta(created).name).toMatch(/^gen-[a-z0-9]{5}$/);
    const partial = await call('GET', `/api/v1/namespaces/default/configmaps/${String(meta(created).name)}`,
      undefined, { Accept: 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io' });
    expect(partial.body.kind).toBe('PartialObjectMetadata');
    expect(partial.body.data).toBeUndefined();
  });

  it('warns about unknown fields under the default Warn mode and stores the object', async () => {
    const created = await call('POST', '/api/v1/namespaces/default/configmaps',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'warned' }, bogus: 1 });
    expect(created.status).toBe(201);
    expect(created.headers.get('warning')).toContain('unknown field \\"bogus\\"');
  });

  it('updates of a missing object are 404, except for kinds that create on update', async () => {
    const missing = await call('PUT', '/api/v1/namespaces/default/configmaps/none',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'none' } });
    expect(missing.status).toBe(404);
    const lease = await call('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', {
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1' },
      spec: { holderIdentity: 'n1', leaseDurationSeconds: 40 } });
    expect(lease.status).toBe(201);
  });

  it('keeps status on main-resource updates and spec on status updates', async () => {
    const created = await call('POST', '/api/v1/namespaces/default/pods', pod('st1'));
    expect((created.body.status as { phase: string }).phase).toBe('Pending');
    const statusUpdate = await call('PUT', '/api/v1/namespaces/default/pods/st1/status', {
      ...created.body, spec: { ...(created.body.spec as object), activeDeadlineSeconds: 5 },
      status: { phase: 'Running' } });
    expect(statusUpdate.status).toBe(200);
    expect((statusUpdate.body.status as { phase: string }).phase).toBe('Running');
    expect((statusUpdate.body.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds)
      .toBeUndefined();
    const relabel = await call('PATCH', '/api/v1/namespaces/default/pods/st1',
      { metadata: { labels: { extra: 'y' } }, status: { phase: 'Failed' } },
      { 'Content-Type': 'application/merge-patch+json' });
    expect((relabel.body.status as { phase: string }).phase).toBe('Running');
  });
});

describe('delete', () => {
  it('records Foreground and Orphan propagation as finalizers', async () => {
    for (const [name, policy, finalizer] of [['fg', 'Foreground', 'foregroundDeletion'],
      ['or', 'Orphan', 'orphan']] as const) {
      await call('POST', '/api/v1/namespaces/default/configmaps',
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
      const deleting = await call('DELETE', `/api/v1/namespaces/default/configmaps/${name}`,
        { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: policy });
      expect(deleting.status).toBe(200);
      expect(meta(deleting).finalizers).toEqual([finalizer]);
      expect(meta(deleting).deletionTimestamp).toBeDefined();
    }
  });

  it('deletes a pod bound to a node gracefully, and an unbound one at once', async () => {
    await call('POST', '/api/v1/namespaces/default/pods', pod('bound', { nodeName: 'n1' }));
    const graceful = await call('DELETE', '/api/v1/namespaces/default/pods/bound');
    expect(meta(graceful).deletionGracePeriodSeconds).toBe(30);
    expect((await call('GET', '/api/v1/namespaces/default/pods/bound')).status).toBe(200);
    const forced = await call('DELETE', '/api/v1/namespaces/default/pods/bound?gracePeriodSeconds=0');
    expect(forced.status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/default/pods/bound')).status).toBe(404);
    await call('POST', '/api/v1/namespaces/default/pods', pod('unbound'));
    await call('DELETE', '/api/v1/namespaces/default/pods/unbound');
    expect((await call('GET', '/api/v1/namespaces/default/pods/unbound')).status).toBe(404);
  });

  it('checks a uid precondition', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pre' } });
    const wrong = await call('DELETE', '/api/v1/namespaces/default/configmaps/pre',
      { preconditions: { uid: 'not-the-uid' } });
    expect(wrong.status).toBe(409);
  });

  it('deletes a collection by label selector only', async () => {
    for (const [name, tier] of [['c1', 'a'], ['c2', 'a'], ['c3', 'b']]) {
      await call('POST', '/api/v1/namespaces/default/configmaps',
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { tier } } });
    }
    const deleted = await call('DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=tier%3Da');
    expect((deleted.body.items as unknown[]).length).toBe(2);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/c3')).status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/c1')).status).toBe(404);
  });

  it('deletes a namespace with its contents (releasing Service IPs), and refuses creates in a missing one', async () => {
    await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gone' } });
    await call('POST', '/api/v1/namespaces/gone/configmaps',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'inside' } });
    expect((await call('DELETE', '/api/v1/namespaces/gone')).status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/gone/configmaps/inside')).status).toBe(404);
    await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'svcns' } });
    const service = await call('POST', '/api/v1/namespaces/svcns/services', { apiVersion: 'v1',
      kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } });
    const ip = (service.body.spec as { clusterIP: string }).clusterIP;
    expect((await call('DELETE', '/api/v1/namespaces/svcns')).status).toBe(200);
    const reused = await call('POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1',
      kind: 'Service', metadata: { name: 'reuse' }, spec: { clusterIP: ip, ports: [{ port: 80 }] } });
    expect(reused.status).toBe(201);
    const refused = await call('POST', '/api/v1/namespaces/gone/configmaps',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' } });
    expect(refused.status).toBe(404);
  });
});

describe('a kind served in two versions (autoscaling/v1 and v2 HPA)', () => {
  const v1 = '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers';
  const v2 = '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers';

  it('stores one object both versions read and write, converting the CPU target', async () => {
    const created = await call('POST', `${v1}?fieldValidation=Strict`, {
      apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 80 } });
    expect(created.status).toBe(201);
    expect(created.body.apiVersion).toBe('autoscaling/v1');
    const asV2 = await call('GET', `${v2}/web`);
    expect((asV2.body.spec as { metrics: unknown[] }).metrics).toEqual([{ type: 'Resource',
      resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    await call('PATCH', `${v2}/web`, { spec: { behavior: { scaleDown: {
      stabilizationWindowSeconds: 60 } } } }, { 'Content-Type': 'application/merge-patch+json' });
    const patched = await call('PATCH', `${v1}/web`, { spec: { targetCPUUtilizationPercentage: 55 } },
      { 'Content-Type': 'application/merge-patch+json' });
    expect((patched.body.spec as Record<string, unknown>).targetCPUUtilizationPercentage).toBe(55);
    const after = await call('GET', `${v2}/web`);
    type Metric = { resource: { target: { averageUtilization: number } } };
    const spec = after.body.spec as { metrics: Metric[]; behavior?: unknown };
    expect(spec.metrics[0]!.resource.target.averageUtilization).toBe(55);
    expect(spec.behavior).toBeDefined();
    const list = await call('GET', v1);
    expect(list.body.kind).toBe('HorizontalPodAutoscalerList');
    const strict = await call('POST', `${v1}?fieldValidation=Strict`, {
      apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'bad' },
      spec: { metrics: [] } });
    expect(strict.status).toBe(400);
    expect((await call('DELETE', `${v1}/web`)).status).toBe(200);
    expect((await call('GET', `${v2}/web`)).status).toBe(404);
  });
});

describe('without a leader', () => {
  it('answers writes with 503 and still serves resourceVersion=0 reads', async () => {
    leaderKnown = false;
    try {
      const write = await call('POST', '/api/v1/namespaces/default/configmaps',
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'noquorum' } });
      expect(write.status).toBe(503);
      expect(write.body).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable' });
      expect(write.headers.get('retry-after')).toBe('1');
      const read = await call('GET', '/api/v1/namespaces/default/configmaps?resourceVersion=0');
      expect(read.status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
    } finally {
      leaderKnown = true;
    }
  });
});
