/**
 * Goal: every kind other than Pod defaults, validates and prints as upstream does
 * (Service, Deployment, ReplicaSet, ReplicationController, Namespace, Node, Secret,
 * ConfigMap, Event, Endpoints, ServiceAccount, Lease, HPA). Method: per-kind tables of
 * objects run through the registry's definitions, checking defaulted fields, rendered
 * field errors and table cells at a fixed `now`.
 */
import { describe, expect, it } from 'vitest';
import { findByKind } from '../../src/resources/registry.js';
import { formatFieldError } from '../../src/resources/field-errors.js';
import type { KubeObject, ResourceDefinition } from '../../src/resources/types.js';

const now = new Date('2024-05-01T12:00:00Z');
const created = '2024-05-01T11:55:00Z';

function definition(group: string, kind: string): ResourceDefinition {
  const found = findByKind(group, kind);
  if (found === undefined) throw new Error(`no ${kind}`);
  return found;
}

function make(group: string, kind: string, body: Record<string, unknown>,
  meta: Record<string, unknown> = {}): KubeObject {
  const def = definition(group, kind);
  const apiVersion = group === '' ? 'v1' : `${group}/${def.version}`;
  return { apiVersion, kind, ...body, metadata: { name: 'web', creationTimestamp: created,
    ...(def.namespaced ? { namespace: 'default' } : {}), ...meta } };
}

function defaulted(group: string, kind: string, body: Record<string, unknown>,
  meta?: Record<string, unknown>): KubeObject {
  const object = make(group, kind, body, meta);
  definition(group, kind).applyDefaults(object, { now });
  return object;
}

const errorsOf = (group: string, kind: string, object: KubeObject, old?: KubeObject): string[] =>
  definition(group, kind).validate(object, old).map(formatFieldError);

const template = (labels: Record<string, string>): Record<string, unknown> =>
  ({ metadata: { labels }, spec: { containers: [{ name: 'app', image: 'nginx' }] } });

describe('Service', () => {
  it('defaults type, affinity, ports and IP families', () => {
    const service = defaulted('', 'Service', { spec: { selector: { app: 'web' },
      ports: [{ port: 80 }] } });
    expect(service.spec).toEqual({ selector: { app: 'web' }, type: 'ClusterIP',
      sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'], ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] });
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['valid', { ports: [{ port: 80 }] }, []],
    ['no ports', {}, ['spec.ports: Required value']],
    ['unnamed ports', { ports: [{ port: 80 }, { port: 81 }] },
      ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value']],
    ['port 0', { ports: [{ port: 0, targetPort: 8080 }] },
      ['spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive']],
    ['nodePort on ClusterIP', { ports: [{ port: 80, nodePort: 30080 }] },
      ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]],
  ])('validates %s', (_label, spec, expected) => {
    expect(errorsOf('', 'Service', defaulted('', 'Service', { spec }))).toEqual(expected);
  });

  it('rejects a DNS-1035-invalid name and a changed cluster IP', () => {
    const old = defaulted('', 'Service', { spec: { ports: [{ port: 80 }],
      clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] } });
    const next = structuredClone(old);
    Object.assign(next.spec as object, { clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11'] });
    expect(errorsOf('', 'Service', next, old)).toEqual(
      ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set']);
    const numeric = defaulted('', 'Service', { spec: { ports: [{ port: 80 }] } }, { name: '1web' });
    expect(errorsOf('', 'Service', numeric)[0])
      .toMatch(/^metadata.name: Invalid value: "1web": a DNS-1035 label/);
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>, string[]]>([
    ['cluster IP', { type: 'ClusterIP', clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'],
      ports: [{ port: 80, protocol: 'TCP' }] }, {},
    ['web', 'ClusterIP', '10.96.0.1', '<none>', '80/TCP', '5m', '<none>']],
    ['node port', { type: 'NodePort', clusterIP: '10.96.0.2', selector: { app: 'web' },
      ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] }, {},
    ['web', 'NodePort', '10.96.0.2', '<none>', '80:30080/TCP', '5m', 'app=web']],
    ['pending LB', { type: 'LoadBalancer', clusterIP: '10.96.0.3', ports: [] }, {},
      ['web', 'LoadBalancer', '10.96.0.3', '<pending>', '<none>', '5m', '<none>']],
    ['LB with ingress', { type: 'LoadBalancer', clusterIP: '10.96.0.3',
      ports: [{ port: 443, protocol: 'TCP' }] },
    { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } },
    ['web', 'LoadBalancer', '10.96.0.3', '1.2.3.4', '443/TCP', '5m', '<none>']],
  ])('prints %s', (_label, spec, status, expected) => {
    const service = make('', 'Service', { spec, status });
    expect(definition('', 'Service').tableCells(service, now)).toEqual(expected);
  });
});

describe('Deployment, ReplicaSet, ReplicationController', () => {
  it('defaults a deployment as apps/v1 does', () => {
    const deployment = defaulted('apps', 'Deployment', { spec: {
      selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) } });
    expect(deployment.spec).toMatchObject({ replicas: 1, revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600, strategy: { type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      template: { spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' } } });
    expect(errorsOf('apps', 'Deployment', deployment)).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['mismatched selector', { selector: { matchLabels: { app: 'web' } },
      template: template({ app: 'db' }) },
    ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"db"}: ' +
      '`selector` does not match template `labels`']],
    ['missing selector', { template: template({ app: 'web' }) },
      ['spec.selector: Required value']],
    ['negative replicas', { replicas: -1, selector: { matchLabels: { app: 'web' } },
      template: template({ app: 'web' }) },
    ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
    ['both zero', { selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } },
    ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, ' +
      'IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0']],
  ])('deployment: %s', (_label, spec, expected) => {
    expect(errorsOf('apps', 'Deployment', defaulted('apps', 'Deployment', { spec })))
      .toEqual(expected);
  });

  it('keeps apps/v1 selectors immutable', () => {
    const spec = { selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) };
    const old = defaulted('apps', 'ReplicaSet', { spec });
    const next = defaulted('apps', 'ReplicaSet', { spec: {
      selector: { matchLabels: { app: 'web2' } }, template: template({ app: 'web2' }) } });
    expect(errorsOf('apps', 'ReplicaSet', next, old)).toEqual(['spec.selector: Invalid value: ' +
      'v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, ' +
      'MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable']);
  });

  it('prints deployments and replica sets', () => {
    const deployment = make('apps', 'Deployment', {
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: template({}) },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } });
    expect(definition('apps', 'Deployment').tableCells(deployment, now))
      .toEqual(['web', '2/3', 3, 2, '5m', 'app', 'nginx', 'app=web']);
    const replicaSet = make('apps', 'ReplicaSet', {
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: template({}) },
      status: { replicas: 3, readyReplicas: 1 } });
    expect(definition('apps', 'ReplicaSet').tableCells(replicaSet, now))
      .toEqual(['web', 3, 3, 1, '5m', 'app', 'nginx', 'app=web']);
    expect(definition('apps', 'ReplicaSet').fieldLabels(replicaSet)['status.replicas']).toBe('3');
  });

  it('defaults an RC selector and labels from its template', () => {
    const controller = defaulted('', 'ReplicationController',
      { spec: { template: template({ app: 'web' }) } });
    expect(controller.spec).toMatchObject({ replicas: 1, selector: { app: 'web' } });
    expect(controller.metadata.labels).toEqual({ app: 'web' });
    expect(errorsOf('', 'ReplicationController', controller)).toEqual([]);
  });
});

describe('Namespace and Node', () => {
  it('defaults a namespace and validates its DNS-1123 label name', () => {
    const namespace = defaulted('', 'Namespace', {}, { name: 'team-a' });
    expect(namespace.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team-a' });
    expect(namespace.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(namespace.status).toEqual({ phase: 'Active' });
    expect(definition('', 'Namespace').tableCells(namespace, now))
      .toEqual(['team-a', 'Active', '5m']);
    const dotted = defaulted('', 'Namespace', {}, { name: 'a.b' });
    expect(errorsOf('', 'Namespace', dotted)[0])
      .toMatch(/^metadata.name: Invalid value: "a.b": a lowercase RFC 1123 label/);
  });

  it.each<[string, Record<string, unknown>, Record<string, string>, string[]]>([
    ['ready', { unschedulable: false }, { 'node-role.kubernetes.io/control-plane': '' },
      ['Ready', 'control-plane']],
    ['cordoned', { unschedulable: true }, {}, ['Ready,SchedulingDisabled', '<none>']],
  ])('prints a %s node', (_label, spec, labels, expected) => {
    const node = make('', 'Node', { spec, status: {
      conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.32.0' },
      addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } }, { labels });
    expect(definition('', 'Node').tableCells(node, now)).toEqual(['web', ...expected, '5m',
      'v1.32.0', '10.0.0.1', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  });

  it('prints Unknown / NotReady node status', () => {
    const unknown = make('', 'Node', { spec: {}, status: {} });
    expect(definition('', 'Node').tableCells(unknown, now)[1]).toBe('Unknown');
    const notReady = make('', 'Node',
      { status: { conditions: [{ type: 'Ready', status: 'False' }] } });
    expect(definition('', 'Node').tableCells(notReady, now)[1]).toBe('NotReady');
  });
});

describe('Secret and ConfigMap', () => {
  it('folds stringData into data and defaults the type', () => {
    const secret = defaulted('', 'Secret', { stringData: { password: 'hunter2' } });
    expect(secret).toMatchObject({ type: 'Opaque', data: { password: 'aHVudGVyMg==' } });
    expect(secret.stringData).toBeUndefined();
    expect(definition('', 'Secret').tableCells(secret, now)).toEqual(['web', 'Opaque', 1, '5m']);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['bad key', { data: { 'a b': '' } }, ['data[a b]: Invalid value: "a b": a valid config key ' +
      "must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or " +
      "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"]],
    ['tls without key', { type: 'kubernetes.io/tls', data: { 'tls.crt': '' } },
      ['data[tls.key]: Required value']],
  ])('secret: %s', (_label, body, expected) => {
    expect(errorsOf('', 'Secret', defaulted('', 'Secret', body))).toEqual(expected);
  });

  it('freezes immutable data', () => {
    const old = defaulted('', 'ConfigMap', { immutable: true, data: { a: '1' } });
    const next = defaulted('', 'ConfigMap', { immutable: true, data: { a: '2' } });
    expect(errorsOf('', 'ConfigMap', next, old))
      .toEqual(['data: Forbidden: field is immutable when `immutable` is set']);
    const cm = make('', 'ConfigMap', { data: { a: '1' }, binaryData: { b: 'AA==' } });
    expect(definition('', 'ConfigMap').tableCells(cm, now)).toEqual(['web', 2, '5m']);
  });
});

describe('Event, Endpoints, ServiceAccount, Lease, HPA', () => {
  it('prints and selects events', () => {
    const event = make('', 'Event', { type: 'Warning', reason: 'BackOff', message: ' Back-off ',
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', fieldPath: 'spec' },
      source: { component: 'kubelet', host: 'node-1' }, firstTimestamp: created,
      lastTimestamp: '2024-05-01T11:59:00Z', count: 4 });
    expect(definition('', 'Event').tableCells(event, now)).toEqual(['60s', 'Warning', 'BackOff',
      'pod/web-1', 'spec', 'kubelet, node-1', 'Back-off', '5m', 4, 'web']);
    expect(definition('', 'Event').fieldLabels(event)).toMatchObject({
      'involvedObject.kind': 'Pod', 'involvedObject.name': 'web-1', reason: 'BackOff',
      source: 'kubelet', type: 'Warning' });
    const stray = make('', 'Event', { involvedObject: { kind: 'Pod', namespace: 'other' } });
    expect(errorsOf('', 'Event', stray)).toEqual(['involvedObject.namespace: Invalid value: ' +
      '"other": does not match event.namespace']);
  });

  it('formats endpoints with "+ N more..."', () => {
    const addresses = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((ip) => ({ ip }));
    const endpoints = defaulted('', 'Endpoints',
      { subsets: [{ addresses, ports: [{ port: 80 }] }] });
    expect(definition('', 'Endpoints').tableCells(endpoints, now))
      .toEqual(['web', '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...', '5m']);
    expect(errorsOf('', 'Endpoints', endpoints)).toEqual([]);
    const empty = make('', 'Endpoints', {});
    expect(definition('', 'Endpoints').tableCells(empty, now)[1]).toBe('<none>');
  });

  it('prints service accounts and leases; validates lease durations', () => {
    const account = make('', 'ServiceAccount', { secrets: [{ name: 'x' }] });
    expect(definition('', 'ServiceAccount').tableCells(account, now)).toEqual(['web', 1, '5m']);
    const lease = make('coordination.k8s.io', 'Lease',
      { spec: { holderIdentity: 'node-1', leaseDurationSeconds: 0 } });
    expect(definition('coordination.k8s.io', 'Lease').tableCells(lease, now))
      .toEqual(['web', 'node-1', '5m']);
    expect(errorsOf('coordination.k8s.io', 'Lease', lease))
      .toEqual(['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0']);
  });

  it('defaults, validates and prints an HPA', () => {
    const hpa = defaulted('autoscaling', 'HorizontalPodAutoscaler', { spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      maxReplicas: 5 } });
    expect(hpa.spec).toMatchObject({ minReplicas: 1, metrics: [{ type: 'Resource',
      resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] });
    hpa.status = { currentReplicas: 2, currentMetrics: [{ type: 'Resource',
      resource: { name: 'cpu', current: { averageUtilization: 35 } } }] };
    expect(definition('autoscaling', 'HorizontalPodAutoscaler').tableCells(hpa, now))
      .toEqual(['web', 'Deployment/web', 'cpu: 35%/80%', '1', 5, 2, '5m']);
    const bad = defaulted('autoscaling', 'HorizontalPodAutoscaler', { spec: {
      scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 3, maxReplicas: 2 } });
    expect(errorsOf('autoscaling', 'HorizontalPodAutoscaler', bad)).toEqual([
      'spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`']);
  });
});
