/**
 * Goal: `decodeKubernetesProtobuf` turns the protobuf bodies that kubectl 1.32's typed
 * clients POST into exactly the objects their JSON form would carry, and rejects every
 * other body with a ProtobufDecodeError (never a crash).
 *
 * Method, three layers:
 * 1. The real kubectl: a tiny node:http API server on 127.0.0.1 (port 0) answers /version
 *    (minor "32", so the Cloud SDK dispatcher runs kubectl 1.32), legacy discovery and the
 *    GET autoscale needs, records every POST body and answers 201 with the decoded object.
 *    Each `kubectl create ...` runs as a child process with a deadline; its captured body
 *    must decode to the expected object, field for field. `UPDATE=1` rewrites the captured
 *    bodies as fixtures under test/api/fixtures/protobuf/.
 * 2. The fixtures, without kubectl: each must decode to the same expected object.
 * 3. Bodies built here with protobufjs (time, IntOrString strings, inlined Go structs,
 *    managed fields) and broken bodies (no magic, truncations, bit flips from a seeded PRNG,
 *    unsupported kinds, unsafe int64s).
 * If kubectl is missing the first layer FAILS: CI installs it.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ProtobufDecodeError, decodeKubernetesProtobuf, isKubernetesProtobuf,
} from '../../src/api/protobuf.js';
import type { KubeObject } from '../../src/resources/types.js';

const fixtureDirectory = join(import.meta.dirname, 'fixtures', 'protobuf');

/** One kubectl command, the path it POSTs to and the object its body must decode to. */
interface KubectlCase {
  readonly name: string;
  readonly args: readonly string[];
  readonly path: string;
  readonly expected: KubeObject;
}

const kubectlCases: readonly KubectlCase[] = [
  {
    name: 'configmap',
    args: ['create', 'configmap', 'c1', '--from-literal=a=b', '--from-literal=x=yz'],
    path: '/api/v1/namespaces/default/configmaps',
    expected: {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1' },
      data: { a: 'b', x: 'yz' },
    },
  },
  {
    name: 'secret-generic',
    args: ['create', 'secret', 'generic', 's1', '--from-literal=p=q'],
    path: '/api/v1/namespaces/default/secrets',
    expected: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, data: { p: 'cQ==' } },
  },
  {
    name: 'deployment',
    args: ['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3', '--port=80'],
    path: '/apis/apps/v1/namespaces/default/deployments',
    expected: {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [{
              name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }], resources: {},
            }],
          },
        },
        strategy: {},
      },
      status: {},
    },
  },
  {
    name: 'deployment-command',
    args: ['create', 'deployment', 'sleeper', '--image=busybox:1.36', '--', 'sleep', '3600'],
    path: '/apis/apps/v1/namespaces/default/deployments',
    expected: {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'sleeper', labels: { app: 'sleeper' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'sleeper' } },
        template: {
          metadata: { labels: { app: 'sleeper' } },
          spec: {
            containers: [{
              name: 'busybox', image: 'busybox:1.36', command: ['sleep', '3600'], resources: {},
            }],
          },
        },
        strategy: {},
      },
      status: {},
    },
  },
  {
    name: 'namespace',
    args: ['create', 'namespace', 'n1'],
    path: '/api/v1/namespaces',
    expected: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n1' }, spec: {}, status: {} },
  },
  {
    name: 'service-clusterip',
    args: ['create', 'service', 'clusterip', 'svc1', '--tcp=80:8080'],
    path: '/api/v1/namespaces/default/services',
    expected: {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc1', labels: { app: 'svc1' } },
      spec: {
        ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }],
        selector: { app: 'svc1' }, type: 'ClusterIP',
      },
      status: { loadBalancer: {} },
    },
  },
  {
    name: 'service-nodeport',
    args: ['create', 'service', 'nodeport', 'np', '--tcp=80:8080', '--node-port=30080'],
    path: '/api/v1/namespaces/default/services',
    expected: {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'np', labels: { app: 'np' } },
      spec: {
        ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }],
        selector: { app: 'np' }, type: 'NodePort',
      },
      status: { loadBalancer: {} },
    },
  },
  {
    name: 'service-loadbalancer',
    args: ['create', 'service', 'loadbalancer', 'lb', '--tcp=5678:http'],
    path: '/api/v1/namespaces/default/services',
    expected: {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb', labels: { app: 'lb' } },
      spec: {
        ports: [{ name: '5678-http', protocol: 'TCP', port: 5678, targetPort: 'http' }],
        selector: { app: 'lb' }, type: 'LoadBalancer',
      },
      status: { loadBalancer: {} },
    },
  },
  {
    name: 'service-externalname',
    args: ['create', 'service', 'externalname', 'ext', '--external-name=db.example.com'],
    path: '/api/v1/namespaces/default/services',
    expected: {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', labels: { app: 'ext' } },
      spec: { selector: { app: 'ext' }, type: 'ExternalName', externalName: 'db.example.com' },
      status: { loadBalancer: {} },
    },
  },
  {
    name: 'serviceaccount',
    args: ['create', 'serviceaccount', 'sa1'],
    path: '/api/v1/namespaces/default/serviceaccounts',
    expected: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa1' } },
  },
  {
    name: 'autoscale',
    args: ['autoscale', 'deployment', 'web', '--min=2', '--max=5', '--cpu-percent=80'],
    path: '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers',
    expected: {
      apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' },
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' },
        minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 80,
      },
      status: { currentReplicas: 0, desiredReplicas: 0 },
    },
  },
];

function fixturePath(name: string): string {
  return join(fixtureDirectory, `${name}.bin`);
}

describe('fixtures captured from kubectl 1.32 (no kubectl needed)', () => {
  it.each(kubectlCases)('$name decodes to the expected object', ({ name, expected }) => {
    const body = readFileSync(fixturePath(name));
    expect(decodeKubernetesProtobuf(body)).toStrictEqual(expected);
  });
});

/** The largest request body the fake API server reads, in bytes. */
const fakeServerBodyBytesMax = 3 * 1024 * 1024;
/** How long one kubectl command may run, in milliseconds. */
const kubectlTimeoutMs = 60_000;

/** One POST the fake API server received. */
interface RecordedPost {
  readonly path: string;
  readonly contentType: string;
  readonly userAgent: string;
  readonly body: Buffer;
}

function discoveryResource(name: string, kind: string, namespaced: boolean,
  shortNames: string[] = []): object {
  return {
    name, singularName: kind.toLowerCase(), namespaced, kind, shortNames,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  };
}

/** Legacy discovery (kubectl-api.md §2) for the kinds the cases create. */
const discoveryDocuments: ReadonlyMap<string, object> = new Map([
  ['/api', {
    kind: 'APIVersions', versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
  }],
  ['/apis', {
    kind: 'APIGroupList', apiVersion: 'v1', groups: ['apps', 'autoscaling'].map((group) => ({
      name: group, versions: [{ groupVersion: `${group}/v1`, version: 'v1' }],
      preferredVersion: { groupVersion: `${group}/v1`, version: 'v1' },
    })),
  }],
  ['/api/v1', {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'v1', resources: [
      discoveryResource('configmaps', 'ConfigMap', true, ['cm']),
      discoveryResource('secrets', 'Secret', true),
      discoveryResource('namespaces', 'Namespace', false, ['ns']),
      discoveryResource('services', 'Service', true, ['svc']),
      discoveryResource('serviceaccounts', 'ServiceAccount', true, ['sa']),
    ],
  }],
  ['/apis/apps/v1', {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'apps/v1', resources: [
      discoveryResource('deployments', 'Deployment', true, ['deploy']),
      {
        name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling',
        version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'],
      },
    ],
  }],
  ['/apis/autoscaling/v1', {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'autoscaling/v1', resources: [
      discoveryResource('horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, ['hpa']),
    ],
  }],
]);

function sendJSON(response: http.ServerResponse, statusCode: number, body: object): void {
  response.writeHead(statusCode, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function sendStatus(response: http.ServerResponse, code: number, reason: string,
  message: string): void {
  sendJSON(response, code, {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason, message, code,
  });
}

/**
 * FakeAPIServer answers just enough of the Kubernetes API for `kubectl create` and
 * `kubectl autoscale`: it records POST bodies, decodes protobuf ones with the decoder under
 * test and keeps the created objects so a later GET (autoscale reads its target) finds them.
 */
class FakeAPIServer {
  readonly posts: RecordedPost[] = [];
  private readonly objects = new Map<string, KubeObject>();
  private readonly server = http.createServer((request, response) => {
    this.collect(request, response);
  });

  /** Starts listening on 127.0.0.1 on a free port. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  /** Stops the server, closing idle keep-alive connections too. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private collect(request: http.IncomingMessage, response: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= fakeServerBodyBytesMax) chunks.push(chunk);
    });
    request.on('end', () => {
      if (bytes > fakeServerBodyBytesMax) {
        sendStatus(response, 413, 'RequestEntityTooLarge', 'request body too large');
        return;
      }
      this.handle(request, Buffer.concat(chunks), response);
    });
  }

  private handle(request: http.IncomingMessage, body: Buffer,
    response: http.ServerResponse): void {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method === 'POST') {
      this.handlePost({
        path, contentType: request.headers['content-type'] ?? '',
        userAgent: request.headers['user-agent'] ?? '', body,
      }, response);
      return;
    }
    if (path === '/version') {
      sendJSON(response, 200, { major: '1', minor: '32', gitVersion: 'v1.32.4' });
      return;
    }
    const document = discoveryDocuments.get(path) ?? this.objects.get(path);
    if (request.method === 'GET' && document !== undefined) {
      sendJSON(response, 200, document);
      return;
    }
    sendStatus(response, 404, 'NotFound', `${path} not found`);
  }

  private handlePost(post: RecordedPost, response: http.ServerResponse): void {
    this.posts.push(post);
    const { path, contentType, body } = post;
    let object: KubeObject;
    try {
      object = isKubernetesProtobuf(contentType)
        ? decodeKubernetesProtobuf(body) : JSON.parse(body.toString('utf8')) as KubeObject;
    } catch (error) {
      if (!(error instanceof ProtobufDecodeError)) throw error;
      sendStatus(response, error.statusCode, error.reason, error.message);
      return;
    }
    const namespace = /^\/api(?:s\/[^/]+)?\/v1\/namespaces\/([^/]+)\//.exec(path)?.[1];
    const created: KubeObject = {
      ...object,
      metadata: { ...object.metadata, ...(namespace === undefined ? {} : { namespace }),
        uid: `uid-${this.posts.length}`, resourceVersion: String(this.posts.length) },
    };
    this.objects.set(`${path}/${String(object.metadata.name)}`, created);
    sendJSON(response, 201, created);
  }
}

/** The outcome of one kubectl run. */
interface KubectlRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly posts: readonly RecordedPost[];
}

/** Runs kubectl against `serverUrl` with a private HOME, kubeconfig and cache directory. */
function runKubectl(serverUrl: string, homeDirectory: string, args: readonly string[]):
  Promise<Omit<KubectlRun, 'posts'>> {
  const env = {
    ...process.env, HOME: homeDirectory, KUBECONFIG: join(homeDirectory, 'kubeconfig'),
  };
  const argv = ['--server', serverUrl, '--cache-dir', join(homeDirectory, 'cache'), ...args];
  return new Promise((resolve) => {
    execFile('kubectl', argv, { env, timeout: kubectlTimeoutMs }, (error, stdout, stderr) => {
      const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ exitCode, stdout, stderr: `${stderr}${error?.message ?? ''}` });
    });
  });
}

describe('the real kubectl 1.32 against a fake API server', () => {
  const server = new FakeAPIServer();
  const runs = new Map<string, KubectlRun>();
  let homeDirectory = '';

  beforeAll(async () => {
    homeDirectory = mkdtempSync(join(tmpdir(), 'coracle-protobuf-'));
    writeFileSync(join(homeDirectory, 'kubeconfig'), '');
    const serverUrl = await server.start();
    // NB: sequential on purpose: autoscale reads the deployment an earlier case created.
    for (const testCase of kubectlCases) {
      const postsBefore = server.posts.length;
      const run = await runKubectl(serverUrl, homeDirectory, testCase.args);
      runs.set(testCase.name, { ...run, posts: server.posts.slice(postsBefore) });
    }
  }, kubectlCases.length * kubectlTimeoutMs);

  afterAll(async () => {
    await server.close();
    if (homeDirectory !== '') rmSync(homeDirectory, { recursive: true, force: true });
  });

  it.each(kubectlCases)('$name: kubectl succeeds and its body decodes as expected',
    ({ name, path, expected }) => {
      const run = runs.get(name);
      expect(run, `kubectl ${name} did not run`).toBeDefined();
      expect(run!.stderr).toBe('');
      expect(run!.exitCode).toBe(0);
      expect(run!.posts).toHaveLength(1);
      const post = run!.posts[0]!;
      expect(post.path).toBe(path);
      expect(post.contentType).toBe('application/vnd.kubernetes.protobuf');
      // NB: proves the Cloud SDK dispatcher picked kubectl 1.32 from our /version answer.
      expect(post.userAgent).toMatch(/^kubectl\/v1\.32\.\d+ /);
      expect(decodeKubernetesProtobuf(post.body)).toStrictEqual(expected);
      if (process.env.UPDATE === '1') {
        mkdirSync(fixtureDirectory, { recursive: true });
        writeFileSync(fixturePath(name), post.body);
      }
      // NB: the fixture must hold what kubectl sends today (rerun with UPDATE=1 if not).
      expect(decodeKubernetesProtobuf(readFileSync(fixturePath(name))))
        .toStrictEqual(decodeKubernetesProtobuf(post.body));
    });
});
