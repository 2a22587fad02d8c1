/**
 * @module resources/schema/core
 * Whole-object schemas of the core/v1 kinds other than Pod: Namespace, Node, Service,
 * Endpoints, ConfigMap, Secret, Event, ServiceAccount, ReplicationController and the
 * request-only Binding. Field names and patch tags follow k8s.io/api/core/v1/types.go
 * (v1.32): Service ports merge on `port`, Node addresses and every `conditions` list on
 * `type`, ServiceAccount secrets on `name`; Node taints and Endpoints subsets are atomic.
 */
import type { ObjectSchema } from '../types.js';
import {
  atomicList,
  bool,
  int,
  int64,
  intOrString,
  map,
  mergeList,
  obj,
  resourceList,
  str,
  stringList,
  stringMap,
} from './builders.js';
import { conditionSchema, objectMetaSchema, typeMetaFields } from './meta.js';
import { podSpecSchema, podStatusSchema, podTemplateSpecSchema } from './pod.js';
import { localObjectReferenceSchema } from './volume.js';

/** objectReferenceSchema is v1.ObjectReference. */
export const objectReferenceSchema = obj('v1.ObjectReference', {
  kind: str(),
  namespace: str(),
  name: str(),
  uid: str(),
  apiVersion: str(),
  resourceVersion: str(),
  fieldPath: str(),
});

/** typedCondition is a core/v1 condition struct without lastProbeTime/lastHeartbeatTime. */
function typedCondition(goName: string): ObjectSchema {
  return obj(goName, {
    type: str(),
    status: str(),
    lastTransitionTime: str(),
    reason: str(),
    message: str(),
  });
}

/** podSchema is the whole v1.Pod. */
export const podSchema = obj('v1.Pod', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  spec: podSpecSchema,
  status: podStatusSchema,
});

/** namespaceSchema is the whole v1.Namespace. */
export const namespaceSchema = obj('v1.Namespace', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  spec: obj('v1.NamespaceSpec', { finalizers: stringList() }),
  status: obj('v1.NamespaceStatus', {
    phase: str(),
    conditions: mergeList(typedCondition('v1.NamespaceCondition'), 'type'),
  }),
});

/** nodeConfigSourceSchema is v1.NodeConfigSource (deprecated dynamic kubelet config). */
const nodeConfigSourceSchema = obj('v1.NodeConfigSource', {
  configMap: obj('v1.ConfigMapNodeConfigSource', {
    namespace: str(), name: str(), uid: str(), resourceVersion: str(),
    kubeletConfigKey: str(),
  }),
});

/** nodeSpecSchema is v1.NodeSpec. */
const nodeSpecSchema = obj('v1.NodeSpec', {
  podCIDR: str(),
  podCIDRs: mergeList(str()),
  providerID: str(),
  unschedulable: bool(),
  taints: atomicList(obj('v1.Taint', {
    key: str(), value: str(), effect: str(), timeAdded: str(),
  })),
  configSource: nodeConfigSourceSchema,
  externalID: str(),
});

/** nodeSystemInfoSchema is v1.NodeSystemInfo. */
const nodeSystemInfoSchema = obj('v1.NodeSystemInfo', {
  machineID: str(),
  systemUUID: str(),
  bootID: str(),
  kernelVersion: str(),
  osImage: str(),
  containerRuntimeVersion: str(),
  kubeletVersion: str(),
  kubeProxyVersion: str(),
  operatingSystem: str(),
  architecture: str(),
  swap: obj('v1.NodeSwapStatus', { capacity: int64() }),
});

/** nodeStatusSchema is v1.NodeStatus. */
const nodeStatusSchema = obj('v1.NodeStatus', {
  capacity: resourceList(),
  allocatable: resourceList(),
  phase: str(),
  conditions: mergeList(obj('v1.NodeCondition', {
    type: str(), status: str(), lastHeartbeatTime: str(), lastTransitionTime: str(),
    reason: str(), message: str(),
  }), 'type'),
  addresses: mergeList(obj('v1.NodeAddress', { type: str(), address: str() }), 'type'),
  daemonEndpoints: obj('v1.NodeDaemonEndpoints', {
    kubeletEndpoint: obj('v1.DaemonEndpoint', { Port: int() }),
  }),
  nodeInfo: nodeSystemInfoSchema,
  images: atomicList(obj('v1.ContainerImage', { names: stringList(), sizeBytes: int64() })),
  volumesInUse: stringList(),
  volumesAttached: atomicList(obj('v1.AttachedVolume', { name: str(), devicePath: str() })),
  config: obj('v1.NodeConfigStatus', {
    assigned: nodeConfigSourceSchema,
    active: nodeConfigSourceSchema,
    lastKnownGood: nodeConfigSourceSchema,
    error: str(),
  }),
  runtimeHandlers: atomicList(obj('v1.NodeRuntimeHandler', {
    name: str(),
    features: obj('v1.NodeRuntimeHandlerFeatures', {
      recursiveReadOnlyMounts: bool(), userNamespaces: bool(),
    }),
  })),
  features: obj('v1.NodeFeatures', { supplementalGroupsPolicy: bool() }),
});

/** nodeSchema is the whole v1.Node. */
export const nodeSchema = obj('v1.Node', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  spec: nodeSpecSchema,
  status: nodeStatusSchema,
});

/** servicePortSchema is v1.ServicePort. */
export const servicePortSchema = obj('v1.ServicePort', {
  name: str(),
  protocol: str(),
  appProtocol: str(),
  port: int(),
  targetPort: intOrString(),
  nodePort: int(),
});

/** serviceSpecSchema is v1.ServiceSpec. */
const serviceSpecSchema = obj('v1.ServiceSpec', {
  ports: mergeList(servicePortSchema, 'port'),
  selector: stringMap(),
  clusterIP: str(),
  clusterIPs: stringList(),
  type: str(),
  externalIPs: stringList(),
  sessionAffinity: str(),
  loadBalancerIP: str(),
  loadBalancerSourceRanges: stringList(),
  externalName: str(),
  externalTrafficPolicy: str(),
  healthCheckNodePort: int(),
  publishNotReadyAddresses: bool(),
  sessionAffinityConfig: obj('v1.SessionAffinityConfig', {
    clientIP: obj('v1.ClientIPConfig', { timeoutSeconds: int() }),
  }),
  ipFamilies: stringList(),
  ipFamilyPolicy: str(),
  allocateLoadBalancerNodePorts: bool(),
  loadBalancerClass: str(),
  internalTrafficPolicy: str(),
  trafficDistribution: str(),
});

/** loadBalancerStatusSchema is v1.LoadBalancerStatus. */
const loadBalancerStatusSchema = obj('v1.LoadBalancerStatus', {
  ingress: atomicList(obj('v1.LoadBalancerIngress', {
    ip: str(),
    hostname: str(),
    ipMode: str(),
    ports: atomicList(obj('v1.PortStatus', { port: int(), protocol: str(), error: str() })),
  })),
});

/** serviceSchema is the whole v1.Service. */
export const serviceSchema = obj('v1.Service', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  spec: serviceSpecSchema,
  status: obj('v1.ServiceStatus', {
    loadBalancer: loadBalancerStatusSchema,
    conditions: mergeList(conditionSchema, 'type'),
  }),
});

/** endpointAddressSchema is v1.EndpointAddress. */
const endpointAddressSchema = obj('v1.EndpointAddress', {
  ip: str(),
  hostname: str(),
  nodeName: str(),
  targetRef: objectReferenceSchema,
});

/** endpointsSchema is the whole v1.Endpoints. */
export const endpointsSchema = obj('v1.Endpoints', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  subsets: atomicList(obj('v1.EndpointSubset', {
    addresses: atomicList(endpointAddressSchema),
    notReadyAddresses: atomicList(endpointAddressSchema),
    ports: atomicList(obj('v1.EndpointPort', {
      name: str(), port: int(), protocol: str(), appProtocol: str(),
    })),
  })),
});

/** configMapSchema is the whole v1.ConfigMap (binaryData values are base64 strings). */
export const configMapSchema = obj('v1.ConfigMap', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  immutable: bool(),
  data: stringMap(),
  binaryData: map(str()),
});

/** secretSchema is the whole v1.Secret (data values are base64 strings). */
export const secretSchema = obj('v1.Secret', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  immutable: bool(),
  data: map(str()),
  stringData: stringMap(),
  type: str(),
});

/** eventSchema is the whole core/v1 Event. */
export const eventSchema = obj('v1.Event', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  involvedObject: objectReferenceSchema,
  reason: str(),
  message: str(),
  source: obj('v1.EventSource', { component: str(), host: str() }),
  firstTimestamp: str(),
  lastTimestamp: str(),
  count: int(),
  type: str(),
  eventTime: str(),
  series: obj('v1.EventSeries', { count: int(), lastObservedTime: str() }),
  action: str(),
  related: objectReferenceSchema,
  reportingComponent: str(),
  reportingInstance: str(),
});

/** serviceAccountSchema is the whole v1.ServiceAccount. */
export const serviceAccountSchema = obj('v1.ServiceAccount', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  secrets: mergeList(objectReferenceSchema, 'name'),
  imagePullSecrets: atomicList(localObjectReferenceSchema),
  automountServiceAccountToken: bool(),
});

/** replicationControllerSchema is the whole v1.ReplicationController. */
export const replicationControllerSchema = obj('v1.ReplicationController', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  spec: obj('v1.ReplicationControllerSpec', {
    replicas: int(),
    minReadySeconds: int(),
    selector: stringMap(),
    template: podTemplateSpecSchema,
  }),
  status: obj('v1.ReplicationControllerStatus', {
    replicas: int(),
    fullyLabeledReplicas: int(),
    readyReplicas: int(),
    availableReplicas: int(),
    observedGeneration: int64(),
    conditions: mergeList(typedCondition('v1.ReplicationControllerCondition'), 'type'),
  }),
});

/** bindingSchema is the whole v1.Binding (pods/binding request body). */
export const bindingSchema = obj('v1.Binding', {
  ...typeMetaFields,
  metadata: objectMetaSchema,
  target: objectReferenceSchema,
});
