/**
 * @module resources/schema/apps
 * Whole-object schemas of apps/v1 Deployment and ReplicaSet (k8s.io/api/apps/v1/types.go,
 * v1.32). DeploymentSpec.strategy is tagged `patchStrategy:"retainKeys"`, so a patch that
 * sets `type: Recreate` drops the old `rollingUpdate`; status conditions merge on `type`.
 */
import {
  bool,
  int,
  int64,
  intOrString,
  mergeList,
  obj,
  str,
} from './builders.js';
import { labelSelectorSchema, objectMetaSchema, typeMetaFields } from './meta.js';
import { podTemplateSpecSchema } from './pod.js';

/** deploymentStrategySchema is apps/v1 DeploymentStrategy, marked retainKeys. */
export const deploymentStrategySchema = obj('v1.DeploymentStrategy', {
  type: str(),
  rollingUpdate: obj('v1.RollingUpdateDeployment', {
    maxUnavailable: intOrString(),
    maxSurge: intOrString(),
  }),
}, { retainKeys: true });

/** deploymentConditionSchema is apps/v1 DeploymentCondition. */
const deploymentConditionSchema = obj('v1.DeploymentCondition', {
  type: str(),
  status: str(),
  lastUpdateTime: str(),
  lastTransitionTime: str(),
  reason: str(),
  message: str(),
});

/** deploymentSchema is the whole apps/v1 Deployment. */
export const deploymentSchema = obj('v1.Deployment', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  spec: obj('v1.DeploymentSpec', {
    replicas: int(),
    selector: labelSelectorSchema,
    template: podTemplateSpecSchema,
    strategy: deploymentStrategySchema,
    minReadySeconds: int(),
    revisionHistoryLimit: int(),
    paused: bool(),
    progressDeadlineSeconds: int(),
  }),
  status: obj('v1.DeploymentStatus', {
    observedGeneration: int64(),
    replicas: int(),
    updatedReplicas: int(),
    readyReplicas: int(),
    availableReplicas: int(),
    unavailableReplicas: int(),
    conditions: mergeList(deploymentConditionSchema, 'type'),
    collisionCount: int(),
  }),
});

/** replicaSetConditionSchema is apps/v1 ReplicaSetCondition. */
const replicaSetConditionSchema = obj('v1.ReplicaSetCondition', {
  type: str(),
  status: str(),
  lastTransitionTime: str(),
  reason: str(),
  message: str(),
});

/** replicaSetSchema is the whole apps/v1 ReplicaSet. */
export const replicaSetSchema = obj('v1.ReplicaSet', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  spec: obj('v1.ReplicaSetSpec', {
    replicas: int(),
    minReadySeconds: int(),
    selector: labelSelectorSchema,
    template: podTemplateSpecSchema,
  }),
  status: obj('v1.ReplicaSetStatus', {
    replicas: int(),
    fullyLabeledReplicas: int(),
    readyReplicas: int(),
    availableReplicas: int(),
    observedGeneration: int64(),
    conditions: mergeList(replicaSetConditionSchema, 'type'),
  }),
});
