/**
 * Goal: the official JavaScript client, `@kubernetes/client-node` 1.4.0, works unchanged
 * against a real 3-peer Coracle cluster: typed CRUD of ConfigMaps (CoreV1Api) and
 * Deployments (AppsV1Api) including merge and strategic patches and label-selected lists,
 * optimistic-concurrency conflicts surfacing as ApiException 409 with a Conflict Status, and
 * an informer on a FOLLOWER that stays exact while the LEADER is killed -9 and restarted.
 * Method: one ProcessCluster (three `coracle server` processes, each with `--api-listen` on a
 * free 127.0.0.1 port) for the file, a KubeConfig per peer. The informer (`makeInformer`
 * with a list function) watches one namespace through a follower while a writer goes through
 * the other follower, recording every acknowledged write's resourceVersion; the leader dies
 * mid-run. At the end the informer's cache must equal a list from the restarted peer, and per
 * object the delivered resourceVersions must strictly increase (no duplicate, nothing
 * backwards) and end at the final state (or a delete); when the informer never re-listed,
 * every acknowledged write must have been delivered (a re-list may legitimately skip
 * versions). Waits poll with deadlines; teardown stops every process by PID.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessCluster, eventually } from '../integration/process-cluster.js';

const names = ['p1', 'p2', 'p3'];
const namespace = 'client-node';
const informerNamespace = 'informed';

let cluster: ProcessCluster;

function apiURL(name: string): string {
  const peer = cluster.layout.peers.find((candidate) => candidate.name === name);
  if (peer === undefined) throw new Error(`no peer ${name}`);
  return `http://127.0.0.1:${peer.apiPort}`;
}

function kubeConfig(name: string): k8s.KubeConfig {
  const config = new k8s.KubeConfig();
  config.loadFromOptions({
    clusters: [{ name, server: apiURL(name), skipTLSVerify: true }],
    users: [{ name: 'e2e' }], contexts: [{ name, cluster: name, user: 'e2e' }],
    currentContext: name,
  });
  return config;
}

const core = (name: string): k8s.CoreV1Api => kubeConfig(name).makeApiClient(k8s.CoreV1Api);
const apps = (name: string): k8s.AppsV1Api => kubeConfig(name).makeApiClient(k8s.AppsV1Api);

/** The HTTP code of a client error, or undefined for anything else (a network error). */
function codeOf(error: unknown): number | undefined {
  return error instanceof k8s.ApiException ? (error as k8s.ApiException<unknown>).code : undefined;
}

/** The Status an ApiException carries (client-node 1.x keeps the body as text). */
function statusOf(error: unknown): { kind?: string; reason?: string; code?: number } {
  const body = (error as k8s.ApiException<unknown>).body;
  return (typeof body === 'string' ? JSON.parse(body) : body) as
    { kind?: string; reason?: string; code?: number };
}

async function expectCode(promise: Promise<unknown>, code: number): Promise<unknown> {
  const error = await promise.then(() => undefined, (failure: unknown) => failure);
  expect(codeOf(error)).toBe(code);
  return error;
}

/**
 * Runs a write until it gets an answer other than "unavailable": a 5xx or a network error
 * (the cluster electing a leader) is retried every 100 ms until a 20 s deadline.
 */
async function retried<T>(write: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await write();
    } catch (error) {
      const code = codeOf(error);
      if ((code !== undefined && code < 500) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

beforeAll(async () => {
  cluster = await ProcessCluster.start({ peers: 3 });
  for (const name of names) {
    await eventually(() => core(name).readNamespace({ name: 'default' }), 20_000,
      `bootstrap namespace on ${name}`);
  }
  for (const created of [namespace, informerNamespace]) {
    await core('p1').createNamespace({ body: { metadata: { name: created } } });
  }
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('@kubernetes/client-node against a 3-peer cluster', () => {
  it('CRUD of a ConfigMap through CoreV1Api, across peers', async () => {
    const created = await core('p1').createNamespacedConfigMap({ namespace,
      body: { metadata: { name: 'settings', labels: { app: 'demo' } }, data: { a: '1' } } });
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    await core('p1').createNamespacedConfigMap({ namespace,
      body: { metadata: { name: 'other', labels: { app: 'else' } }, data: {} } });
    const read = await core('p2').readNamespacedConfigMap({ name: 'settings', namespace });
    expect(read.data).toEqual({ a: '1' });
    const replaced = await core('p3').replaceNamespacedConfigMap({ name: 'settings', namespace,
      body: { ...read, data: { a: '2' } } });
    expect(Number(replaced.metadata?.resourceVersion))
      .toBeGreaterThan(Number(read.metadata?.resourceVersion));
    const patched = await core('p2').patchNamespacedConfigMap(
      { name: 'settings', namespace, body: { data: { b: '3' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect(patched.data).toEqual({ a: '2', b: '3' });
    const listed = await core('p3').listNamespacedConfigMap({ namespace,
      labelSelector: 'app=demo' });
    expect(listed.items.map((item) => item.metadata?.name)).toEqual(['settings']);
    await core('p1').deleteNamespacedConfigMap({ name: 'settings', namespace });
    await expectCode(core('p2').readNamespacedConfigMap({ name: 'settings', namespace }), 404);
  });

  it('CRUD of a Deployment through AppsV1Api', async () => {
    const labels = { app: 'web' };
    const body: k8s.V1Deployment = { metadata: { name: 'web', labels }, spec: {
      replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels },
        spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } } };
    await apps('p2').createNamespacedDeployment({ namespace, body });
    const read = await apps('p3').readNamespacedDeployment({ name: 'web', namespace });
    expect(read.spec?.replicas).toBe(1);
    expect(read.spec?.template.spec?.containers[0]?.image).toBe('nginx:1.27');
    const replaced = await apps('p1').replaceNamespacedDeployment({ name: 'web', namespace,
      body: { ...read, spec: { ...read.spec!, replicas: 2 } } });
    expect(replaced.spec?.replicas).toBe(2);
    const patched = await apps('p3').patchNamespacedDeployment(
      { name: 'web', namespace, body: { spec: { template: { spec: { containers: [
        { name: 'web', image: 'nginx:1.28' }] } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch));
    expect(patched.spec?.template.spec?.containers.map((c) => c.image)).toEqual(['nginx:1.28']);
    expect(patched.spec?.replicas).toBe(2);
    const listed = await apps('p2').listNamespacedDeployment({ namespace,
      labelSelector: 'app in (web)' });
    expect(listed.items.map((item) => item.metadata?.name)).toEqual(['web']);
    expect((await apps('p2').listNamespacedDeployment({ namespace, labelSelector: 'app=none' }))
      .items).toEqual([]);
    await apps('p1').deleteNamespacedDeployment({ name: 'web', namespace });
    await expectCode(apps('p3').readNamespacedDeployment({ name: 'web', namespace }), 404);
  });

  it('a replace with a stale resourceVersion is a 409 with a Conflict Status', async () => {
    await core('p1').createNamespacedConfigMap({ namespace,
      body: { metadata: { name: 'raced' }, data: { v: '0' } } });
    const stale = await core('p2').readNamespacedConfigMap({ name: 'raced', namespace });
    await core('p3').replaceNamespacedConfigMap({ name: 'raced', namespace,
      body: { ...stale, data: { v: '1' } } });
    const error = await expectCode(core('p2').replaceNamespacedConfigMap({ name: 'raced',
      namespace, body: { ...stale, data: { v: 'stale' } } }), 409);
    expect(statusOf(error)).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    const kept = await core('p1').readNamespacedConfigMap({ name: 'raced', namespace });
    expect(kept.data).toEqual({ v: '1' });
  });

  it('an informer on a follower stays exact while the leader is killed -9 and restarted',
    async () => {
      await informerScenario();
    }, 60_000);
});

/** Delivery is one informer callback: which and at what resourceVersion. */
interface Delivery {
  readonly verb: 'add' | 'update' | 'delete';
  readonly resourceVersion: number;
  /** How many lists the informer had made when it fired. */
  readonly lists: number;
}

/** Informer records what an informer over the test namespace delivered, per object. */
class RecordingInformer {
  readonly deliveries = new Map<string, Delivery[]>();
  lists = 0;
  errors = 0;
  private stopped = false;
  readonly informer: k8s.Informer<k8s.V1ConfigMap> & k8s.ObjectCache<k8s.V1ConfigMap>;

  constructor(peer: string) {
    const api = core(peer);
    this.informer = k8s.makeInformer(kubeConfig(peer),
      `/api/v1/namespaces/${informerNamespace}/configmaps`, () => {
        this.lists++;
        return api.listNamespacedConfigMap({ namespace: informerNamespace });
      });
    for (const verb of ['add', 'update', 'delete'] as const) {
      this.informer.on(verb, (object) => this.record(verb, object));
    }
    // client-node's informer stops on any error but 410: restart it, as its docs advise.
    this.informer.on('error', () => {
      this.errors++;
      if (!this.stopped) setTimeout(() => void this.informer.start().catch(() => undefined), 100);
    });
  }

  private record(verb: Delivery['verb'], object: k8s.V1ConfigMap): void {
    const name = object.metadata?.name ?? '';
    const list = this.deliveries.get(name) ?? [];
    list.push({ verb, resourceVersion: Number(object.metadata?.resourceVersion),
      lists: this.lists });
    this.deliveries.set(name, list);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
  }
}

/** Writer makes writes through one peer and records each acknowledged resourceVersion. */
class Writer {
  /** Per object, the resourceVersions of its acknowledged creates and updates. */
  readonly acknowledged = new Map<string, number[]>();
  private valueNext = 1;

  constructor(private readonly api: k8s.CoreV1Api) {}

  private acknowledge(object: k8s.V1ConfigMap): void {
    const name = object.metadata!.name!;
    this.acknowledged.set(name, [...(this.acknowledged.get(name) ?? []),
      Number(object.metadata?.resourceVersion)]);
  }

  async create(name: string): Promise<void> {
    try {
      this.acknowledge(await retried(() => this.api.createNamespacedConfigMap({
        namespace: informerNamespace, body: { metadata: { name }, data: { v: '0' } } })));
    } catch (error) {
      // A retry after an unacknowledged attempt that did land: the object is there.
      if (codeOf(error) !== 409) throw error;
    }
  }

  /** Read-modify-write with the read's resourceVersion; a 409 reads again. */
  async update(name: string): Promise<void> {
    const value = String(this.valueNext++);
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await retried(() => this.api.readNamespacedConfigMap({ name,
        namespace: informerNamespace }));
      try {
        this.acknowledge(await retried(() => this.api.replaceNamespacedConfigMap({ name,
          namespace: informerNamespace, body: { ...current, data: { v: value } } })));
        return;
      } catch (error) {
        if (codeOf(error) !== 409) throw error;
      }
    }
    throw new Error(`update of ${name} kept conflicting`);
  }

  async delete(name: string): Promise<void> {
    try {
      await retried(() => this.api.deleteNamespacedConfigMap({ name,
        namespace: informerNamespace }));
    } catch (error) {
      if (codeOf(error) !== 404) throw error;
    }
  }
}

async function informerScenario(): Promise<void> {
  const leader = await cluster.waitForLeader();
  const [informerPeer, writerPeer] = names.filter((name) => name !== leader);
  const recording = new RecordingInformer(informerPeer!);
  const writer = new Writer(core(writerPeer!));
  try {
    await recording.informer.start();
    const objects = ['a', 'b', 'c', 'd', 'e'];
    for (const name of objects) await writer.create(name);
    for (const name of objects) await writer.update(name);
    await cluster.kill(leader, 'SIGKILL');
    for (const name of objects) await writer.update(name);
    await writer.create('f');
    await writer.delete('b');
    cluster.spawn(leader);
    await cluster.waitForLeader(names);
    await writer.update('a');
    await writer.update('f');
    await writer.delete('c');
    await writer.create('g');
    await assertInformerExact(recording, writer, leader);
  } finally {
    await recording.stop();
  }
}

async function assertInformerExact(recording: RecordingInformer, writer: Writer,
  restarted: string): Promise<void> {
  const truth = await eventually(async () => {
    const list = await core(restarted).listNamespacedConfigMap({ namespace: informerNamespace });
    const cached = recording.informer.list(informerNamespace);
    const render = (items: readonly k8s.V1ConfigMap[]): string => items
      .map((item) => `${item.metadata?.name}@${item.metadata?.resourceVersion}`).sort().join();
    return render(list.items) === render(cached) ? list.items : undefined;
  }, 15_000, 'informer cache equal to a list from the restarted peer');
  expect(truth.map((item) => item.metadata?.name).sort()).toEqual(['a', 'd', 'e', 'f', 'g']);
  const finalVersions = new Map(truth.map((item) =>
    [item.metadata!.name!, Number(item.metadata!.resourceVersion)]));
  for (const [name, deliveries] of recording.deliveries) {
    const versions = deliveries.map((delivery) => delivery.resourceVersion);
    // A delete synthesized by a re-list carries the cached (last seen) version again.
    const relistTombstone = deliveries.at(-1)?.verb === 'delete' && versions.length > 1 &&
      versions.at(-1) === versions.at(-2) && deliveries.at(-1)!.lists > 1;
    const ordered = relistTombstone ? versions.slice(0, -1) : versions;
    expect(ordered.every((rv, i) => i === 0 || rv > ordered[i - 1]!), `${name}: ${versions.join()}`)
      .toBe(true);
    const last = deliveries.at(-1)!;
    if (finalVersions.has(name)) {
      expect(last.verb, name).not.toBe('delete');
      expect(last.resourceVersion, name).toBe(finalVersions.get(name));
    } else {
      expect(last.verb, name).toBe('delete');
    }
  }
  for (const [name, versions] of writer.acknowledged) {
    const delivered = (recording.deliveries.get(name) ?? []).map((d) => d.resourceVersion);
    const missing = versions.filter((rv) => !delivered.includes(rv));
    // Without a re-list every acknowledged write MUST have been delivered; a re-list may skip
    // versions, but only ones superseded by a later delivered version.
    if (recording.lists === 1) expect(missing, name).toEqual([]);
    else expect(missing.every((rv) => delivered.some((later) => later > rv)), name).toBe(true);
  }
  expect([...recording.deliveries.keys()].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
}
