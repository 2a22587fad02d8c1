/**
 * @module resources/kinds/pod
 * core/v1 Pod: defaults (SetDefaults_Pod and SetDefaults_PodSpec, plus what the API server's
 * default admission chain adds on create: priority 0 with PreemptLowerPriority, the
 * `default` service account, the 300 s not-ready/unreachable NoExecute tolerations),
 * `status.phase: Pending` and the QoS class computed on create; validation (ValidatePod and
 * ValidatePodUpdate's "only images, activeDeadlineSeconds and new tolerations may change");
 * the `kubectl get pods` columns; the pod field selectors (GetAttrs in
 * pkg/registry/core/pod/strategy.go).
 *
 * NB: `spec.nodeName` is set through the binding subresource, which the API layer MUST
 * apply without calling `validate(new, old)` (upstream's binding bypasses ValidatePodUpdate).
 */
import type { DefaultsContext, FieldError, KubeObject, TableCell } from '../types.js';
import { fieldForbidden } from '../field-errors.js';
import { nameIsDNSSubdomain } from '../meta-validation.js';
import {
  ensureRecord, isRecord, jsonClone, jsonEqual, recordAt, recordsAt, setDefault, stringAt,
} from '../object-access.js';
import type { MutableRecord } from '../object-access.js';
import { ageColumn, column, nameColumn, translateTimestampSince } from '../printing.js';
import { defineKind, standardVerbs, statusSubresource } from './common.js';
import { applyPodSpecDefaults, validatePodSpec } from './pod-spec.js';
import { podQOSClass } from './pod-qos.js';
import { podStatusCells, podWideCells } from './pod-printing.js';

/** The tolerations the DefaultTolerationSeconds admission plugin adds (300 s each). */
const defaultTolerations: readonly MutableRecord[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute',
    tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute',
    tolerationSeconds: 300 },
];

function applyAdmissionDefaults(spec: MutableRecord): void {
  if (stringAt(spec, 'priorityClassName') === '') setDefault(spec, 'priority', 0);
  setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  if (stringAt(spec, 'serviceAccountName') === '') spec.serviceAccountName = 'default';
  // NB: the deprecated `serviceAccount` mirrors serviceAccountName (v1 conversion).
  spec.serviceAccount = spec.serviceAccountName;
  const tolerations = recordsAt(spec, 'tolerations');
  const added = defaultTolerations.filter((candidate) => !tolerations.some((existing) =>
    stringAt(existing, 'key') === candidate.key
    && ['', 'NoExecute'].includes(stringAt(existing, 'effect'))));
  if (added.length > 0) spec.tolerations = [...tolerations, ...added.map((t) => ({ ...t }))];
}

/** SetDefaults_Pod: requests default to limits for every resource that has only a limit. */
function defaultRequestsFromLimits(spec: MutableRecord): void {
  for (const key of ['initContainers', 'containers']) {
    for (const container of recordsAt(spec, key)) {
      const resources = recordAt(container, 'resources');
      const limits = recordAt(resources ?? {}, 'limits');
      if (resources === undefined || limits === undefined) continue;
      const requests = ensureRecord(resources, 'requests');
      for (const [name, quantity] of Object.entries(limits)) setDefault(requests, name, quantity);
    }
  }
}

function applyPodDefaults(pod: KubeObject, _context: DefaultsContext): void {
  const spec = ensureRecord(pod, 'spec');
  applyPodSpecDefaults(spec);
  setDefault(spec, 'enableServiceLinks', true);
  defaultRequestsFromLimits(spec);
  applyAdmissionDefaults(spec);
  const status = ensureRecord(pod, 'status');
  if (stringAt(status, 'phase') === '') status.phase = 'Pending';
  if (stringAt(status, 'qosClass') === '') status.qosClass = podQOSClass(spec);
}

const updatableFieldsMessage = 'pod updates may not change fields other than ' +
  '`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,' +
  '`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** Copies the allowed changes of `next` back to `old`'s values, then compares what is left. */
function validatePodSpecUpdate(next: MutableRecord, old: MutableRecord): FieldError[] {
  const munged = jsonClone(next);
  for (const key of ['containers', 'initContainers']) {
    const oldContainers = recordsAt(old, key);
    recordsAt(munged, key).forEach((container, index) => {
      const oldContainer = oldContainers[index];
      if (oldContainer !== undefined) container.image = oldContainer.image;
    });
  }
  const oldDeadline = old.activeDeadlineSeconds;
  const nextDeadline = munged.activeDeadlineSeconds;
  const deadlineAllowed = typeof nextDeadline === 'number'
    && (typeof oldDeadline !== 'number' || nextDeadline <= oldDeadline);
  if (deadlineAllowed || nextDeadline === oldDeadline) munged.activeDeadlineSeconds = oldDeadline;
  const oldTolerations = recordsAt(old, 'tolerations');
  const nextTolerations = recordsAt(munged, 'tolerations');
  if (oldTolerations.every((toleration) =>
    nextTolerations.some((candidate) => jsonEqual(candidate, toleration)))) {
    munged.tolerations = old.tolerations;
  }
  if (jsonEqual(munged, old)) return [];
  const changed = [...new Set([...Object.keys(munged), ...Object.keys(old)])]
    .filter((key) => !jsonEqual(munged[key], old[key])).sort();
  return [fieldForbidden('spec', `${updatableFieldsMessage}\n  changed: ${changed.join(', ')}`)];
}

function validatePod(pod: KubeObject, old: KubeObject | undefined): FieldError[] {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const errors = validatePodSpec(spec, 'spec', { requireImages: true });
  if (old !== undefined && isRecord(old.spec)) {
    errors.push(...validatePodSpecUpdate(spec, old.spec));
  }
  return errors;
}

function podFieldLabels(pod: KubeObject): Record<string, string> {
  const spec = isRecord(pod.spec) ? pod.spec : undefined;
  const status = isRecord(pod.status) ? pod.status : undefined;
  const podIP = stringAt(recordsAt(status, 'podIPs')[0], 'ip') || stringAt(status, 'podIP');
  return {
    'spec.nodeName': stringAt(spec, 'nodeName'),
    'spec.restartPolicy': stringAt(spec, 'restartPolicy'),
    'spec.schedulerName': stringAt(spec, 'schedulerName'),
    'spec.serviceAccountName': stringAt(spec, 'serviceAccountName'),
    'spec.hostNetwork': String(spec?.hostNetwork === true),
    'status.phase': stringAt(status, 'phase'),
    'status.podIP': podIP,
    'status.nominatedNodeName': stringAt(status, 'nominatedNodeName'),
  };
}

function podCells(pod: KubeObject, now: Date): TableCell[] {
  const [ready, status, restarts] = podStatusCells(pod, now);
  const age = translateTimestampSince(pod.metadata.creationTimestamp, now);
  return [pod.metadata.name ?? '', ready, status, restarts, age, ...podWideCells(pod)];
}

/** The core/v1 Pod definition. */
export const podDefinition = defineKind({
  group: '', version: 'v1', kind: 'Pod', resource: 'pods', singular: 'pod', namespaced: true,
  shortNames: ['po'], categories: ['all'], verbs: standardVerbs,
  subresources: [
    { name: 'binding', group: '', version: 'v1', kind: 'Binding', verbs: ['create'] },
    { name: 'eviction', group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] },
    { name: 'log', group: '', version: 'v1', kind: 'Pod', verbs: ['get'] },
    statusSubresource('', 'v1', 'Pod'),
  ],
  // NB: pods have no generation upstream in 1.32 (podStrategy never sets it).
  hasGeneration: false, hasStatus: true,
  nameValidator: nameIsDNSSubdomain,
  columns: [
    nameColumn,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column('Restarts', 'string', 'The number of times the containers in this pod have been ' +
      'restarted and when the last container in this pod has restarted.'),
    ageColumn,
    column('IP', 'string', 'podIP address allocated to the pod. Routable at least within the ' +
      'cluster. Empty if not yet allocated.', 1),
    column('Node', 'string', 'NodeName indicates in which node this pod is scheduled. If ' +
      'empty, this pod is a candidate for scheduling by the scheduler defined in ' +
      'schedulerName.', 1),
    column('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts ' +
      'other pods on the node, but it cannot be scheduled right away as preemption victims ' +
      'receive their graceful termination periods.', 1),
    column('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated ' +
      'for pod readiness.', 1),
  ],
  applyDefaults: applyPodDefaults,
  validateKind: validatePod,
  tableCells: podCells,
  kindFieldLabels: podFieldLabels,
});
