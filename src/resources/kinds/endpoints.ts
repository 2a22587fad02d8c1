/**
 * @module resources/kinds/endpoints
 * core/v1 Endpoints (ports default to TCP; addresses must be IPs, ports named when a subset
 * has several; the ENDPOINTS column "10.0.0.1:80,10.0.0.2:80 + 3 more...") and the small
 * namespaced kinds ServiceAccount (SECRETS column) and coordination.k8s.io/v1 Lease
 * (duration > 0, transitions >= 0, HOLDER column).
 */
import type { FieldError, KubeObject, TableCell } from '../types.js';
import { fieldInvalid, fieldRequired, invalidEach } from '../field-errors.js';
import {
  isDNS1123Label, isNegativeErrorMsg, isValidIP, isValidPortNum, nameIsDNSSubdomain,
} from '../meta-validation.js';
import { arrayAt, numberAt, recordAt, recordsAt, stringAt } from '../object-access.js';
import type { MutableRecord } from '../object-access.js';
import { ageColumn, column, nameColumn, translateTimestampSince } from '../printing.js';
import { defineKind } from './common.js';
import { validateProtocol } from './pod-spec.js';

/** Shown addresses before "+ N more..." (formatEndpoints' max). */
const endpointsShownMax = 3;

function validateSubset(subset: MutableRecord, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const addresses = recordsAt(subset, 'addresses');
  const notReady = recordsAt(subset, 'notReadyAddresses');
  if (addresses.length === 0 && notReady.length === 0) {
    errors.push(fieldRequired(path, 'must specify `addresses` or `notReadyAddresses`'));
  }
  const checkAddress = (address: MutableRecord, addressPath: string): void => {
    const ip = stringAt(address, 'ip');
    if (!isValidIP(ip)) {
      errors.push(fieldInvalid(`${addressPath}.ip`, ip,
        'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    }
  };
  addresses.forEach((address, index) => checkAddress(address, `${path}.addresses[${index}]`));
  notReady.forEach((address, index) =>
    checkAddress(address, `${path}.notReadyAddresses[${index}]`));
  const ports = recordsAt(subset, 'ports');
  ports.forEach((port, index) => {
    const portPath = `${path}.ports[${index}]`;
    const name = stringAt(port, 'name');
    if (ports.length > 1 && name === '') errors.push(fieldRequired(`${portPath}.name`));
    else if (name !== '') {
      errors.push(...invalidEach(`${portPath}.name`, name, isDNS1123Label(name)));
    }
    const number = numberAt(port, 'port') ?? 0;
    errors.push(...invalidEach(`${portPath}.port`, number, isValidPortNum(number)));
    errors.push(...validateProtocol(port, portPath));
  });
  return errors;
}

/** The ENDPOINTS cell of printers.go's formatEndpoints (all ports). */
export function formatEndpoints(endpoints: KubeObject): string {
  const subsets = recordsAt(endpoints, 'subsets');
  if (subsets.length === 0) return '<none>';
  const shown: string[] = [];
  let count = 0;
  for (const subset of subsets) {
    const ips = recordsAt(subset, 'addresses').map((address) => stringAt(address, 'ip'));
    const ports = recordsAt(subset, 'ports');
    const targets = ports.length === 0 ? [ips]
      : ports.map((port) => ips.map((ip) => joinHostPort(ip, numberAt(port, 'port') ?? 0)));
    for (const group of targets) {
      count += group.length;
      for (const target of group) if (shown.length < endpointsShownMax) shown.push(target);
    }
  }
  const more = count > endpointsShownMax ? ` + ${count - endpointsShownMax} more...` : '';
  return `${shown.join(',')}${more}`;
}

function joinHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The core/v1 Endpoints definition. */
export const endpointsDefinition = defineKind({
  group: '', version: 'v1', kind: 'Endpoints', resource: 'endpoints', singular: 'endpoints',
  namespaced: true, shortNames: ['ep'],
  hasGeneration: false, hasStatus: false, nameValidator: nameIsDNSSubdomain,
  columns: [nameColumn, column('Endpoints', 'string', 'The set of all endpoints is the union ' +
    'of all subsets.'), ageColumn],
  applyDefaults: (endpoints) => {
    for (const subset of recordsAt(endpoints, 'subsets')) {
      for (const port of recordsAt(subset, 'ports')) {
        if (stringAt(port, 'protocol') === '') port.protocol = 'TCP';
      }
    }
  },
  validateKind: (endpoints) => recordsAt(endpoints as MutableRecord, 'subsets')
    .flatMap((subset, index) => validateSubset(subset, `subsets[${index}]`)),
  tableCells: (endpoints, now): TableCell[] => [
    endpoints.metadata.name ?? '', formatEndpoints(endpoints),
    translateTimestampSince(endpoints.metadata.creationTimestamp, now),
  ],
});

/** The core/v1 ServiceAccount definition. */
export const serviceAccountDefinition = defineKind({
  group: '', version: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts',
  singular: 'serviceaccount', namespaced: true, shortNames: ['sa'],
  hasGeneration: false, hasStatus: false, nameValidator: nameIsDNSSubdomain,
  columns: [nameColumn, column('Secrets', 'string', 'Secrets is a list of the secrets in the ' +
    'same namespace that pods running using this ServiceAccount are allowed to use.'), ageColumn],
  tableCells: (account, now): TableCell[] => [
    account.metadata.name ?? '', arrayAt(account, 'secrets').length,
    translateTimestampSince(account.metadata.creationTimestamp, now),
  ],
});

function validateLease(lease: KubeObject): FieldError[] {
  const spec = recordAt(lease, 'spec');
  const errors: FieldError[] = [];
  const duration = numberAt(spec, 'leaseDurationSeconds');
  if (duration !== undefined && duration <= 0) {
    errors.push(fieldInvalid('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  }
  const transitions = numberAt(spec, 'leaseTransitions');
  if (transitions !== undefined && transitions < 0) {
    errors.push(fieldInvalid('spec.leaseTransitions', transitions, isNegativeErrorMsg));
  }
  return errors;
}

/** The coordination.k8s.io/v1 Lease definition. */
export const leaseDefinition = defineKind({
  group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', resource: 'leases',
  singular: 'lease', namespaced: true,
  hasGeneration: false, hasStatus: false, nameValidator: nameIsDNSSubdomain,
  columns: [nameColumn, column('Holder', 'string', 'holderIdentity contains the identity of ' +
    'the holder of a current lease.'), ageColumn],
  validateKind: validateLease,
  tableCells: (lease, now): TableCell[] => [
    lease.metadata.name ?? '', stringAt(recordAt(lease, 'spec'), 'holderIdentity'),
    translateTimestampSince(lease.metadata.creationTimestamp, now),
  ],
});
