/**
 * @module resources/kinds/hpa
 * autoscaling/v2 HorizontalPodAutoscaler: defaults (pkg/apis/autoscaling/v2/defaults.go:
 * minReplicas 1, an 80% CPU utilization metric when none is given, scale-up/scale-down
 * rules filled in when `behavior` is present), validation (replica bounds, scaleTargetRef,
 * metric targets) and the REFERENCE / TARGETS / MINPODS / MAXPODS / REPLICAS columns with
 * printers.go's formatHPAMetrics.
 */
import type { FieldError, KubeObject, TableCell } from '../types.js';
import { fieldInvalid, fieldNotSupported, fieldRequired } from '../field-errors.js';
import { nameIsDNSSubdomain } from '../meta-validation.js';
import {
  ensureRecord, numberAt, recordAt, recordsAt, setDefault, stringAt,
} from '../object-access.js';
import type { MutableRecord } from '../object-access.js';
import { quantityText } from '../quantity.js';
import { ageColumn, column, nameColumn, translateTimestampSince } from '../printing.js';
import { defineKind, statusSubresource } from './common.js';
import { specOf, statusOf } from './workload-template.js';

/** Metrics shown in TARGETS before "+ N more..." (formatHPAMetrics' max). */
const targetsShownMax = 2;
const defaultCPUUtilizationPercent = 80;
const metricTypes = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'] as const;

/** Fills unset scaling rule fields, as GenerateHPAScaleUpRules / ...ScaleDownRules. */
function fillScalingRules(behavior: MutableRecord, key: 'scaleUp' | 'scaleDown'): void {
  const rules = ensureRecord(behavior, key);
  setDefault(rules, 'selectPolicy', 'Max');
  if (key === 'scaleUp') {
    setDefault(rules, 'stabilizationWindowSeconds', 0);
    setDefault(rules, 'policies', [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ]);
  } else {
    // NB: scale-down stabilization stays unset: the controller flag decides (300 s).
    setDefault(rules, 'policies', [{ type: 'Percent', value: 100, periodSeconds: 15 }]);
  }
}

function applyHPADefaults(hpa: KubeObject): void {
  const spec = ensureRecord(hpa, 'spec');
  setDefault(spec, 'minReplicas', 1);
  if (recordsAt(spec, 'metrics').length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu',
      target: { type: 'Utilization', averageUtilization: defaultCPUUtilizationPercent } } }];
  }
  const behavior = recordAt(spec, 'behavior');
  if (behavior !== undefined) {
    fillScalingRules(behavior, 'scaleUp');
    fillScalingRules(behavior, 'scaleDown');
  }
}

function validateTarget(target: MutableRecord | undefined, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const type = stringAt(target, 'type');
  if (type === '') errors.push(fieldRequired(`${path}.type`, 'must specify a metric target type'));
  else if (!['Utilization', 'Value', 'AverageValue'].includes(type)) {
    errors.push(fieldInvalid(`${path}.type`, type,
      'must be either Utilization, Value, or AverageValue'));
  }
  const utilization = numberAt(target, 'averageUtilization');
  if (utilization !== undefined && utilization < 1) {
    errors.push(fieldInvalid(`${path}.averageUtilization`, utilization, 'must be greater than 0'));
  }
  return errors;
}

function validateMetric(metric: MutableRecord, path: string): FieldError[] {
  const type = stringAt(metric, 'type');
  if (!(metricTypes as readonly string[]).includes(type)) {
    return [fieldNotSupported(`${path}.type`, type, metricTypes)];
  }
  const sourceKey = type.charAt(0).toLowerCase() + type.slice(1);
  const source = recordAt(metric, sourceKey);
  if (source === undefined) {
    return [fieldRequired(`${path}.${sourceKey}`,
      'must populate information for the given metric source')];
  }
  const errors: FieldError[] = [];
  if ((type === 'Resource' || type === 'ContainerResource') && stringAt(source, 'name') === '') {
    errors.push(fieldRequired(`${path}.${sourceKey}.name`, 'must specify a resource name'));
  }
  errors.push(...validateTarget(recordAt(source, 'target'), `${path}.${sourceKey}.target`));
  return errors;
}

function validateHPA(hpa: KubeObject): FieldError[] {
  const spec = specOf(hpa);
  const errors: FieldError[] = [];
  const minReplicas = numberAt(spec, 'minReplicas');
  const maxReplicas = numberAt(spec, 'maxReplicas') ?? 0;
  if (minReplicas !== undefined && minReplicas < 1) {
    errors.push(fieldInvalid('spec.minReplicas', minReplicas,
      'must be greater than or equal to 1'));
  }
  if (maxReplicas < 1) {
    errors.push(fieldInvalid('spec.maxReplicas', maxReplicas, 'must be greater than 0'));
  }
  if (minReplicas !== undefined && maxReplicas < minReplicas) {
    errors.push(fieldInvalid('spec.maxReplicas', maxReplicas,
      'must be greater than or equal to `minReplicas`'));
  }
  const reference = recordAt(spec, 'scaleTargetRef');
  for (const key of ['kind', 'name']) {
    const value = stringAt(reference, key);
    if (value === '') errors.push(fieldRequired(`spec.scaleTargetRef.${key}`));
    else if (value.includes('/') || value.includes('%') || value === '.' || value === '..') {
      errors.push(fieldInvalid(`spec.scaleTargetRef.${key}`, value, "may not contain '/'"));
    }
  }
  recordsAt(spec, 'metrics').forEach((metric, index) => {
    errors.push(...validateMetric(metric, `spec.metrics[${index}]`));
  });
  return errors;
}

/** One TARGETS entry for metric `spec`, with its current value from `status` if any. */
function formatMetric(spec: MutableRecord, status: MutableRecord | undefined): string {
  const type = stringAt(spec, 'type');
  const sourceKey = type.charAt(0).toLowerCase() + type.slice(1);
  const source = recordAt(spec, sourceKey);
  const target = recordAt(source ?? {}, 'target');
  const current = recordAt(recordAt(status ?? {}, sourceKey) ?? {}, 'current');
  const text = (record: MutableRecord | undefined, key: string): string | undefined =>
    record?.[key] === undefined ? undefined : quantityText(record[key]);
  if (type === 'Resource' || type === 'ContainerResource') {
    const name = stringAt(source, 'name');
    const averageValue = text(target, 'averageValue');
    if (averageValue !== undefined) {
      return `${name}: ${text(current, 'averageValue') ?? '<unknown>'}/${averageValue}`;
    }
    const utilization = numberAt(current, 'averageUtilization');
    const wanted = numberAt(target, 'averageUtilization');
    return `${name}: ${utilization === undefined ? '<unknown>' : `${utilization}%`}/` +
      `${wanted === undefined ? '<auto>' : `${wanted}%`}`;
  }
  if (type === 'Pods') {
    return `${text(current, 'averageValue') ?? '<unknown>'}/${text(target, 'averageValue') ?? ''}`;
  }
  if (type === 'Object' || type === 'External') {
    const averageValue = text(target, 'averageValue');
    if (averageValue !== undefined) {
      return `${text(current, 'averageValue') ?? '<unknown>'}/${averageValue} (avg)`;
    }
    return `${text(current, 'value') ?? '<unknown>'}/${text(target, 'value') ?? ''}`;
  }
  return '<unknown type>';
}

function hpaCells(hpa: KubeObject, now: Date): TableCell[] {
  const spec = specOf(hpa);
  const status = statusOf(hpa);
  const reference = recordAt(spec, 'scaleTargetRef');
  const metrics = recordsAt(spec, 'metrics');
  const currentMetrics = recordsAt(status, 'currentMetrics');
  let targets = '<none>';
  if (metrics.length > 0) {
    const shown = metrics.slice(0, targetsShownMax)
      .map((metric, index) => formatMetric(metric, currentMetrics[index]));
    const more = metrics.length > targetsShownMax
      ? ` + ${metrics.length - targetsShownMax} more...` : '';
    targets = `${shown.join(', ')}${more}`;
  }
  const minReplicas = numberAt(spec, 'minReplicas');
  return [
    hpa.metadata.name ?? '', `${stringAt(reference, 'kind')}/${stringAt(reference, 'name')}`,
    targets, minReplicas === undefined ? '<unset>' : String(minReplicas),
    numberAt(spec, 'maxReplicas') ?? 0, numberAt(status, 'currentReplicas') ?? 0,
    translateTimestampSince(hpa.metadata.creationTimestamp, now),
  ];
}

/** The autoscaling/v2 HorizontalPodAutoscaler definition. */
export const horizontalPodAutoscalerDefinition = defineKind({
  group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler',
  resource: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', namespaced: true,
  shortNames: ['hpa'], categories: ['all'],
  subresources: [statusSubresource('autoscaling', 'v2', 'HorizontalPodAutoscaler')],
  hasGeneration: true, hasStatus: true, nameValidator: nameIsDNSSubdomain,
  columns: [
    nameColumn,
    column('Reference', 'string', 'scaleTargetRef points to the target resource to scale.'),
    column('Targets', 'string', 'metrics contains the specifications for which to use to ' +
      'calculate the desired replica count.'),
    column('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas ' +
      'to which the autoscaler can scale down.'),
    column('MaxPods', 'string', 'maxReplicas is the upper limit for the number of replicas ' +
      'to which the autoscaler can scale up.'),
    column('Replicas', 'string', 'currentReplicas is current number of replicas of pods ' +
      'managed by this autoscaler.'),
    ageColumn,
  ],
  applyDefaults: applyHPADefaults,
  validateKind: validateHPA,
  tableCells: hpaCells,
});
