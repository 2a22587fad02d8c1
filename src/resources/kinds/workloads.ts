/**
 * @module resources/kinds/workloads
 * apps/v1 Deployment and ReplicaSet, core/v1 ReplicationController: defaults
 * (pkg/apis/apps/v1/defaults.go, SetDefaults_ReplicationController), validation
 * (pkg/apis/apps/validation: selector required, non-empty, matching the template, immutable
 * in apps/v1; rolling update parameters) and the `kubectl get` columns of printers.go.
 */
import type { FieldError, KubeObject, TableCell } from '../types.js';
import { fieldInvalid, fieldRequired } from '../field-errors.js';
import { nameIsDNSSubdomain, validateNonnegative } from '../meta-validation.js';
import {
  goLabelSelector, isEmptyLabelSelector, labelSelectorMatches, validateLabelSelector,
} from '../label-selector.js';
import {
  ensureRecord, jsonEqual, numberAt, recordAt, setDefault, stringMapAt,
} from '../object-access.js';
import type { MutableRecord } from '../object-access.js';
import {
  ageColumn, column, containerCells, formatLabelSelector, formatLabels, nameColumn,
  translateTimestampSince, workloadWideColumns,
} from '../printing.js';
import { defineKind, scaleSubresource, statusSubresource } from './common.js';
import {
  applyTemplateDefaults, specOf, statusOf, validateReplicaCounts, validateWorkloadTemplate,
} from './workload-template.js';
import { validateDeploymentStrategy } from './deployment-strategy.js';

/** Validates an apps/v1 selector and the template it must match (Deployment, ReplicaSet). */
function validateAppsSelector(spec: MutableRecord, kindWord: string): FieldError[] {
  const errors: FieldError[] = [];
  const selector = recordAt(spec, 'selector');
  if (selector === undefined) {
    errors.push(fieldRequired('spec.selector'));
  } else {
    const selectorErrors = validateLabelSelector(selector, 'spec.selector');
    errors.push(...selectorErrors);
    if (isEmptyLabelSelector(selector)) {
      errors.push(fieldInvalid('spec.selector', { go: goLabelSelector(selector) },
        `empty selector is invalid for ${kindWord}`));
    }
  }
  // NB: an empty or absent selector checks no template labels (selector.Empty()).
  const usable = selector !== undefined && !isEmptyLabelSelector(selector);
  const matches = usable ? (labels: Readonly<Record<string, string>>): boolean =>
    labelSelectorMatches(selector, labels) : undefined;
  errors.push(...validateWorkloadTemplate(spec, matches));
  errors.push(...validateReplicaCounts(spec));
  return errors;
}

function validateSelectorUpdate(object: KubeObject, old: KubeObject | undefined): FieldError[] {
  if (old === undefined) return [];
  const selector = recordAt(specOf(object), 'selector');
  if (jsonEqual(selector, recordAt(specOf(old), 'selector'))) return [];
  return [fieldInvalid('spec.selector', { go: goLabelSelector(selector) }, 'field is immutable')];
}

function applyDeploymentDefaults(deployment: KubeObject): void {
  const spec = ensureRecord(deployment, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = ensureRecord(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rollingUpdate = ensureRecord(strategy, 'rollingUpdate');
    setDefault(rollingUpdate, 'maxUnavailable', '25%');
    setDefault(rollingUpdate, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  applyTemplateDefaults(spec);
}

function validateDeployment(deployment: KubeObject, old: KubeObject | undefined): FieldError[] {
  const spec = specOf(deployment);
  const errors = validateAppsSelector(spec, 'deployment');
  errors.push(...validateDeploymentStrategy(recordAt(spec, 'strategy')));
  errors.push(...validateNonnegative(numberAt(spec, 'revisionHistoryLimit'),
    'spec.revisionHistoryLimit'));
  const deadline = numberAt(spec, 'progressDeadlineSeconds');
  if (deadline !== undefined) {
    errors.push(...validateNonnegative(deadline, 'spec.progressDeadlineSeconds'));
    if (deadline <= (numberAt(spec, 'minReadySeconds') ?? 0)) {
      errors.push(fieldInvalid('spec.progressDeadlineSeconds', deadline,
        'must be greater than minReadySeconds'));
    }
  }
  errors.push(...validateSelectorUpdate(deployment, old));
  return errors;
}

function deploymentCells(deployment: KubeObject, now: Date): TableCell[] {
  const spec = specOf(deployment);
  const status = statusOf(deployment);
  const [containers, images] = containerCells(recordAt(recordAt(spec, 'template') ?? {}, 'spec'));
  const selector = recordAt(spec, 'selector');
  // NB: deployments print selector.String(): "" for an empty selector, not "<none>".
  const selectorText = selector === undefined || isEmptyLabelSelector(selector)
    ? '' : formatLabelSelector(selector);
  return [
    deployment.metadata.name ?? '',
    `${numberAt(status, 'readyReplicas') ?? 0}/${numberAt(spec, 'replicas') ?? 0}`,
    numberAt(status, 'updatedReplicas') ?? 0, numberAt(status, 'availableReplicas') ?? 0,
    translateTimestampSince(deployment.metadata.creationTimestamp, now),
    containers, images, selectorText,
  ];
}

/** The apps/v1 Deployment definition. */
export const deploymentDefinition = defineKind({
  group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments',
  singular: 'deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'],
  subresources: [scaleSubresource, statusSubresource('apps', 'v1', 'Deployment')],
  hasGeneration: true, hasStatus: true, nameValidator: nameIsDNSSubdomain,
  columns: [
    nameColumn,
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this ' +
      'deployment that have the desired template spec.'),
    column('Available', 'string', 'Total number of available pods (ready for at least ' +
      'minReadySeconds) targeted by this deployment.'),
    ageColumn, ...workloadWideColumns,
  ],
  applyDefaults: applyDeploymentDefaults,
  validateKind: validateDeployment,
  tableCells: deploymentCells,
});

const replicaColumns = [
  nameColumn,
  column('Desired', 'integer', 'Replicas is the number of desired replicas.'),
  column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
  column('Ready', 'integer', 'The number of ready replicas for this replica set.'),
  ageColumn, ...workloadWideColumns,
] as const;

function replicaCells(object: KubeObject, now: Date, selectorText: string): TableCell[] {
  const spec = specOf(object);
  const status = statusOf(object);
  const [containers, images] = containerCells(recordAt(recordAt(spec, 'template') ?? {}, 'spec'));
  return [
    object.metadata.name ?? '', numberAt(spec, 'replicas') ?? 0,
    numberAt(status, 'replicas') ?? 0, numberAt(status, 'readyReplicas') ?? 0,
    translateTimestampSince(object.metadata.creationTimestamp, now),
    containers, images, selectorText,
  ];
}

const statusReplicasLabel = (object: KubeObject): Record<string, string> =>
  ({ 'status.replicas': String(numberAt(statusOf(object), 'replicas') ?? 0) });

/** The apps/v1 ReplicaSet definition. */
export const replicaSetDefinition = defineKind({
  group: 'apps', version: 'v1', kind: 'ReplicaSet', resource: 'replicasets',
  singular: 'replicaset', namespaced: true, shortNames: ['rs'], categories: ['all'],
  subresources: [scaleSubresource, statusSubresource('apps', 'v1', 'ReplicaSet')],
  hasGeneration: true, hasStatus: true, nameValidator: nameIsDNSSubdomain,
  columns: replicaColumns,
  applyDefaults: (replicaSet) => {
    const spec = ensureRecord(replicaSet, 'spec');
    setDefault(spec, 'replicas', 1);
    applyTemplateDefaults(spec);
  },
  validateKind: (replicaSet, old) => [
    // NB: upstream's ReplicaSet validation reuses the deployment wording here.
    ...validateAppsSelector(specOf(replicaSet), 'deployment'),
    ...validateSelectorUpdate(replicaSet, old),
  ],
  tableCells: (replicaSet, now) =>
    replicaCells(replicaSet, now, formatLabelSelector(recordAt(specOf(replicaSet), 'selector'))),
  kindFieldLabels: statusReplicasLabel,
});

function applyReplicationControllerDefaults(controller: KubeObject): void {
  const spec = ensureRecord(controller, 'spec');
  const templateLabels = stringMapAt(recordAt(recordAt(spec, 'template') ?? {}, 'metadata'),
    'labels');
  // SetDefaults_ReplicationController: selector and labels default to the template labels.
  if (recordAt(spec, 'template') !== undefined) {
    if (Object.keys(stringMapAt(spec, 'selector')).length === 0) {
      spec.selector = { ...templateLabels };
    }
    if (Object.keys(controller.metadata.labels ?? {}).length === 0) {
      controller.metadata.labels = { ...templateLabels };
    }
  }
  setDefault(spec, 'replicas', 1);
  applyTemplateDefaults(spec);
}

function validateReplicationController(controller: KubeObject): FieldError[] {
  const spec = specOf(controller);
  const selector = stringMapAt(spec, 'selector');
  const errors: FieldError[] = [];
  if (Object.keys(selector).length === 0) errors.push(fieldRequired('spec.selector'));
  const selectorRecord: MutableRecord = { matchLabels: selector };
  const matches = Object.keys(selector).length === 0 ? undefined
    : (labels: Readonly<Record<string, string>>): boolean =>
      labelSelectorMatches(selectorRecord, labels);
  errors.push(...validateWorkloadTemplate(spec, matches));
  errors.push(...validateReplicaCounts(spec));
  return errors;
}

/** The core/v1 ReplicationController definition. */
export const replicationControllerDefinition = defineKind({
  group: '', version: 'v1', kind: 'ReplicationController', resource: 'replicationcontrollers',
  singular: 'replicationcontroller', namespaced: true, shortNames: ['rc'], categories: ['all'],
  subresources: [scaleSubresource, statusSubresource('', 'v1', 'ReplicationController')],
  hasGeneration: true, hasStatus: true, nameValidator: nameIsDNSSubdomain,
  columns: replicaColumns,
  applyDefaults: applyReplicationControllerDefaults,
  validateKind: validateReplicationController,
  tableCells: (controller, now) =>
    replicaCells(controller, now, formatLabels(stringMapAt(specOf(controller), 'selector'))),
  kindFieldLabels: statusReplicasLabel,
});
