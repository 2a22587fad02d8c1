/**
 * @module resources/schema/container
 * Schemas of core/v1 Container and everything it holds: ports (merged on `containerPort`),
 * env (merged on `name`), envFrom, resources, volumeMounts (merged on `mountPath`),
 * volumeDevices (merged on `devicePath`), probes, lifecycle handlers, SecurityContext; plus
 * EphemeralContainer and the ContainerStatus of PodStatus. Field names and patch tags follow
 * k8s.io/api/core/v1/types.go (v1.32).
 */
import {
  atomicList,
  bool,
  int,
  int64,
  intOrString,
  mergeList,
  obj,
  quantity,
  resourceList,
  str,
  stringList,
} from './builders.js';

/** containerPortSchema is v1.ContainerPort. */
export const containerPortSchema = obj('v1.ContainerPort', {
  name: str(),
  hostPort: int(),
  containerPort: int(),
  protocol: str(),
  hostIP: str(),
});

/** optionalNameFields are the fields of ConfigMapEnvSource / SecretEnvSource. */
const optionalNameFields = { name: str(), optional: bool() } as const;

/** envFromSourceSchema is v1.EnvFromSource. */
export const envFromSourceSchema = obj('v1.EnvFromSource', {
  prefix: str(),
  configMapRef: obj('v1.ConfigMapEnvSource', optionalNameFields),
  secretRef: obj('v1.SecretEnvSource', optionalNameFields),
});

/** objectFieldSelectorSchema is v1.ObjectFieldSelector (downward API fieldRef). */
export const objectFieldSelectorSchema = obj('v1.ObjectFieldSelector', {
  apiVersion: str(),
  fieldPath: str(),
});

/** resourceFieldSelectorSchema is v1.ResourceFieldSelector (downward API resourceFieldRef). */
export const resourceFieldSelectorSchema = obj('v1.ResourceFieldSelector', {
  containerName: str(),
  resource: str(),
  divisor: quantity(),
});

/** keySelectorFields are the fields of ConfigMapKeySelector / SecretKeySelector. */
const keySelectorFields = { name: str(), key: str(), optional: bool() } as const;

/** envVarSourceSchema is v1.EnvVarSource. */
export const envVarSourceSchema = obj('v1.EnvVarSource', {
  fieldRef: objectFieldSelectorSchema,
  resourceFieldRef: resourceFieldSelectorSchema,
  configMapKeyRef: obj('v1.ConfigMapKeySelector', keySelectorFields),
  secretKeyRef: obj('v1.SecretKeySelector', keySelectorFields),
});

/** envVarSchema is v1.EnvVar. */
export const envVarSchema = obj('v1.EnvVar', {
  name: str(),
  value: str(),
  valueFrom: envVarSourceSchema,
});

/** resourceClaimSchema is v1.ResourceClaim (a container's use of a pod resource claim). */
export const resourceClaimSchema = obj('v1.ResourceClaim', {
  name: str(),
  request: str(),
});

/** resourceRequirementsSchema is v1.ResourceRequirements (limits, requests, claims). */
export const resourceRequirementsSchema = obj('v1.ResourceRequirements', {
  limits: resourceList(),
  requests: resourceList(),
  claims: atomicList(resourceClaimSchema),
});

/** containerResizePolicySchema is v1.ContainerResizePolicy. */
export const containerResizePolicySchema = obj('v1.ContainerResizePolicy', {
  resourceName: str(),
  restartPolicy: str(),
});

/** volumeMountSchema is v1.VolumeMount. */
export const volumeMountSchema = obj('v1.VolumeMount', {
  name: str(),
  readOnly: bool(),
  recursiveReadOnly: str(),
  mountPath: str(),
  subPath: str(),
  mountPropagation: str(),
  subPathExpr: str(),
});

/** volumeDeviceSchema is v1.VolumeDevice. */
export const volumeDeviceSchema = obj('v1.VolumeDevice', {
  name: str(),
  devicePath: str(),
});

/** execActionSchema is v1.ExecAction. */
export const execActionSchema = obj('v1.ExecAction', { command: stringList() });

/** httpGetActionSchema is v1.HTTPGetAction. */
export const httpGetActionSchema = obj('v1.HTTPGetAction', {
  path: str(),
  port: intOrString(),
  host: str(),
  scheme: str(),
  httpHeaders: atomicList(obj('v1.HTTPHeader', { name: str(), value: str() })),
});

/** tcpSocketActionSchema is v1.TCPSocketAction. */
export const tcpSocketActionSchema = obj('v1.TCPSocketAction', {
  port: intOrString(),
  host: str(),
});

/** grpcActionSchema is v1.GRPCAction (its port is a plain int32). */
export const grpcActionSchema = obj('v1.GRPCAction', { port: int(), service: str() });

/** probeSchema is v1.Probe (ProbeHandler inlined). */
export const probeSchema = obj('v1.Probe', {
  exec: execActionSchema,
  httpGet: httpGetActionSchema,
  tcpSocket: tcpSocketActionSchema,
  grpc: grpcActionSchema,
  initialDelaySeconds: int(),
  timeoutSeconds: int(),
  periodSeconds: int(),
  successThreshold: int(),
  failureThreshold: int(),
  terminationGracePeriodSeconds: int64(),
});

/** lifecycleHandlerSchema is v1.LifecycleHandler. */
export const lifecycleHandlerSchema = obj('v1.LifecycleHandler', {
  exec: execActionSchema,
  httpGet: httpGetActionSchema,
  tcpSocket: tcpSocketActionSchema,
  sleep: obj('v1.SleepAction', { seconds: int64() }),
});

/** lifecycleSchema is v1.Lifecycle (postStart, preStop). */
export const lifecycleSchema = obj('v1.Lifecycle', {
  postStart: lifecycleHandlerSchema,
  preStop: lifecycleHandlerSchema,
});

/** seLinuxOptionsSchema is v1.SELinuxOptions. */
export const seLinuxOptionsSchema = obj('v1.SELinuxOptions', {
  user: str(),
  role: str(),
  type: str(),
  level: str(),
});

/** windowsSecurityContextOptionsSchema is v1.WindowsSecurityContextOptions. */
export const windowsSecurityContextOptionsSchema = obj('v1.WindowsSecurityContextOptions', {
  gmsaCredentialSpecName: str(),
  gmsaCredentialSpec: str(),
  runAsUserName: str(),
  hostProcess: bool(),
});

/** seccompProfileSchema is v1.SeccompProfile. */
export const seccompProfileSchema = obj('v1.SeccompProfile', {
  type: str(),
  localhostProfile: str(),
});

/** appArmorProfileSchema is v1.AppArmorProfile. */
export const appArmorProfileSchema = obj('v1.AppArmorProfile', {
  type: str(),
  localhostProfile: str(),
});

/** securityContextSchema is v1.SecurityContext (a container's). */
export const securityContextSchema = obj('v1.SecurityContext', {
  capabilities: obj('v1.Capabilities', { add: stringList(), drop: stringList() }),
  privileged: bool(),
  seLinuxOptions: seLinuxOptionsSchema,
  windowsOptions: windowsSecurityContextOptionsSchema,
  runAsUser: int64(),
  runAsGroup: int64(),
  runAsNonRoot: bool(),
  readOnlyRootFilesystem: bool(),
  allowPrivilegeEscalation: bool(),
  procMount: str(),
  seccompProfile: seccompProfileSchema,
  appArmorProfile: appArmorProfileSchema,
});

/** containerFields are the fields of v1.Container, shared with EphemeralContainerCommon. */
const containerFields = {
  name: str(),
  image: str(),
  command: stringList(),
  args: stringList(),
  workingDir: str(),
  ports: mergeList(containerPortSchema, 'containerPort'),
  envFrom: atomicList(envFromSourceSchema),
  env: mergeList(envVarSchema, 'name'),
  resources: resourceRequirementsSchema,
  resizePolicy: atomicList(containerResizePolicySchema),
  restartPolicy: str(),
  volumeMounts: mergeList(volumeMountSchema, 'mountPath'),
  volumeDevices: mergeList(volumeDeviceSchema, 'devicePath'),
  livenessProbe: probeSchema,
  readinessProbe: probeSchema,
  startupProbe: probeSchema,
  lifecycle: lifecycleSchema,
  terminationMessagePath: str(),
  terminationMessagePolicy: str(),
  imagePullPolicy: str(),
  securityContext: securityContextSchema,
  stdin: bool(),
  stdinOnce: bool(),
  tty: bool(),
} as const;

/** containerSchema is v1.Container with every field. */
export const containerSchema = obj('v1.Container', containerFields);

/** ephemeralContainerSchema is v1.EphemeralContainer (Container fields + target). */
export const ephemeralContainerSchema = obj('v1.EphemeralContainer', {
  ...containerFields,
  targetContainerName: str(),
});

/** containerStateSchema is v1.ContainerState (waiting, running, terminated). */
export const containerStateSchema = obj('v1.ContainerState', {
  waiting: obj('v1.ContainerStateWaiting', { reason: str(), message: str() }),
  running: obj('v1.ContainerStateRunning', { startedAt: str() }),
  terminated: obj('v1.ContainerStateTerminated', {
    exitCode: int(),
    signal: int(),
    reason: str(),
    message: str(),
    startedAt: str(),
    finishedAt: str(),
    containerID: str(),
  }),
});

/** volumeMountStatusSchema is v1.VolumeMountStatus. */
const volumeMountStatusSchema = obj('v1.VolumeMountStatus', {
  name: str(),
  mountPath: str(),
  readOnly: bool(),
  recursiveReadOnly: str(),
});

/** containerUserSchema is v1.ContainerUser (the identities a container runs with). */
const containerUserSchema = obj('v1.ContainerUser', {
  linux: obj('v1.LinuxContainerUser', {
    uid: int64(),
    gid: int64(),
    supplementalGroups: atomicList(int64()),
  }),
});

/** resourceStatusSchema is v1.ResourceStatus (allocated resource health). */
const resourceStatusSchema = obj('v1.ResourceStatus', {
  name: str(),
  resources: atomicList(obj('v1.ResourceHealth', { resourceID: str(), health: str() })),
});

/** containerStatusSchema is v1.ContainerStatus. */
export const containerStatusSchema = obj('v1.ContainerStatus', {
  name: str(),
  state: containerStateSchema,
  lastState: containerStateSchema,
  ready: bool(),
  restartCount: int(),
  image: str(),
  imageID: str(),
  containerID: str(),
  started: bool(),
  allocatedResources: resourceList(),
  resources: resourceRequirementsSchema,
  volumeMounts: mergeList(volumeMountStatusSchema, 'mountPath'),
  user: containerUserSchema,
  allocatedResourcesStatus: mergeList(resourceStatusSchema, 'name'),
});
