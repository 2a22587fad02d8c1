/**
 * @module resources/kinds/service
 * core/v1 Service: SetDefaults_Service (type ClusterIP, sessionAffinity None, ports TCP,
 * targetPort = port, traffic policies) plus the IP family defaults the service registry
 * applies (ipFamilies [IPv4], ipFamilyPolicy SingleStack; RequireDualStack for selectorless
 * headless services), ValidateService / ValidateServiceUpdate (DNS-1035 names, ports,
 * immutable primary cluster IP), the `kubectl get services` columns and field labels.
 *
 * NB: cluster IP and node port ALLOCATION belong to the API layer; on update it MUST carry the
 * stored clusterIP/clusterIPs into a request that omits them BEFORE validate (upstream's
 * patchAllocatedValues), since an omitted IP is not a change.
 */
import type { FieldError, KubeObject, TableCell } from '../types.js';
import {
  fieldDuplicate, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, goStringSlice,
  invalidEach,
} from '../field-errors.js';
import {
  isDNS1123Label, isValidPortName, isValidPortNum, nameIsDNS1035Label, validateLabels,
} from '../meta-validation.js';
import {
  arrayAt, ensureRecord, isRecord, numberAt, recordAt, recordsAt, setDefault, stringAt,
  stringMapAt, stringsAt,
} from '../object-access.js';
import type { MutableRecord } from '../object-access.js';
import {
  ageColumn, column, formatLabels, nameColumn, translateTimestampSince,
} from '../printing.js';
import { defineKind, statusSubresource } from './common.js';
import { validateProtocol } from './pod-spec.js';

const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'] as const;
const clientIPAffinityTimeoutSeconds = 10800;

function isHeadless(spec: MutableRecord): boolean {
  return stringAt(spec, 'clusterIP') === 'None';
}

function applyServiceDefaults(service: KubeObject): void {
  const spec = ensureRecord(service, 'spec');
  if (stringAt(spec, 'sessionAffinity') === '') spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const clientIP = ensureRecord(ensureRecord(spec, 'sessionAffinityConfig'), 'clientIP');
    setDefault(clientIP, 'timeoutSeconds', clientIPAffinityTimeoutSeconds);
  }
  if (stringAt(spec, 'type') === '') spec.type = 'ClusterIP';
  for (const port of recordsAt(spec, 'ports')) {
    if (stringAt(port, 'protocol') === '') port.protocol = 'TCP';
    const target = port.targetPort;
    if (target === undefined || target === null || target === 0 || target === '') {
      port.targetPort = port.port;
    }
  }
  const type = stringAt(spec, 'type');
  const externallyAccessible = type === 'LoadBalancer' || type === 'NodePort'
    || (type === 'ClusterIP' && arrayAt(spec, 'externalIPs').length > 0);
  if (externallyAccessible) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (type !== 'ExternalName') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  applyIPFamilyDefaults(spec, type);
  setDefault(service, 'status', { loadBalancer: {} });
}

/** The registry's IP family defaults for a single-stack IPv4 cluster. */
function applyIPFamilyDefaults(spec: MutableRecord, type: string): void {
  if (type === 'ExternalName') return;
  const selectorless = Object.keys(stringMapAt(spec, 'selector')).length === 0;
  const policy = isHeadless(spec) && selectorless ? 'RequireDualStack' : 'SingleStack';
  setDefault(spec, 'ipFamilyPolicy', policy);
  if (arrayAt(spec, 'ipFamilies').length === 0) spec.ipFamilies = ['IPv4'];
}

function validateServicePort(
  port: MutableRecord,
  path: string,
  context: { requireName: boolean; names: Set<string> },
): FieldError[] {
  const errors: FieldError[] = [];
  const name = stringAt(port, 'name');
  if (context.requireName && name === '') errors.push(fieldRequired(`${path}.name`));
  else if (name !== '') {
    errors.push(...invalidEach(`${path}.name`, name, isDNS1123Label(name)));
    if (context.names.has(name)) errors.push(fieldDuplicate(`${path}.name`, name));
    context.names.add(name);
  }
  const portNumber = numberAt(port, 'port') ?? 0;
  for (const message of isValidPortNum(portNumber)) {
    errors.push(fieldInvalid(`${path}.port`, portNumber, message));
  }
  errors.push(...validateProtocol(port, path));
  const target = port.targetPort;
  const targetMessages = typeof target === 'number' ? isValidPortNum(target)
    : typeof target === 'string' ? isValidPortName(target) : [];
  for (const message of targetMessages) {
    errors.push(fieldInvalid(`${path}.targetPort`, typeof target === 'number' || typeof target
      === 'string' ? target : null, message));
  }
  const nodePort = numberAt(port, 'nodePort') ?? 0;
  for (const message of nodePort === 0 ? [] : isValidPortNum(nodePort)) {
    errors.push(fieldInvalid(`${path}.nodePort`, nodePort, message));
  }
  return errors;
}

function validateServiceSpec(spec: MutableRecord): FieldError[] {
  const errors: FieldError[] = [];
  const type = stringAt(spec, 'type');
  if (!(serviceTypes as readonly string[]).includes(type)) {
    errors.push(fieldNotSupported('spec.type', type, serviceTypes));
  }
  const ports = recordsAt(spec, 'ports');
  if (ports.length === 0 && !isHeadless(spec) && type !== 'ExternalName') {
    errors.push(fieldRequired('spec.ports'));
  }
  const context = { requireName: ports.length > 1, names: new Set<string>() };
  ports.forEach((port, index) => {
    const path = `spec.ports[${index}]`;
    errors.push(...validateServicePort(port, path, context));
    if (type === 'ClusterIP' && (numberAt(port, 'nodePort') ?? 0) > 0) {
      errors.push(fieldForbidden(`${path}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
    }
  });
  const affinity = stringAt(spec, 'sessionAffinity');
  if (affinity !== 'None' && affinity !== 'ClientIP') {
    errors.push(fieldNotSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']));
  }
  errors.push(...validateLabels(stringMapAt(spec, 'selector'), 'spec.selector'));
  if (type === 'ExternalName' && stringAt(spec, 'externalName') === '') {
    errors.push(fieldRequired('spec.externalName'));
  }
  return errors;
}

function primaryClusterIP(spec: MutableRecord | undefined): string {
  const first = arrayAt(spec, 'clusterIPs')[0];
  return typeof first === 'string' && first !== '' ? first : stringAt(spec, 'clusterIP');
}

function validateService(service: KubeObject, old: KubeObject | undefined): FieldError[] {
  const spec = isRecord(service.spec) ? service.spec : {};
  const errors = validateServiceSpec(spec);
  const oldSpec = old !== undefined && isRecord(old.spec) ? old.spec : undefined;
  if (oldSpec === undefined) return errors;
  const externalName = spec.type === 'ExternalName' || oldSpec.type === 'ExternalName';
  const nextIP = primaryClusterIP(spec);
  const oldIP = primaryClusterIP(oldSpec);
  if (!externalName && nextIP !== '' && oldIP !== '' && nextIP !== oldIP) {
    const clusterIPs = stringsAt(spec, 'clusterIPs');
    errors.push(fieldInvalid('spec.clusterIPs[0]',
      goStringSlice(clusterIPs.length > 0 ? clusterIPs : [nextIP]), 'may not change once set'));
  }
  return errors;
}

/** EXTERNAL-IP as getServiceExternalIP (wide): external IPs, LB ingress, or <none>/<pending>. */
function externalIPCell(spec: MutableRecord, status: MutableRecord | undefined): string {
  const externalIPs = stringsAt(spec, 'externalIPs');
  switch (stringAt(spec, 'type')) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress = recordsAt(recordAt(status ?? {}, 'loadBalancer'), 'ingress')
        .map((entry) => stringAt(entry, 'ip') || stringAt(entry, 'hostname'))
        .filter((address) => address !== '');
      const lbIPs = [...new Set(ingress)].sort();
      const all = [...lbIPs, ...externalIPs];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return stringAt(spec, 'externalName');
    default:
      return '<unknown>';
  }
}

function serviceCells(service: KubeObject, now: Date): TableCell[] {
  const spec = isRecord(service.spec) ? service.spec : {};
  const status = isRecord(service.status) ? service.status : undefined;
  const clusterIP = primaryClusterIP(spec);
  const ports = recordsAt(spec, 'ports').map((port) => {
    const nodePort = numberAt(port, 'nodePort') ?? 0;
    const protocol = stringAt(port, 'protocol');
    const number = numberAt(port, 'port') ?? 0;
    return nodePort > 0 ? `${number}:${nodePort}/${protocol}` : `${number}/${protocol}`;
  }).join(',');
  return [
    service.metadata.name ?? '', stringAt(spec, 'type'), clusterIP === '' ? '<none>' : clusterIP,
    externalIPCell(spec, status), ports === '' ? '<none>' : ports,
    translateTimestampSince(service.metadata.creationTimestamp, now),
    formatLabels(stringMapAt(spec, 'selector')),
  ];
}

/** The core/v1 Service definition. */
export const serviceDefinition = defineKind({
  group: '', version: 'v1', kind: 'Service', resource: 'services', singular: 'service',
  namespaced: true, shortNames: ['svc'], categories: ['all'],
  subresources: [statusSubresource('', 'v1', 'Service')],
  hasGeneration: false, hasStatus: true,
  nameValidator: nameIsDNS1035Label,
  columns: [
    nameColumn,
    column('Type', 'string', 'type determines how the Service is exposed: ClusterIP, ' +
      'NodePort, LoadBalancer or ExternalName.'),
    column('Cluster-IP', 'string', 'clusterIP is the IP address of the service, usually ' +
      'assigned randomly; "None" for a headless service.'),
    column('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in ' +
      'the cluster will also accept traffic for this service.'),
    column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    ageColumn,
    column('Selector', 'string', 'Route service traffic to pods with label keys and values ' +
      'matching this selector.', 1),
  ],
  applyDefaults: applyServiceDefaults,
  validateKind: validateService,
  tableCells: serviceCells,
  // NB: spec.type and spec.clusterIP became selectable fields of Services in v1.31.
  kindFieldLabels: (service) => {
    const spec = isRecord(service.spec) ? service.spec : undefined;
    return { 'spec.clusterIP': stringAt(spec, 'clusterIP'), 'spec.type': stringAt(spec, 'type') };
  },
});
