/**
 * @module resources/schema/pod
 * Schemas of core/v1 PodSpec (every field), its scheduling structs (Affinity, Toleration,
 * TopologySpreadConstraint), PodSecurityContext, PodStatus and PodTemplateSpec. Merge keys
 * follow k8s.io/api/core/v1/types.go (v1.32): containers, initContainers,
 * ephemeralContainers, imagePullSecrets, schedulingGates on `name`; volumes and
 * resourceClaims on `name` with retainKeys; hostAliases on `ip`; topologySpreadConstraints
 * on `topologyKey`; conditions on `type`. Tolerations and readinessGates are atomic.
 */
import {
  atomicList,
  bool,
  int,
  int64,
  mergeList,
  obj,
  resourceList,
  retainKeysList,
  str,
  stringList,
  stringMap,
} from './builders.js';
import {
  appArmorProfileSchema,
  containerSchema,
  containerStatusSchema,
  ephemeralContainerSchema,
  resourceRequirementsSchema,
  seccompProfileSchema,
  seLinuxOptionsSchema,
  windowsSecurityContextOptionsSchema,
} from './container.js';
import { labelSelectorSchema, objectMetaSchema } from './meta.js';
import { localObjectReferenceSchema, volumeSchema } from './volume.js';

/** nodeSelectorRequirementSchema is v1.NodeSelectorRequirement. */
export const nodeSelectorRequirementSchema = obj('v1.NodeSelectorRequirement', {
  key: str(),
  operator: str(),
  values: stringList(),
});

/** nodeSelectorTermSchema is v1.NodeSelectorTerm. */
export const nodeSelectorTermSchema = obj('v1.NodeSelectorTerm', {
  matchExpressions: atomicList(nodeSelectorRequirementSchema),
  matchFields: atomicList(nodeSelectorRequirementSchema),
});

/** nodeSelectorSchema is v1.NodeSelector (ORed terms). */
export const nodeSelectorSchema = obj('v1.NodeSelector', {
  nodeSelectorTerms: atomicList(nodeSelectorTermSchema),
});

/** nodeAffinitySchema is v1.NodeAffinity. */
const nodeAffinitySchema = obj('v1.NodeAffinity', {
  requiredDuringSchedulingIgnoredDuringExecution: nodeSelectorSchema,
  preferredDuringSchedulingIgnoredDuringExecution: atomicList(
    obj('v1.PreferredSchedulingTerm', { weight: int(), preference: nodeSelectorTermSchema }),
  ),
});

/** podAffinityTermSchema is v1.PodAffinityTerm. */
const podAffinityTermSchema = obj('v1.PodAffinityTerm', {
  labelSelector: labelSelectorSchema,
  namespaces: stringList(),
  topologyKey: str(),
  namespaceSelector: labelSelectorSchema,
  matchLabelKeys: stringList(),
  mismatchLabelKeys: stringList(),
});

/** podAffinityFields are the fields shared by v1.PodAffinity and v1.PodAntiAffinity. */
const podAffinityFields = {
  requiredDuringSchedulingIgnoredDuringExecution: atomicList(podAffinityTermSchema),
  preferredDuringSchedulingIgnoredDuringExecution: atomicList(
    obj('v1.WeightedPodAffinityTerm', { weight: int(), podAffinityTerm: podAffinityTermSchema }),
  ),
} as const;

/** affinitySchema is v1.Affinity (node, pod and pod anti-affinity). */
export const affinitySchema = obj('v1.Affinity', {
  nodeAffinity: nodeAffinitySchema,
  podAffinity: obj('v1.PodAffinity', podAffinityFields),
  podAntiAffinity: obj('v1.PodAntiAffinity', podAffinityFields),
});

/** tolerationSchema is v1.Toleration. */
export const tolerationSchema = obj('v1.Toleration', {
  key: str(),
  operator: str(),
  value: str(),
  effect: str(),
  tolerationSeconds: int64(),
});

/** topologySpreadConstraintSchema is v1.TopologySpreadConstraint. */
export const topologySpreadConstraintSchema = obj('v1.TopologySpreadConstraint', {
  maxSkew: int(),
  topologyKey: str(),
  whenUnsatisfiable: str(),
  labelSelector: labelSelectorSchema,
  minDomains: int(),
  nodeAffinityPolicy: str(),
  nodeTaintsPolicy: str(),
  matchLabelKeys: stringList(),
});

/** podSecurityContextSchema is v1.PodSecurityContext. */
export const podSecurityContextSchema = obj('v1.PodSecurityContext', {
  seLinuxOptions: seLinuxOptionsSchema,
  windowsOptions: windowsSecurityContextOptionsSchema,
  runAsUser: int64(),
  runAsGroup: int64(),
  runAsNonRoot: bool(),
  supplementalGroups: atomicList(int64()),
  supplementalGroupsPolicy: str(),
  fsGroup: int64(),
  sysctls: atomicList(obj('v1.Sysctl', { name: str(), value: str() })),
  fsGroupChangePolicy: str(),
  seccompProfile: seccompProfileSchema,
  appArmorProfile: appArmorProfileSchema,
  seLinuxChangePolicy: str(),
});

/** podDNSConfigSchema is v1.PodDNSConfig. */
const podDNSConfigSchema = obj('v1.PodDNSConfig', {
  nameservers: stringList(),
  searches: stringList(),
  options: atomicList(obj('v1.PodDNSConfigOption', { name: str(), value: str() })),
});

/** podResourceClaimSchema is v1.PodResourceClaim. */
const podResourceClaimSchema = obj('v1.PodResourceClaim', {
  name: str(),
  resourceClaimName: str(),
  resourceClaimTemplateName: str(),
});

/** The PodSpec fields about containers, volumes and identity. */
const podSpecWorkloadFields = {
  volumes: retainKeysList(volumeSchema, 'name'),
  initContainers: mergeList(containerSchema, 'name'),
  containers: mergeList(containerSchema, 'name'),
  ephemeralContainers: mergeList(ephemeralContainerSchema, 'name'),
  restartPolicy: str(),
  terminationGracePeriodSeconds: int64(),
  activeDeadlineSeconds: int64(),
  serviceAccountName: str(),
  serviceAccount: str(),
  automountServiceAccountToken: bool(),
  securityContext: podSecurityContextSchema,
  imagePullSecrets: mergeList(localObjectReferenceSchema, 'name'),
  runtimeClassName: str(),
  enableServiceLinks: bool(),
  overhead: resourceList(),
  os: obj('v1.PodOS', { name: str() }),
  hostUsers: bool(),
  resourceClaims: retainKeysList(podResourceClaimSchema, 'name'),
  resources: resourceRequirementsSchema,
} as const;

/** The PodSpec fields about placement, networking and DNS. */
const podSpecPlacementFields = {
  dnsPolicy: str(),
  nodeSelector: stringMap(),
  nodeName: str(),
  hostNetwork: bool(),
  hostPID: bool(),
  hostIPC: bool(),
  shareProcessNamespace: bool(),
  hostname: str(),
  subdomain: str(),
  affinity: affinitySchema,
  schedulerName: str(),
  tolerations: atomicList(tolerationSchema),
  hostAliases: mergeList(obj('v1.HostAlias', { ip: str(), hostnames: stringList() }), 'ip'),
  priorityClassName: str(),
  priority: int(),
  dnsConfig: podDNSConfigSchema,
  readinessGates: atomicList(obj('v1.PodReadinessGate', { conditionType: str() })),
  preemptionPolicy: str(),
  topologySpreadConstraints: mergeList(topologySpreadConstraintSchema, 'topologyKey'),
  setHostnameAsFQDN: bool(),
  schedulingGates: mergeList(obj('v1.PodSchedulingGate', { name: str() }), 'name'),
} as const;

/** podSpecSchema is v1.PodSpec with every field. */
export const podSpecSchema = obj('v1.PodSpec', {
  ...podSpecWorkloadFields,
  ...podSpecPlacementFields,
});

/** podConditionSchema is v1.PodCondition. */
export const podConditionSchema = obj('v1.PodCondition', {
  type: str(),
  status: str(),
  lastProbeTime: str(),
  lastTransitionTime: str(),
  reason: str(),
  message: str(),
});

/** podStatusSchema is v1.PodStatus. */
export const podStatusSchema = obj('v1.PodStatus', {
  phase: str(),
  conditions: mergeList(podConditionSchema, 'type'),
  message: str(),
  reason: str(),
  nominatedNodeName: str(),
  hostIP: str(),
  hostIPs: mergeList(obj('v1.HostIP', { ip: str() }), 'ip'),
  podIP: str(),
  podIPs: mergeList(obj('v1.PodIP', { ip: str() }), 'ip'),
  startTime: str(),
  initContainerStatuses: atomicList(containerStatusSchema),
  containerStatuses: atomicList(containerStatusSchema),
  qosClass: str(),
  ephemeralContainerStatuses: atomicList(containerStatusSchema),
  resize: str(),
  resourceClaimStatuses: retainKeysList(
    obj('v1.PodResourceClaimStatus', { name: str(), resourceClaimName: str() }),
    'name',
  ),
});

/** podTemplateSpecSchema is v1.PodTemplateSpec (metadata + spec). */
export const podTemplateSpecSchema = obj('v1.PodTemplateSpec', {
  metadata: objectMetaSchema,
  spec: podSpecSchema,
});
