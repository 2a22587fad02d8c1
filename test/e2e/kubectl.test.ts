/**
 * Goal: the real kubectl 1.32 works unchanged against a real 3-peer Coracle cluster, whether
 * it talks to the Raft leader or to a follower: discovery, version, create/apply (client-side
 * and server-side, multi-document), every `get` output format kubectl users rely on (server
 * Tables, wide, yaml, json, name, label and field selectors, all namespaces), a watch on one
 * peer seeing writes made through another, label/annotate/patch (strategic, merge, JSON)/
 * scale/delete, the protobuf-bodied `create <generator>` commands, server dry-run and the
 * error messages kubectl prints from the server's Status.
 * Method: one ProcessCluster (three `coracle server` processes with `--api-listen` on free
 * 127.0.0.1 ports) for the whole file; one kubeconfig with a context per peer in a temp
 * HOME, with kubectl's discovery cache in that temp dir, so nothing leaks between runs. Every
 * kubectl run has a deadline and its OUTPUT is asserted, not only its exit code. The watch
 * runs as a background child read line by line with a deadline and killed by PID. Waits poll
 * conditions with deadlines; nothing sleeps in place of synchronization.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessCluster, eventually } from '../integration/process-cluster.js';

/** How long one kubectl command may run, in milliseconds. */
const kubectlTimeoutMs = 20_000;
/** How long a background watch may take to print an expected line, in milliseconds. */
const watchLineTimeoutMs = 10_000;
const names = ['p1', 'p2', 'p3'];
const bootstrapNamespaces = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

/** The outcome of one kubectl run. */
interface KubectlResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Fails (never skips) when kubectl is missing: every machine here has it. */
function requireKubectl(): void {
  const probe = spawnSync('kubectl', ['version', '--client'], { timeout: kubectlTimeoutMs });
  if (probe.error !== undefined) {
    throw new Error(`kubectl is not installed or does not run: ${String(probe.error)}`);
  }
}

/** A kubectl child running in the background (a watch, a wait), read line by line. */
class BackgroundKubectl {
  private readonly child: ChildProcess;
  private output = '';
  private errors = '';
  /** Resolves with the exit code (or -1 when killed by a signal) once the child exits. */
  readonly exited: Promise<number>;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv) {
    this.child = spawn('kubectl', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => { this.output += chunk.toString('utf8'); });
    this.child.stderr?.on('data', (chunk: Buffer) => { this.errors += chunk.toString('utf8'); });
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code: number | null) => resolve(code ?? -1));
    });
  }

  /** Everything printed on stdout so far. */
  stdout(): string {
    return this.output;
  }

  /** The complete stdout lines printed so far, whitespace runs collapsed to one space. */
  lines(): string[] {
    return this.output.split('\n').slice(0, -1).map((line) => line.trim().replace(/\s+/g, ' '));
  }

  /** Waits until a printed line equals `line` (whitespace collapsed). */
  async waitForLine(line: string): Promise<void> {
    await this.waitFor(() => this.lines().includes(line), `watch line "${line}"`);
  }

  /** Waits until stderr (e.g. the -v=6 request log) contains `text`. */
  async waitForStderr(text: string): Promise<void> {
    await this.waitFor(() => this.errors.includes(text), `stderr "${text}"`);
  }

  /** Kills the child by PID (SIGKILL) and waits for it to exit. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
    }
    await this.exited;
  }

  private async waitFor(condition: () => boolean, what: string): Promise<void> {
    await eventually(() => Promise.resolve(condition() ? true : undefined), watchLineTimeoutMs,
      `${what} (stdout: ${JSON.stringify(this.output)}, stderr: ${JSON.stringify(this.errors)})`);
  }
}

/** Collapses whitespace runs so Table rows compare regardless of column widths. */
function rows(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '')
    .map((line) => line.trim().replace(/\s+/g, ' '));
}

const webDeployment = (image: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: ${image}
        ports:
        - containerPort: 80
`;

const multiDocument = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {app: api, tier: backend}
spec:
  replicas: 1
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: api
        image: busybox:1.36
        command: [sleep, "3600"]
---
apiVersion: v1
kind: Service
metadata:
  name: api
  labels: {app: api}
spec:
  selector: {app: api}
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: api-config
  labels: {app: api}
data:
  mode: fast
`;

describe('kubectl 1.32 against a real 3-peer cluster', () => {
  let cluster: ProcessCluster;
  let home = '';
  let leader = '';
  let follower = '';
  let other = '';
  const children: BackgroundKubectl[] = [];

  const environment = (): NodeJS.ProcessEnv =>
    ({ ...process.env, HOME: home, KUBECONFIG: join(home, 'kubeconfig') });
  const argv = (context: string, args: readonly string[]): string[] =>
    ['--context', context, '--cache-dir', join(home, 'cache'), '--request-timeout=15s', ...args];

  /** Runs kubectl against peer `context` with a deadline. */
  const kubectl = (context: string, ...args: string[]): Promise<KubectlResult> =>
    new Promise((resolve) => {
      execFile('kubectl', argv(context, args),
        { env: environment(), timeout: kubectlTimeoutMs, killSignal: 'SIGKILL' },
        (error, stdout, stderr) => {
          const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
          resolve({ exitCode, stdout, stderr });
        });
    });
  /** Runs kubectl and expects success; returns stdout. */
  const ok = async (context: string, ...args: string[]): Promise<string> => {
    const result = await kubectl(context, ...args);
    expect(result.exitCode, `kubectl ${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result.stdout;
  };
  /** Runs kubectl and expects failure; returns stderr. */
  const fails = async (context: string, ...args: string[]): Promise<string> => {
    const result = await kubectl(context, ...args);
    expect(result.exitCode, `kubectl ${args.join(' ')} succeeded: ${result.stdout}`).not.toBe(0);
    return result.stderr;
  };
  /** Writes `text` to a manifest file in the temp HOME; returns its path. */
  const manifest = (name: string, text: string): string => {
    const path = join(home, name);
    writeFileSync(path, text);
    return path;
  };
  /** Starts kubectl against peer `context` in the background; killed at teardown. */
  const background = (context: string, ...args: string[]): BackgroundKubectl => {
    const child = new BackgroundKubectl(argv(context, args), environment());
    children.push(child);
    return child;
  };

  const writeKubeconfig = (): void => {
    const clusters = names.map((name) =>
      `- name: ${name}\n  cluster: {server: "${cluster.apiURL(name)}"}`).join('\n');
    const contexts = names.map((name) =>
      `- name: ${name}\n  context: {cluster: ${name}, user: tester, namespace: default}`)
      .join('\n');
    writeFileSync(join(home, 'kubeconfig'), `apiVersion: v1\nkind: Config\nclusters:\n${
      clusters}\ncontexts:\n${contexts}\nusers:\n- name: tester\n  user: {token: e2e}\n` +
      `current-context: ${leader}\n`);
  };

  beforeAll(async () => {
    requireKubectl();
    home = mkdtempSync(join(tmpdir(), 'coracle-kubectl-'));
    cluster = await ProcessCluster.start({ peers: 3 });
    leader = await cluster.waitForLeader();
    [follower, other] = names.filter((name) => name !== leader) as [string, string];
    writeKubeconfig();
    // Every peer serves the API once it has applied the bootstrap namespaces.
    for (const name of names) {
      await eventually(async () => {
        for (const namespace of bootstrapNamespaces) {
          const response = await fetch(`${cluster.apiURL(name)}/api/v1/namespaces/${namespace}`);
          await response.arrayBuffer();
          if (response.status !== 200) return undefined;
        }
        return true;
      }, 20_000, `bootstrap namespaces served by ${name}`);
    }
  });

  afterAll(async () => {
    for (const child of children) await child.kill();
    await cluster?.stop();
    if (home !== '') rmSync(home, { recursive: true, force: true });
  });

  it('reports version 1.32, lists API resources with short names; explain may fail', async () => {
    expect(await ok(follower, 'version')).toMatch(/^Server Version: v1\.32\.\d+/m);
    const resources = rows(await ok(follower, 'api-resources'));
    expect(resources[0]).toBe('NAME SHORTNAMES APIVERSION NAMESPACED KIND');
    expect(resources).toContain('pods po v1 true Pod');
    expect(resources).toContain('deployments deploy apps/v1 true Deployment');
    expect(resources).toContain('namespaces ns v1 false Namespace');
    expect(resources).toContain('services svc v1 true Service');
    expect(resources).toContain('leases coordination.k8s.io/v1 true Lease');
    // NB: explain needs the full OpenAPI models; only check it terminates in time.
    const explain = await kubectl(leader, 'explain', 'pods');
    expect(explain.exitCode).not.toBe(-1);
  });

  it('gets the four bootstrap namespaces from every peer', async () => {
    for (const name of names) {
      const table = rows(await ok(name, 'get', 'ns'));
      expect(table[0]).toBe('NAME STATUS AGE');
      expect(table.slice(1).map((row) => row.split(' ').slice(0, 2).join(' ')))
        .toEqual(bootstrapNamespaces.map((namespace) => `${namespace} Active`));
    }
  });

  it('creates with -f, refuses a second create, and applies client-side', async () => {
    const file = manifest('web.yaml', webDeployment('nginx:1.25'));
    expect(await ok(follower, 'create', '-f', file)).toBe('deployment.apps/web created\n');
    expect(await fails(leader, 'create', '-f', file)).toContain('Error from server ' +
      `(AlreadyExists): error when creating "${file}": deployments.apps "web" already exists`);
    // The first apply adds the last-applied annotation (with a warning), the second is
    // decided by kubectl's three-way diff.
    expect(await ok(other, 'apply', '-f', file)).toBe('deployment.apps/web configured\n');
    manifest('web.yaml', webDeployment('nginx:1.26'));
    expect(await ok(follower, 'apply', '-f', file)).toBe('deployment.apps/web configured\n');
    expect(await ok(leader, 'apply', '-f', file)).toBe('deployment.apps/web unchanged\n');
    expect(await ok(other, 'get', 'deploy', 'web', '-o',
      'jsonpath={.spec.template.spec.containers[0].image}')).toBe('nginx:1.26');
  });

  it('applies a multi-document YAML server-side through a follower', async () => {
    const file = manifest('multi.yaml', multiDocument);
    const expected = 'deployment.apps/api serverside-applied\nservice/api serverside-applied\n' +
      'configmap/api-config serverside-applied\n';
    expect(await ok(follower, 'apply', '--server-side', '-f', file)).toBe(expected);
    expect(await ok(follower, 'apply', '--server-side', '-f', file)).toBe(expected);
    expect(await ok(leader, 'get', 'cm', 'api-config', '-o', 'jsonpath={.data.mode}'))
      .toBe('fast');
  });

  it('prints server-side Tables, wide columns and every output format', async () => {
    const deployments = rows(await ok(leader, 'get', 'deployments'));
    expect(deployments[0]).toBe('NAME READY UP-TO-DATE AVAILABLE AGE');
    expect(deployments.slice(1).map((row) => row.split(' ').slice(0, 4).join(' ')))
      .toEqual(['api 0/1 0 0', 'web 0/2 0 0']);
    const services = rows(await ok(follower, 'get', 'svc', 'api'));
    expect(services[0]).toBe('NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE');
    expect(services[1]).toMatch(/^api ClusterIP 10\.\d+\.\d+\.\d+ <none> 80\/TCP \S+$/);
    const wide = rows(await ok(other, 'get', 'deploy', '-o', 'wide'));
    expect(wide[0]).toBe('NAME READY UP-TO-DATE AVAILABLE AGE CONTAINERS IMAGES SELECTOR');
    expect(wide[2]).toMatch(/^web 0\/2 0 0 \S+ nginx nginx:1\.26 app=web$/);
    const yaml = await ok(follower, 'get', 'deploy', 'api', '-o', 'yaml');
    expect(yaml).toMatch(/^apiVersion: apps\/v1\nkind: Deployment\n/);
    expect(yaml).toContain('  name: api\n  namespace: default\n');
    const json = JSON.parse(await ok(follower, 'get', 'svc', 'api', '-o', 'json')) as {
      kind: string; metadata: { name: string; resourceVersion: string };
      spec: { clusterIP: string; ports: { port: number; protocol: string }[] };
    };
    expect(json.kind).toBe('Service');
    expect(json.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(json.spec.clusterIP).toMatch(/^10\./);
    expect(json.spec.ports).toEqual([{ port: 80, protocol: 'TCP', targetPort: 8080 }]);
    expect(await ok(leader, 'get', 'deploy,svc,cm', '-l', 'app=api', '-o', 'name'))
      .toBe('deployment.apps/api\nservice/api\nconfigmap/api-config\n');
    expect(await ok(leader, 'get', 'deploy', '-l', 'tier=backend,app!=web', '-o', 'name'))
      .toBe('deployment.apps/api\n');
    expect(rows(await ok(other, 'get', 'deploy', '--field-selector', 'metadata.name=web')))
      .toHaveLength(2);
    expect(await ok(other, 'get', 'deploy', '--field-selector', 'metadata.name=web', '-o',
      'name')).toBe('deployment.apps/web\n');
    const everywhere = rows(await ok(follower, 'get', 'deploy', '-A'));
    expect(everywhere[0]).toBe('NAMESPACE NAME READY UP-TO-DATE AVAILABLE AGE');
    expect(everywhere.slice(1).map((row) => row.split(' ').slice(0, 2).join(' ')))
      .toEqual(['default api', 'default web']);
  });

  it('watches on a follower and sees writes made through the leader and another peer',
    async () => {
      await ok(leader, 'create', 'configmap', 'watched', '--from-literal=k=v');
      await ok(leader, 'label', 'configmap', 'watched', 'suite=watch');
      const watcher = background(follower, 'get', 'configmaps', '-l', 'suite=watch', '-w', '-o',
        'custom-columns=NAME:.metadata.name,COLOR:.metadata.labels.color');
      await watcher.waitForLine('watched <none>');
      expect(await ok(leader, 'label', 'configmap', 'watched', 'color=blue'))
        .toBe('configmap/watched labeled\n');
      await watcher.waitForLine('watched blue');
      await ok(other, 'create', 'configmap', 'joined');
      await ok(other, 'label', 'configmap', 'joined', 'suite=watch', 'color=red');
      await watcher.waitForLine('joined red');
      await watcher.kill();
      expect(watcher.lines()[0]).toBe('NAME COLOR');
    });

  it('labels, annotates, patches three ways and scales', async () => {
    expect(await ok(follower, 'label', 'deploy', 'web', 'env=prod'))
      .toBe('deployment.apps/web labeled\n');
    expect(await fails(leader, 'label', 'deploy', 'web', 'env=dev'))
      .toContain("'env' already has a value (prod), and --overwrite is false");
    expect(await ok(other, 'annotate', 'deploy', 'web', 'note=hello'))
      .toBe('deployment.apps/web annotated\n');
    expect(await ok(leader, 'get', 'deploy', 'web', '-o',
      'jsonpath={.metadata.labels.env} {.metadata.annotations.note}')).toBe('prod hello');
    // Strategic merge: the container list merges by name, so only the image changes.
    expect(await ok(follower, 'patch', 'deploy', 'web', '-p', JSON.stringify({ spec: { template:
      { spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } } } })))
      .toBe('deployment.apps/web patched\n');
    expect(await ok(leader, 'patch', 'deploy', 'web', '--type=merge', '-p',
      '{"spec":{"minReadySeconds":5}}')).toBe('deployment.apps/web patched\n');
    expect(await ok(other, 'patch', 'deploy', 'web', '--type=json', '-p',
      '[{"op":"replace","path":"/spec/replicas","value":4}]')).toBe('deployment.apps/web patched\n');
    expect(await ok(follower, 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec' +
      '.containers[*].image} {.spec.template.spec.containers[0].ports[0].containerPort} ' +
      '{.spec.minReadySeconds} {.spec.replicas}')).toBe('nginx:1.27 80 5 4');
    expect(await ok(leader, 'patch', 'deploy', 'web', '-p', '{"spec":{"replicas":4}}'))
      .toBe('deployment.apps/web patched (no change)\n');
    // A failed JSON patch test is a 422 Invalid without details, printed with its message.
    expect(await fails(leader, 'patch', 'deploy', 'web', '--type=json', '-p',
      '[{"op":"test","path":"/spec/replicas","value":9}]')).toMatch(/^The request is invalid: /);
    expect(await ok(follower, 'scale', 'deploy', 'web', '--replicas=3'))
      .toBe('deployment.apps/web scaled\n');
    expect(await ok(other, 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('3');
  });

  it('creates from generators (protobuf bodies) through a follower', async () => {
    expect(await ok(follower, 'create', 'namespace', 'team-a')).toBe('namespace/team-a created\n');
    // NB: straight into the new namespace through another peer: the namespace must be seen.
    expect(await ok(other, '-n', 'team-a', 'create', 'deployment', 'hello', '--image=nginx:1.25',
      '--replicas=2')).toBe('deployment.apps/hello created\n');
    expect(await ok(follower, '-n', 'team-a', 'create', 'configmap', 'settings',
      '--from-literal=a=1', '--from-literal=b=2')).toBe('configmap/settings created\n');
    expect(await ok(follower, '-n', 'team-a', 'create', 'secret', 'generic', 'password',
      '--from-literal=pw=s3cret')).toBe('secret/password created\n');
    expect(await ok(follower, '-n', 'team-a', 'create', 'service', 'clusterip', 'front',
      '--tcp=80:8080')).toBe('service/front created\n');
    expect(await ok(leader, '-n', 'team-a', 'get', 'deploy', 'hello', '-o', 'jsonpath=' +
      '{.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.selector}'))
      .toBe('2 nginx:1.25 {"matchLabels":{"app":"hello"}}');
    expect(await ok(leader, '-n', 'team-a', 'get', 'cm', 'settings', '-o', 'jsonpath={.data}'))
      .toBe('{"a":"1","b":"2"}');
    expect(await ok(leader, '-n', 'team-a', 'get', 'secret', 'password', '-o',
      'jsonpath={.type} {.data.pw}')).toBe(`Opaque ${Buffer.from('s3cret').toString('base64')}`);
    const service = rows(await ok(leader, '-n', 'team-a', 'get', 'svc', 'front', '-o', 'wide'));
    expect(service[1]).toMatch(/^front ClusterIP 10\.\S+ <none> 80\/TCP \S+ app=front$/);
    const all = rows(await ok(other, 'get', 'deploy,cm', '-A', '-o', 'name'));
    expect(all).toEqual(expect.arrayContaining(['deployment.apps/hello', 'configmap/settings']));
    expect(rows(await ok(leader, 'get', 'ns')).map((row) => row.split(' ')[0]))
      .toEqual(['NAME', ...bootstrapNamespaces, 'team-a']);
    // kubectl autoscale POSTs an autoscaling/v1 object (protobuf); v2 reads the same one.
    expect(await ok(follower, '-n', 'team-a', 'autoscale', 'deploy', 'hello', '--min=2',
      '--max=5', '--cpu-percent=80')).toBe('horizontalpodautoscaler.autoscaling/hello autoscaled\n');
    expect(await ok(leader, '-n', 'team-a', 'get', 'hpa', 'hello', '-o', 'jsonpath=' +
      '{.apiVersion} {.spec.minReplicas} {.spec.metrics[0].resource.target.averageUtilization}'))
      .toBe('autoscaling/v2 2 80');
  });

  it('stores nothing on --dry-run=server', async () => {
    expect(await ok(follower, 'create', 'configmap', 'dry', '--from-literal=x=1',
      '--dry-run=server')).toBe('configmap/dry created (server dry run)\n');
    const file = manifest('dry.yaml', webDeployment('nginx:1.25').replaceAll('web', 'dry'));
    expect(await ok(leader, 'apply', '-f', file, '--dry-run=server'))
      .toBe('deployment.apps/dry created (server dry run)\n');
    expect(await fails(leader, 'get', 'cm', 'dry'))
      .toBe('Error from server (NotFound): configmaps "dry" not found\n');
    expect(await fails(other, 'get', 'deploy', 'dry'))
      .toBe('Error from server (NotFound): deployments.apps "dry" not found\n');
  });

  it('prints the server\'s AlreadyExists, Invalid, strict decoding and NotFound errors',
    async () => {
      expect(await fails(leader, 'create', 'configmap', 'api-config'))
        .toBe('error: failed to create configmap: configmaps "api-config" already exists\n');
      expect(await fails(follower, 'create', 'configmap', 'Bad_Name')).toContain(
        'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ' +
        'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters');
      const strict = manifest('strict.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n' +
        '  name: strict\ndata:\n  a: "1"\nbogus: true\n');
      expect(await fails(follower, 'create', '-f', strict)).toBe('Error from server ' +
        `(BadRequest): error when creating "${strict}": ConfigMap in version "v1" cannot be ` +
        'handled as a ConfigMap: strict decoding error: unknown field "bogus"\n');
      expect(await fails(other, 'get', 'cm', 'strict'))
        .toBe('Error from server (NotFound): configmaps "strict" not found\n');
    });

  it('deletes through one peer; get and wait --for=delete agree on the others', async () => {
    // NB: -v=6 logs each request: delete only once the wait's watch is open, otherwise
    // the wait finds nothing and succeeds silently.
    const waiter = background(other, 'wait', '--for=delete', 'configmap/watched',
      '--timeout=15s', '-v=6');
    await waiter.waitForStderr('watch=true');
    expect(await ok(leader, 'delete', 'configmap', 'watched'))
      .toBe('configmap "watched" deleted\n');
    expect(await waiter.exited).toBe(0);
    expect(waiter.stdout()).toBe('configmap/watched condition met\n');
    expect(await ok(follower, 'delete', '-f', join(home, 'multi.yaml'))).toBe(
      'deployment.apps "api" deleted\nservice "api" deleted\nconfigmap "api-config" deleted\n');
    expect(await fails(other, 'get', 'deploy', 'api'))
      .toBe('Error from server (NotFound): deployments.apps "api" not found\n');
    expect(await ok(leader, 'get', 'deploy,svc', '-l', 'app=api', '-o', 'name')).toBe('');
  });
});
