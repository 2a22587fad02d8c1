/**
 * @module resources/kinds/cluster
 * The cluster-scoped core/v1 kinds: Namespace (the `kubernetes.io/metadata.name` label,
 * the `kubernetes` finalizer, phase Active; DNS-1123 label names; STATUS column; the
 * legacy `name` field selector) and Node (allocatable defaults to capacity; the STATUS
 * "Ready[,SchedulingDisabled]", ROLES and wide address/system-info columns of printers.go;
 * the `spec.unschedulable` field selector).
 */
import type { FieldError, KubeObject, TableCell } from '../types.js';
import {
  fieldInvalid, fieldNotSupported, fieldRequired, invalidEach,
} from '../field-errors.js';
import { isQualifiedName, nameIsDNSLabel, nameIsDNSSubdomain } from '../meta-validation.js';
import {
  arrayAt, ensureRecord, recordAt, recordsAt, setDefault, stringAt, stringMapAt,
} from '../object-access.js';
import type { MutableRecord } from '../object-access.js';
import { ageColumn, column, nameColumn, translateTimestampSince } from '../printing.js';
import { defineKind, statusSubresource } from './common.js';
import { specOf, statusOf } from './workload-template.js';

function applyNamespaceDefaults(namespace: KubeObject): void {
  const name = namespace.metadata.name ?? '';
  // SetDefaults_Namespace: the immutable name label, so selectors can pick namespaces.
  if (name !== '') {
    namespace.metadata.labels = { ...(namespace.metadata.labels ?? {}),
      'kubernetes.io/metadata.name': name };
  }
  // NB: only when absent: the namespace controller empties the list to finish deletion,
  // and re-adding "kubernetes" on that update would block the namespace forever.
  const spec = ensureRecord(namespace, 'spec');
  setDefault(spec, 'finalizers', ['kubernetes']);
  const status = ensureRecord(namespace, 'status');
  if (stringAt(status, 'phase') === '') status.phase = 'Active';
}

function validateNamespace(namespace: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  for (const finalizer of arrayAt(specOf(namespace), 'finalizers')) {
    const text = typeof finalizer === 'string' ? finalizer : '';
    for (const message of isQualifiedName(text)) {
      errors.push(fieldInvalid('spec.finalizers', text, message));
    }
  }
  const phase = stringAt(statusOf(namespace), 'phase');
  if (phase !== '' && phase !== 'Active' && phase !== 'Terminating') {
    errors.push(fieldNotSupported('status.phase', phase, ['Active', 'Terminating']));
  }
  return errors;
}

/** The core/v1 Namespace definition. */
export const namespaceDefinition = defineKind({
  group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', singular: 'namespace',
  namespaced: false, shortNames: ['ns'],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: [statusSubresource('', 'v1', 'Namespace')],
  hasGeneration: false, hasStatus: true, nameValidator: nameIsDNSLabel,
  columns: [nameColumn, column('Status', 'string', 'The status of the namespace'), ageColumn],
  applyDefaults: applyNamespaceDefaults,
  validateKind: validateNamespace,
  tableCells: (namespace, now) => [
    namespace.metadata.name ?? '', stringAt(statusOf(namespace), 'phase'),
    translateTimestampSince(namespace.metadata.creationTimestamp, now),
  ],
  // NB: upstream keeps the bare "name" field label for backward compatibility.
  kindFieldLabels: (namespace) => ({
    'status.phase': stringAt(statusOf(namespace), 'phase'),
    name: namespace.metadata.name ?? '',
  }),
});

const taintEffects = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'] as const;

function validateNode(node: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  recordsAt(specOf(node), 'taints').forEach((taint, index) => {
    const path = `spec.taints[${index}]`;
    const key = stringAt(taint, 'key');
    errors.push(...invalidEach(`${path}.key`, key, isQualifiedName(key)));
    const effect = stringAt(taint, 'effect');
    if (effect === '') errors.push(fieldRequired(`${path}.effect`));
    else if (!(taintEffects as readonly string[]).includes(effect)) {
      errors.push(fieldNotSupported(`${path}.effect`, effect, taintEffects));
    }
  });
  return errors;
}

/** STATUS: the Ready condition ("Ready"/"NotReady"/"Unknown") plus ",SchedulingDisabled". */
function nodeStatusCell(node: KubeObject): string {
  const ready = recordsAt(statusOf(node), 'conditions')
    .filter((condition) => stringAt(condition, 'type') === 'Ready').at(-1);
  const parts = [ready === undefined ? 'Unknown'
    : stringAt(ready, 'status') === 'True' ? 'Ready' : 'NotReady'];
  if (specOf(node).unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** ROLES: `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role` values, sorted. */
function nodeRolesCell(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    const prefix = 'node-role.kubernetes.io/';
    if (key.startsWith(prefix) && key.length > prefix.length) roles.add(key.slice(prefix.length));
    else if (key === 'kubernetes.io/role' && value !== '') roles.add(value);
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

function nodeAddress(status: MutableRecord | undefined, type: string): string {
  const address = recordsAt(status, 'addresses').find((entry) => stringAt(entry, 'type') === type);
  return address === undefined ? '<none>' : stringAt(address, 'address');
}

function nodeCells(node: KubeObject, now: Date): TableCell[] {
  const status = statusOf(node);
  const info = recordAt(status ?? {}, 'nodeInfo');
  const orUnknown = (key: string): string => stringAt(info, key) || '<unknown>';
  return [
    node.metadata.name ?? '', nodeStatusCell(node), nodeRolesCell(node),
    translateTimestampSince(node.metadata.creationTimestamp, now), stringAt(info, 'kubeletVersion'),
    nodeAddress(status, 'InternalIP'), nodeAddress(status, 'ExternalIP'),
    orUnknown('osImage'), orUnknown('kernelVersion'), orUnknown('containerRuntimeVersion'),
  ];
}

/** The core/v1 Node definition. */
export const nodeDefinition = defineKind({
  group: '', version: 'v1', kind: 'Node', resource: 'nodes', singular: 'node',
  namespaced: false, shortNames: ['no'],
  subresources: [statusSubresource('', 'v1', 'Node')],
  hasGeneration: false, hasStatus: true, nameValidator: nameIsDNSSubdomain,
  columns: [
    nameColumn,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    ageColumn,
    column('Version', 'string', 'Kubelet Version reported by the node.'),
    column('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
    column('External-IP', 'string', 'List of addresses reachable to the node.', 1),
    column('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release.', 1),
    column('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r'.", 1),
    column('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node ' +
      'through runtime remote API (e.g. containerd://1.4.2).', 1),
  ],
  applyDefaults: (node) => {
    const status = ensureRecord(node, 'status');
    // SetDefaults_NodeStatus: allocatable defaults to capacity.
    const capacity = recordAt(status, 'capacity');
    if (recordAt(status, 'allocatable') === undefined && capacity !== undefined) {
      status.allocatable = { ...stringMapAt(status, 'capacity') };
    }
  },
  validateKind: validateNode,
  tableCells: nodeCells,
  kindFieldLabels: (node) => ({
    'spec.unschedulable': String(specOf(node).unschedulable === true),
  }),
});
