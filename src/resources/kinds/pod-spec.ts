/**
 * @module resources/kinds/pod-spec
 * PodSpec defaults and validation shared by Pods and every pod template (Deployment,
 * ReplicaSet, ReplicationController), after k8s.io/kubernetes pkg/apis/core/v1/defaults.go
 * (SetDefaults_PodSpec, SetDefaults_Container, probes, volumes) and
 * pkg/apis/core/validation/validation.go (ValidatePodSpec: containers, ports, volumes,
 * policies, resources), with upstream's field paths and messages. Pod-only behaviour
 * (enableServiceLinks, requests from limits, status) lives in pod.ts.
 */
import type { FieldError } from '../types.js';
import {
  fieldDuplicate, fieldInvalid, fieldNotSupported, fieldRequired, invalidEach,
} from '../field-errors.js';
import {
  inclusiveRangeError, isDNS1123Label, isValidPortName, isValidPortNum, nameIsDNSSubdomain,
  validateLabels,
} from '../meta-validation.js';
import {
  ensureRecord, numberAt, recordAt, recordsAt, setDefault, stringAt, stringMapAt,
} from '../object-access.js';
import type { MutableRecord } from '../object-access.js';
import { compareQuantities, parseQuantity, quantityText } from '../quantity.js';

/** Secret, ConfigMap, DownwardAPI and projected volumes default to mode 0644 (420). */
const volumeDefaultMode = 0o644;
const protocols = ['SCTP', 'TCP', 'UDP'] as const;
const int32Max = 2 ** 31 - 1;

/** Returns the image tag as docker reference parsing does ("latest" when none, no digest). */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const reference = at >= 0 ? image.slice(0, at) : image;
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  const tag = colon > slash ? reference.slice(colon + 1) : '';
  return tag === '' && at < 0 ? 'latest' : tag;
}

/** Applies SetDefaults_PodSpec and the container, probe and volume defaults in place. */
export function applyPodSpecDefaults(spec: MutableRecord): void {
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'schedulerName', 'default-scheduler');
  const hostNetwork = spec.hostNetwork === true;
  for (const key of ['initContainers', 'containers']) {
    for (const container of recordsAt(spec, key)) applyContainerDefaults(container, hostNetwork);
  }
  for (const volume of recordsAt(spec, 'volumes')) applyVolumeDefaults(volume);
}

function applyContainerDefaults(container: MutableRecord, hostNetwork: boolean): void {
  const image = stringAt(container, 'image');
  const pullPolicy = image !== '' && imageTag(image) === 'latest' ? 'Always' : 'IfNotPresent';
  if (stringAt(container, 'imagePullPolicy') === '') container.imagePullPolicy = pullPolicy;
  if (stringAt(container, 'terminationMessagePath') === '') {
    container.terminationMessagePath = '/dev/termination-log';
  }
  if (stringAt(container, 'terminationMessagePolicy') === '') {
    container.terminationMessagePolicy = 'File';
  }
  setDefault(container, 'resources', {});
  for (const port of recordsAt(container, 'ports')) {
    if (stringAt(port, 'protocol') === '') port.protocol = 'TCP';
    // NB: with hostNetwork the host port IS the container port (SetDefaults_PodSpec).
    if (hostNetwork && numberAt(port, 'hostPort') === undefined) {
      port.hostPort = port.containerPort;
    }
  }
  for (const probeKey of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const probe = recordAt(container, probeKey);
    if (probe !== undefined) applyProbeDefaults(probe);
  }
  for (const env of recordsAt(container, 'env')) {
    const fieldRef = recordAt(recordAt(env, 'valueFrom') ?? {}, 'fieldRef');
    if (fieldRef !== undefined) setDefault(fieldRef, 'apiVersion', 'v1');
  }
}

function applyProbeDefaults(probe: MutableRecord): void {
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  const httpGet = recordAt(probe, 'httpGet');
  if (httpGet !== undefined) {
    if (stringAt(httpGet, 'path') === '') httpGet.path = '/';
    if (stringAt(httpGet, 'scheme') === '') httpGet.scheme = 'HTTP';
  }
}

const volumeSources = [
  'emptyDir', 'hostPath', 'secret', 'configMap', 'persistentVolumeClaim', 'downwardAPI',
  'projected', 'nfs', 'csi', 'ephemeral', 'image', 'iscsi', 'gitRepo', 'fc', 'cephfs', 'rbd',
];

function applyVolumeDefaults(volume: MutableRecord): void {
  // NB: a volume with no source is an emptyDir (SetDefaults_Volume).
  if (!volumeSources.some((source) => volume[source] !== undefined)) volume.emptyDir = {};
  for (const source of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const sourceRecord = recordAt(volume, source);
    if (sourceRecord !== undefined) setDefault(sourceRecord, 'defaultMode', volumeDefaultMode);
  }
  const hostPath = recordAt(volume, 'hostPath');
  if (hostPath !== undefined) setDefault(hostPath, 'type', '');
}

/** PodSpecOptions distinguishes a Pod from a template (templates may omit images). */
export interface PodSpecOptions {
  readonly requireImages: boolean;
}

/** Validates a PodSpec at `path` ("spec" or "spec.template.spec"). */
export function validatePodSpec(
  spec: MutableRecord,
  path: string,
  options: PodSpecOptions,
): FieldError[] {
  const errors: FieldError[] = [];
  const volumeNames = new Set<string>();
  recordsAt(spec, 'volumes').forEach((volume, index) => {
    const namePath = `${path}.volumes[${index}].name`;
    const name = stringAt(volume, 'name');
    if (name === '') errors.push(fieldRequired(namePath));
    else errors.push(...invalidEach(namePath, name, isDNS1123Label(name)));
    if (volumeNames.has(name)) errors.push(fieldDuplicate(namePath, name));
    volumeNames.add(name);
  });
  const containerNames = new Set<string>();
  const context = { containerNames, volumeNames, options };
  recordsAt(spec, 'initContainers').forEach((container, index) => {
    errors.push(...validateContainer(container, `${path}.initContainers[${index}]`, context));
  });
  const containers = recordsAt(spec, 'containers');
  if (containers.length === 0) errors.push(fieldRequired(`${path}.containers`));
  containers.forEach((container, index) => {
    errors.push(...validateContainer(container, `${path}.containers[${index}]`, context));
  });
  errors.push(...validatePodPolicies(spec, path));
  return errors;
}

function validatePodPolicies(spec: MutableRecord, path: string): FieldError[] {
  const errors: FieldError[] = [];
  errors.push(...validateEnum(spec, 'restartPolicy', path, ['Always', 'OnFailure', 'Never']));
  errors.push(...validateEnum(spec, 'dnsPolicy', path,
    ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']));
  errors.push(...validateLabels(stringMapAt(spec, 'nodeSelector'), `${path}.nodeSelector`));
  const serviceAccountName = stringAt(spec, 'serviceAccountName');
  if (serviceAccountName !== '') {
    for (const message of nameIsDNSSubdomain(serviceAccountName, false)) {
      errors.push(fieldInvalid(`${path}.serviceAccountName`, serviceAccountName, message));
    }
  }
  const deadline = numberAt(spec, 'activeDeadlineSeconds');
  if (deadline !== undefined && (deadline < 1 || deadline > int32Max)) {
    errors.push(fieldInvalid(`${path}.activeDeadlineSeconds`, deadline,
      inclusiveRangeError(1, int32Max)));
  }
  recordsAt(spec, 'tolerations').forEach((toleration, index) => {
    const effect = stringAt(toleration, 'effect');
    if (effect !== '' && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(effect)) {
      errors.push(fieldNotSupported(`${path}.tolerations[${index}].effect`, effect,
        ['NoExecute', 'NoSchedule', 'PreferNoSchedule']));
    }
    const operator = stringAt(toleration, 'operator');
    if (operator !== '' && operator !== 'Equal' && operator !== 'Exists') {
      errors.push(fieldNotSupported(`${path}.tolerations[${index}].operator`, operator,
        ['Equal', 'Exists']));
    }
  });
  return errors;
}

/** Required when empty, NotSupported when not one of `allowed` (listed as upstream). */
function validateEnum(
  parent: MutableRecord,
  key: string,
  path: string,
  allowed: readonly string[],
): FieldError[] {
  const value = stringAt(parent, key);
  if (value === '') return [fieldRequired(`${path}.${key}`)];
  return allowed.includes(value) ? [] : [fieldNotSupported(`${path}.${key}`, value, allowed)];
}

interface ContainerContext {
  readonly containerNames: Set<string>;
  readonly volumeNames: ReadonlySet<string>;
  readonly options: PodSpecOptions;
}

function validateContainer(
  container: MutableRecord,
  path: string,
  context: ContainerContext,
): FieldError[] {
  const errors: FieldError[] = [];
  const name = stringAt(container, 'name');
  if (name === '') errors.push(fieldRequired(`${path}.name`));
  else {
    errors.push(...invalidEach(`${path}.name`, name, isDNS1123Label(name)));
  }
  if (context.containerNames.has(name)) errors.push(fieldDuplicate(`${path}.name`, name));
  context.containerNames.add(name);
  const image = stringAt(container, 'image');
  if (context.options.requireImages && image === '') errors.push(fieldRequired(`${path}.image`));
  if (image !== image.trim()) {
    errors.push(fieldInvalid(`${path}.image`, image,
      'must not have leading or trailing whitespace'));
  }
  errors.push(...validateContainerPorts(recordsAt(container, 'ports'), `${path}.ports`));
  errors.push(...validateEnum(container, 'imagePullPolicy', path,
    ['Always', 'IfNotPresent', 'Never']));
  errors.push(...validateEnum(container, 'terminationMessagePolicy', path,
    ['File', 'FallbackToLogsOnError']));
  recordsAt(container, 'env').forEach((env, index) => {
    if (stringAt(env, 'name') === '') errors.push(fieldRequired(`${path}.env[${index}].name`));
  });
  recordsAt(container, 'volumeMounts').forEach((mount, index) => {
    const mountPath = `${path}.volumeMounts[${index}]`;
    const volumeName = stringAt(mount, 'name');
    if (volumeName === '') errors.push(fieldRequired(`${mountPath}.name`));
    else if (!context.volumeNames.has(volumeName)) {
      errors.push({ type: 'FieldValueNotFound', field: `${mountPath}.name`,
        message: `Not found: ${JSON.stringify(volumeName)}` });
    }
    if (stringAt(mount, 'mountPath') === '') errors.push(fieldRequired(`${mountPath}.mountPath`));
  });
  errors.push(...validateResources(recordAt(container, 'resources'), `${path}.resources`));
  return errors;
}

/** Validates container ports: names, numbers, protocols (validateContainerPorts). */
export function validateContainerPorts(ports: MutableRecord[], path: string): FieldError[] {
  const errors: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((port, index) => {
    const portPath = `${path}[${index}]`;
    const name = stringAt(port, 'name');
    if (name !== '') {
      const messages = isValidPortName(name);
      errors.push(...messages.map((message) => fieldInvalid(`${portPath}.name`, name, message)));
      if (messages.length === 0 && names.has(name)) {
        errors.push(fieldDuplicate(`${portPath}.name`, name));
      }
      names.add(name);
    }
    const containerPort = numberAt(port, 'containerPort') ?? 0;
    if (containerPort === 0) errors.push(fieldRequired(`${portPath}.containerPort`));
    for (const message of containerPort === 0 ? [] : isValidPortNum(containerPort)) {
      errors.push(fieldInvalid(`${portPath}.containerPort`, containerPort, message));
    }
    const hostPort = numberAt(port, 'hostPort') ?? 0;
    for (const message of hostPort === 0 ? [] : isValidPortNum(hostPort)) {
      errors.push(fieldInvalid(`${portPath}.hostPort`, hostPort, message));
    }
    errors.push(...validateProtocol(port, portPath));
  });
  return errors;
}

/** Required / NotSupported check of a `protocol` field (TCP, UDP, SCTP). */
export function validateProtocol(port: MutableRecord, path: string): FieldError[] {
  const protocol = stringAt(port, 'protocol');
  if (protocol === '') return [fieldRequired(`${path}.protocol`)];
  return (protocols as readonly string[]).includes(protocol)
    ? [] : [fieldNotSupported(`${path}.protocol`, protocol, protocols)];
}

function validateResources(resources: MutableRecord | undefined, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const limits = recordAt(resources ?? {}, 'limits') ?? {};
  const requests = recordAt(resources ?? {}, 'requests') ?? {};
  for (const [key, raw] of Object.entries(requests)) {
    const request = parseQuantity(raw);
    const limit = limits[key] === undefined ? undefined : parseQuantity(limits[key]);
    if (request !== undefined && request < 0) {
      errors.push(fieldInvalid(`${path}.requests[${key}]`, quantityText(raw),
        'must be greater than or equal to 0'));
    }
    if (request === undefined || limit === undefined) continue;
    if (compareQuantities(request, limit) > 0) {
      errors.push(fieldInvalid(`${path}.requests`, quantityText(raw),
        `must be less than or equal to ${key} limit of ${quantityText(limits[key])}`));
    }
  }
  return errors;
}

/** Returns the pod spec of a template at `spec.template.spec` (created when missing). */
export function templatePodSpec(object: MutableRecord): MutableRecord | undefined {
  const template = recordAt(ensureRecord(object, 'spec'), 'template');
  if (template === undefined) return undefined;
  return recordAt(template, 'spec');
}
