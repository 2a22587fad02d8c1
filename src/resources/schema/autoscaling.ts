/**
 * @module resources/schema/autoscaling
 * Whole-object schemas of autoscaling/v2 HorizontalPodAutoscaler (every MetricSpec and
 * MetricStatus source, scaling behavior), the autoscaling/v1 Scale subresource body,
 * coordination.k8s.io/v1 Lease and the policy/v1 Eviction request body (k8s.io/api v1.32).
 */
import {
  atomicList,
  int,
  int64,
  mergeList,
  obj,
  quantity,
  str,
} from './builders.js';
import {
  deleteOptionsSchema,
  labelSelectorSchema,
  objectMetaSchema,
  typeMetaFields,
} from './meta.js';

/** crossVersionObjectReferenceSchema is autoscaling/v2 CrossVersionObjectReference. */
const crossVersionObjectReferenceSchema = obj('v2.CrossVersionObjectReference', {
  kind: str(),
  name: str(),
  apiVersion: str(),
});

/** metricIdentifierSchema is autoscaling/v2 MetricIdentifier. */
const metricIdentifierSchema = obj('v2.MetricIdentifier', {
  name: str(),
  selector: labelSelectorSchema,
});

/** metricTargetSchema is autoscaling/v2 MetricTarget. */
const metricTargetSchema = obj('v2.MetricTarget', {
  type: str(),
  value: quantity(),
  averageValue: quantity(),
  averageUtilization: int(),
});

/** metricValueStatusSchema is autoscaling/v2 MetricValueStatus. */
const metricValueStatusSchema = obj('v2.MetricValueStatus', {
  value: quantity(),
  averageValue: quantity(),
  averageUtilization: int(),
});

/** metricSpecSchema is autoscaling/v2 MetricSpec (one of five sources). */
const metricSpecSchema = obj('v2.MetricSpec', {
  type: str(),
  object: obj('v2.ObjectMetricSource', {
    describedObject: crossVersionObjectReferenceSchema,
    target: metricTargetSchema,
    metric: metricIdentifierSchema,
  }),
  pods: obj('v2.PodsMetricSource', { metric: metricIdentifierSchema, target: metricTargetSchema }),
  resource: obj('v2.ResourceMetricSource', { name: str(), target: metricTargetSchema }),
  containerResource: obj('v2.ContainerResourceMetricSource', {
    name: str(), target: metricTargetSchema, container: str(),
  }),
  external: obj('v2.ExternalMetricSource', {
    metric: metricIdentifierSchema, target: metricTargetSchema,
  }),
});

/** metricStatusSchema is autoscaling/v2 MetricStatus (one of five sources). */
const metricStatusSchema = obj('v2.MetricStatus', {
  type: str(),
  object: obj('v2.ObjectMetricStatus', {
    metric: metricIdentifierSchema,
    current: metricValueStatusSchema,
    describedObject: crossVersionObjectReferenceSchema,
  }),
  pods: obj('v2.PodsMetricStatus', {
    metric: metricIdentifierSchema, current: metricValueStatusSchema,
  }),
  resource: obj('v2.ResourceMetricStatus', { name: str(), current: metricValueStatusSchema }),
  containerResource: obj('v2.ContainerResourceMetricStatus', {
    name: str(), current: metricValueStatusSchema, container: str(),
  }),
  external: obj('v2.ExternalMetricStatus', {
    metric: metricIdentifierSchema, current: metricValueStatusSchema,
  }),
});

/** hpaScalingRulesSchema is autoscaling/v2 HPAScalingRules. */
const hpaScalingRulesSchema = obj('v2.HPAScalingRules', {
  stabilizationWindowSeconds: int(),
  selectPolicy: str(),
  policies: atomicList(obj('v2.HPAScalingPolicy', {
    type: str(), value: int(), periodSeconds: int(),
  })),
});

/** horizontalPodAutoscalerSchema is the whole autoscaling/v2 HorizontalPodAutoscaler. */
export const horizontalPodAutoscalerSchema = obj('v2.HorizontalPodAutoscaler', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  spec: obj('v2.HorizontalPodAutoscalerSpec', {
    scaleTargetRef: crossVersionObjectReferenceSchema,
    minReplicas: int(),
    maxReplicas: int(),
    metrics: atomicList(metricSpecSchema),
    behavior: obj('v2.HorizontalPodAutoscalerBehavior', {
      scaleUp: hpaScalingRulesSchema,
      scaleDown: hpaScalingRulesSchema,
    }),
  }),
  status: obj('v2.HorizontalPodAutoscalerStatus', {
    observedGeneration: int64(),
    lastScaleTime: str(),
    currentReplicas: int(),
    desiredReplicas: int(),
    currentMetrics: atomicList(metricStatusSchema),
    conditions: mergeList(obj('v2.HorizontalPodAutoscalerCondition', {
      type: str(), status: str(), lastTransitionTime: str(), reason: str(), message: str(),
    }), 'type'),
  }),
});

/** scaleSchema is the whole autoscaling/v1 Scale (the `scale` subresource body). */
export const scaleSchema = obj('v1.Scale', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  spec: obj('v1.ScaleSpec', { replicas: int() }),
  status: obj('v1.ScaleStatus', { replicas: int(), selector: str() }),
});

/** leaseSchema is the whole coordination.k8s.io/v1 Lease. */
export const leaseSchema = obj('v1.Lease', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  spec: obj('v1.LeaseSpec', {
    holderIdentity: str(),
    leaseDurationSeconds: int(),
    acquireTime: str(),
    renewTime: str(),
    leaseTransitions: int(),
    strategy: str(),
    preferredHolder: str(),
  }),
});

/** evictionSchema is the whole policy/v1 Eviction (the `eviction` subresource body). */
export const evictionSchema = obj('v1.Eviction', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  deleteOptions: deleteOptionsSchema,
});
