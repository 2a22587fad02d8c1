/**
 * Goal: the Pod definition defaults, validates, prints and selects like the upstream API
 * server. Method: small pod builders run through applyDefaults / validate / tableCells /
 * fieldLabels, compared with the values and messages upstream produces (defaults.go,
 * validation.go, printers.go printPod, pod strategy GetAttrs).
 */
import { describe, expect, it } from 'vitest';
import { podDefinition } from '../../src/resources/kinds/pod.js';
import { formatFieldError } from '../../src/resources/field-errors.js';
import type { KubeObject } from '../../src/resources/types.js';

const now = new Date('2024-05-01T12:00:00Z');

function pod(spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject {
  const object: KubeObject = { apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: '2024-05-01T11:55:00Z' },
    spec };
  if (status !== undefined) object.status = status;
  return object;
}

function defaulted(spec: Record<string, unknown>): KubeObject {
  const object = pod(spec);
  podDefinition.applyDefaults(object, { now });
  return object;
}

const container = (extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ name: 'app', image: 'nginx:1.25', ...extra });

describe('pod defaults', () => {
  it('fills the pod spec, container and status defaults', () => {
    const object = defaulted({ containers: [container({ ports: [{ containerPort: 80 }] })] });
    expect(object.spec).toMatchObject({
      restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler', securityContext: {}, enableServiceLinks: true,
      priority: 0, preemptionPolicy: 'PreemptLowerPriority', serviceAccountName: 'default',
      containers: [{ imagePullPolicy: 'IfNotPresent',
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
        ports: [{ containerPort: 80, protocol: 'TCP' }] }],
    });
    expect(object.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  it.each([
    ['nginx', 'Always'], ['nginx:latest', 'Always'], ['nginx:1.25', 'IfNotPresent'],
    ['registry:5000/nginx', 'Always'], ['nginx@sha256:abc', 'IfNotPresent'],
  ])('image %s pulls %s', (image, policy) => {
    const object = defaulted({ containers: [container({ image })] });
    expect(object.spec).toMatchObject({ containers: [{ imagePullPolicy: policy }] });
  });

  it('is idempotent', () => {
    const once = defaulted({ containers: [container()] });
    const twice = structuredClone(once);
    podDefinition.applyDefaults(twice, { now });
    expect(twice).toEqual(once);
  });

  it.each([
    ['no resources', {}, 'BestEffort'],
    ['requests only', { requests: { cpu: '100m' } }, 'Burstable'],
    ['limits only (requests default to them)', { limits: { cpu: '1', memory: '1Gi' } },
      'Guaranteed'],
    ['equal requests and limits', { requests: { cpu: '500m', memory: '128Mi' },
      limits: { cpu: '0.5', memory: '128Mi' } }, 'Guaranteed'],
    ['lower requests', { requests: { cpu: '100m', memory: '1Gi' },
      limits: { cpu: '1', memory: '1Gi' } }, 'Burstable'],
  ])('QoS with %s is %s', (_label, resources, qosClass) => {
    const object = defaulted({ containers: [container({ resources })] });
    expect(object.status).toMatchObject({ qosClass });
  });
});

describe('pod validation', () => {
  const messages = (object: KubeObject, old?: KubeObject): string[] =>
    podDefinition.validate(object, old).map(formatFieldError);

  it.each<[string, Record<string, unknown>, string[]]>([
    ['valid', { containers: [container()] }, []],
    ['no containers', { containers: [] }, ['spec.containers: Required value']],
    ['no image', { containers: [{ name: 'app' }] }, ['spec.containers[0].image: Required value']],
    ['duplicate names', { containers: [container(), container()] },
      ['spec.containers[1].name: Duplicate value: "app"']],
    ['bad port',
      { containers: [container({ ports: [{ containerPort: 70000, protocol: 'TCP' }] })] },
      ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and ' +
        '65535, inclusive']],
    ['bad protocol',
      { containers: [container({ ports: [{ containerPort: 80, protocol: 'ICMP' }] })] },
      ['spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: ' +
        '"SCTP", "TCP", "UDP"']],
    ['bad restart policy', { restartPolicy: 'Sometimes', containers: [container()] },
      ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", ' +
        '"OnFailure", "Never"']],
  ])('%s', (_label, spec, expected) => {
    const object = pod(spec);
    podDefinition.applyDefaults(object, { now });
    expect(messages(object)).toEqual(expected);
  });

  it('allows image updates and forbids other spec changes', () => {
    const old = defaulted({ containers: [container()] });
    const newImage = structuredClone(old);
    (newImage.spec as { containers: { image: string }[] }).containers[0]!.image = 'nginx:1.26';
    expect(messages(newImage, old)).toEqual([]);
    const newPolicy = structuredClone(old);
    (newPolicy.spec as { dnsPolicy: string }).dnsPolicy = 'Default';
    const errors = messages(newPolicy, old);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^spec: Forbidden: pod updates may not change fields other than/);
    expect(errors[0]).toContain('dnsPolicy');
  });
});

describe('pod table cells', () => {
  const waiting = (reason: string): Record<string, unknown> => ({ waiting: { reason } });
  it.each<[string, Record<string, unknown>, string[]]>([
    ['pending', { phase: 'Pending' }, ['0/1', 'Pending', '0']],
    ['creating', { phase: 'Pending', containerStatuses: [
      { name: 'app', ready: false, restartCount: 0, state: waiting('ContainerCreating') }] },
    ['0/1', 'ContainerCreating', '0']],
    ['running', { phase: 'Running', containerStatuses: [
      { name: 'app', ready: true, restartCount: 0, state: { running: {} } }] },
    ['1/1', 'Running', '0']],
    ['crash loop', { phase: 'Running', containerStatuses: [{ name: 'app', ready: false,
      restartCount: 2, state: waiting('CrashLoopBackOff'),
      lastState: { terminated: { exitCode: 1, finishedAt: '2024-05-01T11:55:00Z' } } }] },
    ['0/1', 'CrashLoopBackOff', '2 (5m ago)']],
    ['completed', { phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false,
      restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] },
    ['0/1', 'Completed', '0']],
    ['init', { phase: 'Pending', initContainerStatuses: [{ name: 'init', restartCount: 0,
      state: { running: {} } }] }, ['0/1', 'Init:0/1', '0']],
  ])('%s', (_label, status, expected) => {
    const spec = { containers: [container()], initContainers: _label === 'init'
      ? [{ name: 'init', image: 'busybox' }] : [] };
    expect(podDefinition.tableCells(pod(spec, status), now).slice(1, 4)).toEqual(expected);
  });

  it('prints Terminating, the age and the wide cells', () => {
    const object = pod({ containers: [container()], nodeName: 'node-1' },
      { phase: 'Running', podIP: '10.0.0.5' });
    object.metadata.deletionTimestamp = '2024-05-01T12:00:00Z';
    expect(podDefinition.tableCells(object, now)).toEqual(
      ['web', '0/1', 'Terminating', '0', '5m', '10.0.0.5', 'node-1', '<none>', '<none>']);
    expect(podDefinition.columns.map((column) => column.name)).toEqual(['Name', 'Ready',
      'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
  });

  it('exposes the pod field labels', () => {
    const object = defaulted({ containers: [container()], nodeName: 'node-1' });
    expect(podDefinition.fieldLabels(object)).toEqual({
      'metadata.name': 'web', 'metadata.namespace': 'default', 'spec.nodeName': 'node-1',
      'spec.restartPolicy': 'Always', 'spec.schedulerName': 'default-scheduler',
      'spec.serviceAccountName': 'default', 'spec.hostNetwork': 'false',
      'status.phase': 'Pending', 'status.podIP': '', 'status.nominatedNodeName': '',
    });
  });
});
