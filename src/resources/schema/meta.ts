/**
 * @module resources/schema/meta
 * Schemas of apimachinery meta/v1 types shared by every kind: ObjectMeta (with
 * ownerReferences merged on `uid`, finalizers merged as a set, managedFields), ListMeta,
 * LabelSelector, Condition, and DeleteOptions. Field names and patch tags follow
 * k8s.io/apimachinery/pkg/apis/meta/v1/types.go (v1.32).
 */
import type { ObjectSchema } from '../types.js';
import {
  atomicList,
  bool,
  int64,
  mergeList,
  obj,
  preserved,
  str,
  stringList,
  stringMap,
} from './builders.js';

/** ownerReferenceSchema is metav1.OwnerReference. */
export const ownerReferenceSchema = obj('v1.OwnerReference', {
  apiVersion: str(),
  kind: str(),
  name: str(),
  uid: str(),
  controller: bool(),
  blockOwnerDeletion: bool(),
});

/**
 * managedFieldsEntrySchema is metav1.ManagedFieldsEntry; `fieldsV1` is a free-form field
 * set (FieldsV1 is raw JSON), so it preserves unknown fields.
 */
export const managedFieldsEntrySchema = obj('v1.ManagedFieldsEntry', {
  manager: str(),
  operation: str(),
  apiVersion: str(),
  time: str(),
  fieldsType: str(),
  fieldsV1: preserved('v1.FieldsV1'),
  subresource: str(),
});

/** objectMetaSchema is metav1.ObjectMeta with every upstream field. */
export const objectMetaSchema = obj('v1.ObjectMeta', {
  name: str(),
  generateName: str(),
  namespace: str(),
  selfLink: str(),
  uid: str(),
  resourceVersion: str(),
  generation: int64(),
  creationTimestamp: str(),
  deletionTimestamp: str(),
  deletionGracePeriodSeconds: int64(),
  labels: stringMap(),
  annotations: stringMap(),
  ownerReferences: mergeList(ownerReferenceSchema, 'uid'),
  finalizers: mergeList(str()),
  managedFields: atomicList(managedFieldsEntrySchema),
});

/** listMetaSchema is metav1.ListMeta. */
export const listMetaSchema = obj('v1.ListMeta', {
  selfLink: str(),
  resourceVersion: str(),
  continue: str(),
  remainingItemCount: int64(),
});

/** labelSelectorRequirementSchema is metav1.LabelSelectorRequirement. */
export const labelSelectorRequirementSchema = obj('v1.LabelSelectorRequirement', {
  key: str(),
  operator: str(),
  values: stringList(),
});

/** labelSelectorSchema is metav1.LabelSelector (matchLabels, matchExpressions). */
export const labelSelectorSchema = obj('v1.LabelSelector', {
  matchLabels: stringMap(),
  matchExpressions: atomicList(labelSelectorRequirementSchema),
});

/** conditionSchema is metav1.Condition, the standard condition (ServiceStatus.conditions). */
export const conditionSchema = obj('v1.Condition', {
  type: str(),
  status: str(),
  observedGeneration: int64(),
  lastTransitionTime: str(),
  reason: str(),
  message: str(),
});

/** preconditionsSchema is metav1.Preconditions. */
export const preconditionsSchema = obj('v1.Preconditions', {
  uid: str(),
  resourceVersion: str(),
});

/** typeMetaFields are the `apiVersion` and `kind` every top-level object carries. */
export const typeMetaFields = {
  apiVersion: str(),
  kind: str(),
} as const;

/** deleteOptionsSchema is metav1.DeleteOptions, the body of a DELETE or an Eviction. */
export const deleteOptionsSchema: ObjectSchema = obj('v1.DeleteOptions', {
  ...typeMetaFields,
  gracePeriodSeconds: int64(),
  preconditions: preconditionsSchema,
  orphanDependents: bool(),
  propagationPolicy: str(),
  dryRun: stringList(),
  ignoreStoreReadErrorWithClusterBreakingPotential: bool(),
});
