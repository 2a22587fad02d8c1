/**
 * @module api/protobuf-schema
 * What the Kubernetes protobuf decoder (api/protobuf.ts) knows about the messages in
 * proto/k8s/*.proto beyond their wire layout: which message each (apiVersion, kind) uses,
 * which fields Go's JSON encoder writes even when zero, and which fields are embedded Go
 * structs that JSON inlines into their parent.
 *
 * Why these tables exist: go-to-protobuf writes every non-pointer Go field on the wire, even
 * when it is zero (an empty ObjectMeta arrives with `name: ""` and `generation: 0`), so wire
 * presence does not say whether JSON would show the field. JSON (`omitempty`) drops zero
 * scalars, except for pointer fields (`replicas: 0` is meaningful) and fields without
 * `omitempty` (`containerPort`, `maxReplicas`): those are listed in `zeroValueFields`.
 *
 * Keys are `<MessageName>.<fieldName>` with the short upstream message name; the loader
 * asserts that short names are unique so a key can never match two messages.
 */
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { assert } from '../util/assert.js';
import { packageRoot } from '../transport/proto.js';

/** The proto files under proto/k8s/ that hold object kinds (imports load the rest). */
const kindProtoFiles: readonly string[] = ['runtime.proto', 'core.proto', 'apps.proto',
  'autoscaling.proto'];

/** The fully-qualified name of the frame message around every object. */
export const unknownTypeName = 'k8s.io.apimachinery.pkg.runtime.Unknown';

/** Fully-qualified names of the messages whose JSON form is not a plain object. */
export const specialTypeNames = {
  time: '.k8s.io.apimachinery.pkg.apis.meta.v1.Time',
  fieldsV1: '.k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1',
  quantity: '.k8s.io.apimachinery.pkg.api.resource.Quantity',
  intOrString: '.k8s.io.apimachinery.pkg.util.intstr.IntOrString',
} as const;

/** Returns the lookup key of one kind, e.g. `apps/v1 Deployment`. */
export function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion} ${kind}`;
}

/** The message of each kind that a protobuf request body may carry. */
export const protobufKinds: ReadonlyMap<string, string> = new Map([
  [kindKey('v1', 'ConfigMap'), 'k8s.io.api.core.v1.ConfigMap'],
  [kindKey('v1', 'Secret'), 'k8s.io.api.core.v1.Secret'],
  [kindKey('v1', 'Namespace'), 'k8s.io.api.core.v1.Namespace'],
  [kindKey('v1', 'Service'), 'k8s.io.api.core.v1.Service'],
  [kindKey('v1', 'ServiceAccount'), 'k8s.io.api.core.v1.ServiceAccount'],
  [kindKey('v1', 'Pod'), 'k8s.io.api.core.v1.Pod'],
  [kindKey('apps/v1', 'Deployment'), 'k8s.io.api.apps.v1.Deployment'],
  [kindKey('autoscaling/v1', 'HorizontalPodAutoscaler'),
    'k8s.io.api.autoscaling.v1.HorizontalPodAutoscaler'],
]);

/**
 * Fields whose zero value (0, false, "") JSON still writes: Go pointers (`*int32`,
 * `*bool`) and fields without `omitempty`. Every other zero scalar is left out, as
 * `omitempty` does. Sources: k8s.io/api types.go struct tags, v1.32.
 */
export const zeroValueFields: ReadonlySet<string> = new Set([
  'ObjectMeta.deletionGracePeriodSeconds',
  'OwnerReference.controller', 'OwnerReference.blockOwnerDeletion',
  'ConfigMap.immutable', 'Secret.immutable',
  'ServiceAccount.automountServiceAccountToken',
  'ServicePort.port', 'ServiceSpec.allocateLoadBalancerNodePorts',
  'ClientIPConfig.timeoutSeconds', 'PortStatus.port',
  'PodSpec.terminationGracePeriodSeconds', 'PodSpec.activeDeadlineSeconds',
  'PodSpec.automountServiceAccountToken', 'PodSpec.shareProcessNamespace',
  'PodSpec.priority', 'PodSpec.enableServiceLinks', 'PodSpec.setHostnameAsFQDN',
  'PodSpec.hostUsers',
  'PodSecurityContext.runAsUser', 'PodSecurityContext.runAsGroup',
  'PodSecurityContext.runAsNonRoot', 'PodSecurityContext.fsGroup',
  'SecurityContext.privileged', 'SecurityContext.runAsUser', 'SecurityContext.runAsGroup',
  'SecurityContext.runAsNonRoot', 'SecurityContext.readOnlyRootFilesystem',
  'SecurityContext.allowPrivilegeEscalation',
  'Toleration.tolerationSeconds', 'Probe.terminationGracePeriodSeconds',
  'GRPCAction.port', 'SleepAction.seconds', 'ContainerPort.containerPort',
  'ConfigMapKeySelector.optional', 'SecretKeySelector.optional',
  'ConfigMapEnvSource.optional', 'SecretEnvSource.optional',
  'ConfigMapVolumeSource.optional', 'ConfigMapVolumeSource.defaultMode',
  'SecretVolumeSource.optional', 'SecretVolumeSource.defaultMode', 'KeyToPath.mode',
  'DeploymentSpec.replicas', 'DeploymentSpec.revisionHistoryLimit',
  'DeploymentSpec.progressDeadlineSeconds',
  'HorizontalPodAutoscalerSpec.minReplicas', 'HorizontalPodAutoscalerSpec.maxReplicas',
  'HorizontalPodAutoscalerSpec.targetCPUUtilizationPercentage',
  'HorizontalPodAutoscalerStatus.observedGeneration',
  'HorizontalPodAutoscalerStatus.currentReplicas',
  'HorizontalPodAutoscalerStatus.desiredReplicas',
  'HorizontalPodAutoscalerStatus.currentCPUUtilizationPercentage',
]);

/**
 * Fields that are embedded Go structs: protobuf nests them as a message field, JSON
 * inlines their fields into the parent object (`secretKeyRef: {name, key}`).
 */
export const inlineFields: ReadonlySet<string> = new Set([
  'ConfigMapKeySelector.localObjectReference', 'SecretKeySelector.localObjectReference',
  'ConfigMapEnvSource.localObjectReference', 'SecretEnvSource.localObjectReference',
  'ConfigMapVolumeSource.localObjectReference', 'Probe.handler', 'Volume.volumeSource',
]);

/** Returns the table key of `field` in `type` (`<MessageName>.<fieldName>`). */
export function fieldKey(type: protobuf.Type, field: protobuf.Field): string {
  return `${type.name}.${field.name}`;
}

/** How many namespaces and messages the proto/k8s tree may hold (a bound on the walk). */
const protoTreeNodesMax = 10_000;

/** Returns every message type under `root` (an explicit work list, not recursion). */
function allTypes(root: protobuf.Root): protobuf.Type[] {
  const types: protobuf.Type[] = [];
  const pending: protobuf.NamespaceBase[] = [root];
  for (let visited = 0; pending.length > 0; visited++) {
    assert(visited < protoTreeNodesMax, 'proto/k8s namespace tree is unexpectedly large');
    const namespace = pending.pop();
    assert(namespace !== undefined, 'work list underflow');
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Type) types.push(nested);
      // NB: a Type is also a Namespace (it may nest types); walk both.
      if (nested instanceof protobuf.Namespace) pending.push(nested);
    }
  }
  return types;
}

/**
 * Asserts that no two messages share a short name (the tables' keys rely on it) and that
 * every table entry names a real message or field (catches typos at startup).
 */
function assertTablesMatchProtos(root: protobuf.Root): void {
  const shortNames = new Set<string>();
  const typeNames = new Set<string>();
  const fieldKeys = new Set<string>();
  for (const type of allTypes(root)) {
    assert(!shortNames.has(type.name), `proto/k8s declares message ${type.name} twice`);
    shortNames.add(type.name);
    typeNames.add(type.fullName.slice(1));
    for (const field of type.fieldsArray) fieldKeys.add(fieldKey(type, field));
  }
  for (const key of [...zeroValueFields, ...inlineFields]) {
    assert(fieldKeys.has(key), `protobuf-schema names unknown field ${key}`);
  }
  for (const typeName of protobufKinds.values()) {
    assert(typeNames.has(typeName), `protobuf-schema names unknown message ${typeName}`);
  }
}

/**
 * Loads proto/k8s/ into one protobufjs Root with upstream field names kept as written
 * (`keepCase`: Kubernetes' JSON names equal its proto names, e.g. `clusterIPs`).
 */
export function loadKubernetesProtos(): protobuf.Root {
  const root = new protobuf.Root();
  const directory = join(packageRoot(), 'proto', 'k8s');
  for (const file of kindProtoFiles) root.loadSync(join(directory, file), { keepCase: true });
  root.resolveAll();
  assertTablesMatchProtos(root);
  return root;
}
