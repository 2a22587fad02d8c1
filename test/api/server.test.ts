/**
 * The Kubernetes API layer end to end over HTTP, on one in-process store (LocalBackend):
 * every verb, the Status of every error, watch semantics, tables, pagination, subresources.
 * Method: start the real API server on 127.0.0.1:0, talk to it with fetch, and assert the
 * wire format clients depend on. The multi-peer, real-kubectl checks are in test/e2e.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAPIServer, type RunningAPIServer } from '../../src/api/server.js';
import { LocalBackend } from '../../src/server/etcd-api/local-backend.js';
import { silentLogger } from '../../src/util/logger.js';

let backend: LocalBackend;
let server: RunningAPIServer;
let base: string;

interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(method: string, path: string, body?: unknown,
  contentType = 'application/json', accept = 'application/json'): Promise<Reply> {
  const response = await fetch(`${base}${path}`, {
    method, headers: { 'Content-Type': contentType, Accept: accept },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : JSON.parse(text) as Record<string, unknown>,
    headers: response.headers };
}

function configMap(name: string, data: Record<string, string> = { a: '1' },
  labels: Record<string, string> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('condition not met in time');
}

beforeAll(async () => {
  backend = new LocalBackend();
  server = await startAPIServer({ listen: '127.0.0.1:0', backend, logger: silentLogger,
    bookmarkIntervalMs: 200 });
  base = `http://127.0.0.1:${server.port}`;
  await eventually(async () => (await call('GET', '/api/v1/namespaces/default')).status === 200);
});

afterAll(async () => {
  await server.close();
  backend.close();
});

describe('discovery and version', () => {
  it('reports Kubernetes 1.32 and serves both discovery formats', async () => {
    const version = await call('GET', '/version');
    expect(version.body).toMatchObject({ major: '1', minor: '32' });
    const aggregated = await call('GET', '/apis', undefined, 'application/json',
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json');
    expect(aggregated.headers.get('content-type')).toContain('as=APIGroupDiscoveryList');
    const items = aggregated.body.items as { metadata: { name: string } }[];
    const groups = items.map((item) => item.metadata.name);
    expect(groups).toEqual(expect.arrayContaining(['apps', 'coordination.k8s.io', 'autoscaling']));
    const legacy = await call('GET', '/api/v1');
    const names = (legacy.body.resources as { name: string; kind: string; group?: string }[]);
    expect(names.find((entry) => entry.name === 'pods/eviction'))
      .toMatchObject({ kind: 'Eviction', group: 'policy', version: 'v1' });
    const openapi = await call('GET', '/openapi/v3/apis/apps/v1');
    type Paths = Record<string, { patch: { parameters: { name: string }[] } }>;
    const paths = openapi.body.paths as Paths;
    const deployment = paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!;
    const parameters = deployment.patch.parameters.map((parameter) => parameter.name);
    expect(parameters).toContain('fieldValidation');
  });

  it('creates the bootstrap namespaces', async () => {
    const list = await call('GET', '/api/v1/namespaces');
    const items = list.body.items as { metadata: { name: string } }[];
    const names = items.map((item) => item.metadata.name);
    expect(names).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease']));
  });
});

describe('CRUD', () => {
  it('creates with server-owned metadata, refuses duplicates, and reads back', async () => {
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', configMap('c1'));
    expect(created.status).toBe(201);
    const metadata = created.body.metadata as Record<string, string>;
    expect(metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(metadata.resourceVersion)).toBeGreaterThan(0);
    const again = await call('POST', '/api/v1/namespaces/default/configmaps', configMap('c1'));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ kind: 'Status', reason: 'AlreadyExists',
      message: 'configmaps "c1" already exists' });
    const read = await call('GET', '/api/v1/namespaces/default/configmaps/c1');
    expect(read.body.data).toEqual({ a: '1' });
    const readMetadata = read.body.metadata as Record<string, string>;
    expect(readMetadata.resourceVersion).toBe(metadata.resourceVersion);
  });

  it('answers a stale update with 409 Conflict and a fresh one with the new object', async () => {
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', configMap('c2'));
    const stale = { ...created.body, data: { a: '2' } };
    const first = await call('PUT', '/api/v1/namespaces/default/configmaps/c2', stale);
    expect(first.status).toBe(200);
    const second = await call('PUT', '/api/v1/namespaces/default/configmaps/c2',
      { ...created.body, data: { a: '3' } });
    expect(second.status).toBe(409);
    expect(second.body.reason).toBe('Conflict');
    const read = await call('GET', '/api/v1/namespaces/default/configmaps/c2');
    expect(read.body.data).toEqual({ a: '2' });
  });

  it('validates: 422 with causes for a bad name, 404 for a missing namespace', async () => {
    const invalid = await call('POST', '/api/v1/namespaces/default/configmaps', configMap('Bad_Name'));
    expect(invalid.status).toBe(422);
    expect(invalid.body.reason).toBe('Invalid');
    const details = invalid.body.details as { causes: { field: string }[] };
    expect(details.causes[0]!.field).toBe('metadata.name');
    const missing = await call('POST', '/api/v1/namespaces/nope/configmaps', configMap('x'));
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('namespaces "nope" not found');
  });

  it('rejects unknown and duplicate fields under Strict, and stores nothing', async () => {
    const unknown = await call('POST',
      '/api/v1/namespaces/default/configmaps?fieldValidation=Strict',
      { ...configMap('strict1'), dataa: { x: '1' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('unknown field "dataa"');
    const duplicate = await call('POST',
      '/api/v1/namespaces/default/configmaps?fieldValidation=Strict',
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"strict2","name":"strict3"}}');
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.message).toContain('duplicate field "metadata.name"');
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/strict1')).status).toBe(404);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/strict3')).status).toBe(404);
  });

  it('answers malformed bodies, wrong kinds and oversized bodies with a Status', async () => {
    const malformed = await call('POST', '/api/v1/namespaces/default/configmaps', '{"kind":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.kind).toBe('Status');
    const wrongKind = await call('POST', '/api/v1/namespaces/default/configmaps',
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'k' } });
    expect(wrongKind.status).toBe(400);
    const huge = await call('POST', '/api/v1/namespaces/default/configmaps',
      configMap('huge', { a: 'x'.repeat(3 * 1024 * 1024 + 10) }));
    expect(huge.status).toBe(413);
    const badRV = await call('GET', '/api/v1/namespaces/default/configmaps?resourceVersion=abc');
    expect(badRV.status).toBe(400);
  });

  it('patches with merge, JSON and strategic merge patches', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', configMap('p1', { a: '1', b: '2' }));
    const merge = await call('PATCH', '/api/v1/namespaces/default/configmaps/p1',
      { data: { b: null, c: '3' } }, 'application/merge-patch+json');
    expect(merge.body.data).toEqual({ a: '1', c: '3' });
    const json = await call('PATCH', '/api/v1/namespaces/default/configmaps/p1',
      [{ op: 'replace', path: '/data/a', value: '9' }], 'application/json-patch+json');
    expect(json.body.data).toEqual({ a: '9', c: '3' });
    const failedTest = await call('PATCH', '/api/v1/namespaces/default/configmaps/p1',
      [{ op: 'test', path: '/data/a', value: 'nope' }], 'application/json-patch+json');
    expect(failedTest.status).toBe(422);
    const strategic = await call('PATCH', '/api/v1/namespaces/default/configmaps/p1',
      { metadata: { labels: { env: 'prod' } } }, 'application/strategic-merge-patch+json');
    expect((strategic.body.metadata as { labels: Record<string, string> }).labels).toEqual({ env: 'prod' });
    const unsupported = await call('PATCH', '/api/v1/namespaces/default/configmaps/p1', {}, 'text/plain');
    expect(unsupported.status).toBe(415);
  });

  it('server-side apply creates, then merges', async () => {
    const manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa1' }, data: { k: 'v' } };
    const created = await call('PATCH', '/api/v1/namespaces/default/configmaps/ssa1?fieldManager=test',
      manifest, 'application/apply-patch+yaml');
    expect(created.status).toBe(201);
    const merged = await call('PATCH', '/api/v1/namespaces/default/configmaps/ssa1?fieldManager=test',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa1\ndata:\n  other: x\n',
      'application/apply-patch+yaml');
    expect(merged.status).toBe(200);
    expect(merged.body.data).toEqual({ k: 'v', other: 'x' });
  });

  it('dryRun=All validates but stores nothing', async () => {
    const dry = await call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', configMap('dry1'));
    expect(dry.status).toBe(201);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/dry1')).status).toBe(404);
  });

  it('deletes, then answers 404', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', configMap('d1'));
    const deleted = await call('DELETE', '/api/v1/namespaces/default/configmaps/d1');
    expect(deleted.status).toBe(200);
    const gone = await call('GET', '/api/v1/namespaces/default/configmaps/d1');
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ reason: 'NotFound', code: 404 });
  });

  it('keeps an object with finalizers until the last finalizer is removed', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps',
      { ...configMap('f1'), metadata: { name: 'f1', finalizers: ['example.com/hold'] } });
    const deleting = await call('DELETE', '/api/v1/namespaces/default/configmaps/f1');
    expect((deleting.body.metadata as Record<string, string>).deletionTimestamp).toBeDefined();
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/f1')).status).toBe(200);
    await call('PATCH', '/api/v1/namespaces/default/configmaps/f1',
      { metadata: { finalizers: null } }, 'application/merge-patch+json');
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/f1')).status).toBe(404);
  });
});

describe('lists', () => {
  it('filters by label selector and pages with limit/continue at one revision', async () => {
    await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'paging' } });
    for (let i = 0; i < 7; i++) {
      await call('POST', '/api/v1/namespaces/paging/configmaps',
        configMap(`m${i}`, {}, { tier: i % 2 === 0 ? 'even' : 'odd' }));
    }
    const even = await call('GET', '/api/v1/namespaces/paging/configmaps?labelSelector=tier%3Deven');
    expect((even.body.items as unknown[]).length).toBe(4);
    const names: string[] = [];
    let token = '';
    let rv = '';
    for (let page = 0; page < 10; page++) {
      const reply = await call('GET', `/api/v1/namespaces/paging/configmaps?limit=3${
        token === '' ? '' : `&continue=${encodeURIComponent(token)}`}`);
      const metadata = reply.body.metadata as { continue?: string; resourceVersion: string };
      if (rv === '') rv = metadata.resourceVersion;
      expect(metadata.resourceVersion).toBe(rv);
      const items = reply.body.items as { metadata: { name: string } }[];
      names.push(...items.map((item) => item.metadata.name));
      if (metadata.continue === undefined) break;
      token = metadata.continue;
    }
    expect(names).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    const badField = await call('GET',
      '/api/v1/namespaces/paging/configmaps?fieldSelector=spec.foo%3Dx');
    expect(badField.status).toBe(400);
  });

  it('answers a Table when kubectl asks for one', async () => {
    const table = await call('GET', '/api/v1/namespaces/paging/configmaps', undefined, 'application/json',
      'application/json;as=Table;v=v1;g=meta.k8s.io,application/json');
    expect(table.body.kind).toBe('Table');
    const definitions = table.body.columnDefinitions as { name: string }[];
    const columns = definitions.map((column) => column.name);
    expect(columns).toEqual(['Name', 'Data', 'Age']);
    const rows = table.body.rows as { cells: unknown[]; object: { metadata: { name: string } } }[];
    expect(rows[0]!.object.metadata.name).toBe('m0');
  });
});

describe('watch', () => {
  interface WatchEvent { type: string; object: Record<string, unknown> }
  async function collectWatch(path: string, until: (events: WatchEvent[]) => boolean):
    Promise<WatchEvent[]> {
    const controller = new AbortController();
    const response = await fetch(`${base}${path}`, { signal: controller.signal });
    const reader = response.body!.getReader();
    const events: WatchEvent[] = [];
    let buffer = '';
    const deadline = Date.now() + 5000;
    while (!until(events) && Date.now() < deadline) {
      const chunk = await reader.read();
      if (chunk.done) break;
      buffer += new TextDecoder().decode(chunk.value as Uint8Array);
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        events.push(JSON.parse(buffer.slice(0, newline)) as WatchEvent);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
      }
    }
    controller.abort();
    return events;
  }

  it('streams changes after a resourceVersion, in order, with DELETED last', async () => {
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', configMap('w1'));
    const rv = (created.body.metadata as Record<string, string>).resourceVersion!;
    const watching = collectWatch(
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`,
      (events) => events.some((event) => event.type === 'DELETED'));
    await call('PATCH', '/api/v1/namespaces/default/configmaps/w1', { data: { a: '2' } },
      'application/merge-patch+json');
    await call('DELETE', '/api/v1/namespaces/default/configmaps/w1');
    const events = (await watching)
      .filter((event) => (event.object.metadata as { name: string }).name === 'w1');
    expect(events.map((event) => event.type)).toEqual(['MODIFIED', 'DELETED']);
    const versions = events.map((event) =>
      Number((event.object.metadata as Record<string, string>).resourceVersion));
    expect(versions[0]).toBeGreaterThan(Number(rv));
    expect(versions[1]).toBeGreaterThan(versions[0]!);
  });

  it('sends the current state first for resourceVersion=0, honouring the field selector', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', configMap('w2'));
    const events = await collectWatch(
      '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0&fieldSelector=metadata.name%3Dw2',
      (seen) => seen.length >= 1);
    expect(events[0]!.type).toBe('ADDED');
    expect((events[0]!.object.metadata as { name: string }).name).toBe('w2');
  });

  it('sends bookmarks when allowed', async () => {
    const events = await collectWatch(
      '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1&allowWatchBookmarks=true',
      (seen) => seen.some((event) => event.type === 'BOOKMARK'));
    const bookmark = events.find((event) => event.type === 'BOOKMARK');
    expect(bookmark?.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1' });
  });
});

describe('kinds with allocation and subresources', () => {
  it('allocates a cluster IP and node ports, and refuses a taken IP', async () => {
    const service = await call('POST', '/api/v1/namespaces/default/services', {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 's1' },
      spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    expect(service.status).toBe(201);
    const spec = service.body.spec as
      { clusterIP: string; ports: { nodePort: number; protocol: string }[] };
    expect(spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    expect(spec.ports[0]!.nodePort).toBeGreaterThanOrEqual(30000);
    expect(spec.ports[0]!.protocol).toBe('TCP');
    const clash = await call('POST', '/api/v1/namespaces/default/services', {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 's2' },
      spec: { clusterIP: spec.clusterIP, ports: [{ port: 80 }] },
    });
    expect(clash.status).toBe(422);
  });

  it('scales a deployment through /scale and bumps its generation', async () => {
    const deployment = await call('POST', '/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: {
        metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } } },
    });
    expect(deployment.status).toBe(201);
    expect((deployment.body.metadata as { generation: number }).generation).toBe(1);
    expect((deployment.body.spec as { replicas: number }).replicas).toBe(1);
    const scaled = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale',
      { spec: { replicas: 4 } }, 'application/merge-patch+json');
    expect(scaled.body).toMatchObject(
      { kind: 'Scale', spec: { replicas: 4 }, status: { selector: 'app=web' } });
    const read = await call('GET', '/apis/apps/v1/namespaces/default/deployments/web');
    expect((read.body.spec as { replicas: number }).replicas).toBe(4);
    expect((read.body.metadata as { generation: number }).generation).toBe(2);
  });

  it('binds a pod once and evicts it', async () => {
    await call('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pod1' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    const bound = await call('POST', '/api/v1/namespaces/default/pods/pod1/binding',
      { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'pod1' }, target: { kind: 'Node', name: 'n1' } });
    expect(bound.status).toBe(201);
    const again = await call('POST', '/api/v1/namespaces/default/pods/pod1/binding',
      { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'pod1' }, target: { kind: 'Node', name: 'n2' } });
    expect(again.status).toBe(409);
    const pod = await call('GET', '/api/v1/namespaces/default/pods/pod1');
    expect((pod.body.spec as { nodeName: string }).nodeName).toBe('n1');
    expect((pod.body.status as { phase: string }).phase).toBe('Pending');
    const evicted = await call('POST', '/api/v1/namespaces/default/pods/pod1/eviction', {
      apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'pod1' },
      deleteOptions: { gracePeriodSeconds: 0 } });
    expect(evicted.status).toBe(201);
    expect((await call('GET', '/api/v1/namespaces/default/pods/pod1')).status).toBe(404);
  });
});
