/**
 * @module resources/kinds/workload-template
 * What Deployment, ReplicaSet and ReplicationController share: pod template defaults, and
 * upstream's ValidatePodTemplateSpecForReplicaSet (the selector must match the template
 * labels, restartPolicy must be Always, no activeDeadlineSeconds) plus
 * ValidatePodTemplateSpec (template labels and annotations, the pod spec with images
 * optional, as upstream allows for templates).
 */
import type { FieldError, KubeObject } from '../types.js';
import {
  fieldInvalid, fieldNotSupported, fieldRequired, goStringMap,
} from '../field-errors.js';
import { validateAnnotations, validateLabels, validateNonnegative } from '../meta-validation.js';
import { isRecord, numberAt, recordAt, stringAt, stringMapAt } from '../object-access.js';
import type { MutableRecord } from '../object-access.js';
import { applyPodSpecDefaults, validatePodSpec } from './pod-spec.js';

/** Applies pod spec defaults to `spec.template.spec` when a template is present. */
export function applyTemplateDefaults(spec: MutableRecord): void {
  const template = recordAt(spec, 'template');
  if (template === undefined) return;
  const podSpec = recordAt(template, 'spec');
  if (podSpec !== undefined) applyPodSpecDefaults(podSpec);
}

/**
 * Validates `spec.template` against `matches` (the parsed selector, or undefined when the
 * selector is empty or invalid and so checks nothing).
 */
export function validateWorkloadTemplate(
  spec: MutableRecord,
  matches: ((labels: Readonly<Record<string, string>>) => boolean) | undefined,
): FieldError[] {
  const template = recordAt(spec, 'template');
  if (template === undefined) return [fieldRequired('spec.template')];
  const errors: FieldError[] = [];
  const metadata = recordAt(template, 'metadata');
  const labels = stringMapAt(metadata, 'labels');
  if (matches !== undefined && !matches(labels)) {
    const rendered = metadata?.labels === undefined ? goStringMap(undefined) : goStringMap(labels);
    errors.push(fieldInvalid('spec.template.metadata.labels', rendered,
      '`selector` does not match template `labels`'));
  }
  // NB: upstream reports template metadata at "spec.template.labels" (no "metadata").
  errors.push(...validateLabels(labels, 'spec.template.labels'));
  errors.push(...validateAnnotations(stringMapAt(metadata, 'annotations'),
    'spec.template.annotations'));
  const podSpec = recordAt(template, 'spec') ?? {};
  errors.push(...validatePodSpec(podSpec, 'spec.template.spec', { requireImages: false }));
  const restartPolicy = stringAt(podSpec, 'restartPolicy');
  if (restartPolicy !== '' && restartPolicy !== 'Always') {
    errors.push(fieldNotSupported('spec.template.spec.restartPolicy', restartPolicy, ['Always']));
  }
  const deadline = numberAt(podSpec, 'activeDeadlineSeconds');
  if (deadline !== undefined) {
    errors.push(fieldInvalid('spec.template.spec.activeDeadlineSeconds', deadline,
      'activeDeadlineSeconds in ReplicaSet is not Supported'));
  }
  return errors;
}

/** replicas and minReadySeconds must not be negative. */
export function validateReplicaCounts(spec: MutableRecord): FieldError[] {
  return [
    ...validateNonnegative(numberAt(spec, 'replicas'), 'spec.replicas'),
    ...validateNonnegative(numberAt(spec, 'minReadySeconds'), 'spec.minReadySeconds'),
  ];
}

/** Returns `object.spec` when it is an object, else {} (validation reads a missing spec). */
export function specOf(object: KubeObject): MutableRecord {
  return isRecord(object.spec) ? object.spec : {};
}

/** Returns `object.status` when it is an object, else undefined. */
export function statusOf(object: KubeObject): MutableRecord | undefined {
  return isRecord(object.status) ? object.status : undefined;
}
