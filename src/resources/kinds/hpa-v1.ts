/**
 * @module resources/kinds/hpa-v1
 * autoscaling/v1 HorizontalPodAutoscaler, served beside autoscaling/v2 (the stored version),
 * because `kubectl autoscale` creates v1 objects. Conversion follows upstream's
 * autoscaling/v1 ↔ v2 rules for the CPU target: v1's `targetCPUUtilizationPercentage` is
 * v2's Resource metric `cpu` with an Utilization target, and back. NB: upstream keeps the
 * v2-only fields of a v1 round trip in annotations; here an update through v1 keeps the
 * stored object's other metrics and behavior instead, which has the same effect.
 */
import type { KubeObject, ObjectSchema, ResourceDefinition } from '../types.js';
import { int, int64, obj, str } from '../schema/builders.js';
import { objectMetaSchema, typeMetaFields } from '../schema/meta.js';
import { horizontalPodAutoscalerDefinition } from './hpa.js';

type Record_ = Record<string, unknown>;

/** The v1 object's schema (k8s.io/api autoscaling/v1, v1.32). */
const hpaV1Schema: ObjectSchema = obj('v1.HorizontalPodAutoscaler', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  spec: obj('v1.HorizontalPodAutoscalerSpec', {
    scaleTargetRef: obj('v1.CrossVersionObjectReference',
      { kind: str(), name: str(), apiVersion: str() }),
    minReplicas: int(), maxReplicas: int(), targetCPUUtilizationPercentage: int(),
  }),
  status: obj('v1.HorizontalPodAutoscalerStatus', {
    observedGeneration: int64(), lastScaleTime: str(), currentReplicas: int(),
    desiredReplicas: int(), currentCPUUtilizationPercentage: int(),
  }),
});

function record(value: unknown): Record_ {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? value as Record_ : {};
}

function isCPUUtilization(metric: unknown): boolean {
  const resource = record(record(metric).resource);
  return record(metric).type === 'Resource' && resource.name === 'cpu' &&
    record(resource.target).type === 'Utilization';
}

/** Converts a v1 object to v2, keeping `current`'s v2-only spec fields. */
export function hpaToV2(object: KubeObject, current: KubeObject | undefined): KubeObject {
  const { targetCPUUtilizationPercentage: cpu, ...spec } = record(object.spec);
  const stored = record(current?.spec);
  const metrics = (Array.isArray(stored.metrics) ? stored.metrics as unknown[] : [])
    .filter((metric) => !isCPUUtilization(metric));
  if (typeof cpu === 'number') {
    metrics.unshift({ type: 'Resource', resource: { name: 'cpu',
      target: { type: 'Utilization', averageUtilization: cpu } } });
  }
  const next: Record_ = { ...spec, ...(metrics.length > 0 ? { metrics } : {}) };
  if (stored.behavior !== undefined) next.behavior = stored.behavior;
  const { currentCPUUtilizationPercentage: currentCPU, ...status } = record(object.status);
  const converted: KubeObject = { ...object, apiVersion: 'autoscaling/v2', spec: next };
  if (object.status !== undefined) {
    converted.status = { ...status, ...(typeof currentCPU === 'number' ? { currentMetrics: [
      { type: 'Resource', resource: { name: 'cpu',
        current: { averageUtilization: currentCPU } } }] } : {}) };
  }
  return converted;
}

/** Converts a stored v2 object to v1. */
export function hpaToV1(object: KubeObject): KubeObject {
  const { metrics, behavior: _behavior, ...spec } = record(object.spec);
  const cpu: unknown = (Array.isArray(metrics) ? metrics as unknown[] : []).find(isCPUUtilization);
  const target = record(record(record(cpu).resource).target).averageUtilization;
  const { currentMetrics, conditions: _conditions, ...status } = record(object.status);
  const currentCPU = (Array.isArray(currentMetrics) ? currentMetrics as unknown[] : [])
    .map((metric) => record(record(metric).resource))
    .find((resource) => resource.name === 'cpu');
  const utilization = record(currentCPU?.current).averageUtilization;
  const converted: KubeObject = {
    ...object, apiVersion: 'autoscaling/v1',
    spec: { ...spec, ...(typeof target === 'number' ? { targetCPUUtilizationPercentage: target } : {}) },
  };
  if (object.status !== undefined) {
    converted.status = { ...status,
      ...(typeof utilization === 'number' ? { currentCPUUtilizationPercentage: utilization } : {}) };
  }
  return converted;
}

const stored = horizontalPodAutoscalerDefinition;

/** autoscaling/v1 HorizontalPodAutoscaler: stored, defaulted and validated as v2. */
export const horizontalPodAutoscalerV1Definition: ResourceDefinition = {
  group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler',
  resource: stored.resource, singular: stored.singular, namespaced: true,
  shortNames: stored.shortNames, categories: stored.categories, verbs: stored.verbs,
  subresources: [], hasGeneration: true, hasStatus: true, schema: hpaV1Schema,
  columns: stored.columns,
  applyDefaults(object, context) {
    const v2 = hpaToV2(object, undefined);
    stored.applyDefaults(v2, context);
    Object.assign(object, hpaToV1(v2));
  },
  validate: (object, old) => stored.validate(hpaToV2(object, undefined),
    old === undefined ? undefined : hpaToV2(old, undefined)),
  tableCells: (object, now) => stored.tableCells(hpaToV2(object, undefined), now),
  fieldLabels: (object) => stored.fieldLabels(object),
  storageVersion: { definition: stored, toStorage: hpaToV2, fromStorage: hpaToV1 },
};
