/**
 * @module api/allocators
 * Service cluster IPs and node ports. Each allocated value is a marker key in the store
 * (`/registry/ranges/serviceips/<ip>`, `/registry/ranges/servicenodeports/<port>`), created in
 * the SAME transaction as the Service (compare: create revision 0), so two peers can never
 * hand out the same IP or port, and released in the transaction that deletes the Service.
 * A collision is retried with another random value by the caller.
 */
import type { KubeObject } from '../resources/types.js';
import type { ExtraWrite } from './object-store.js';
import { APIError, newBadRequest } from './status.js';

/** The cluster IP range, parsed from a CIDR like "10.96.0.0/12". */
export interface IPRange {
  readonly cidr: string;
  readonly base: number;
  readonly size: number;
}

/** Default `--service-cluster-ip-range`, as kube-apiserver. */
export const serviceClusterIPRangeDefault = '10.96.0.0/12';

/** The node port range, as kube-apiserver's default `--service-node-port-range`. */
export const nodePortMin = 30000;
export const nodePortMax = 32767;

function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

function numberToIP(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Parses an IPv4 CIDR; throws a plain Error with a clear message when malformed. */
export function parseIPRange(cidr: string): IPRange {
  const [ip, bitsText] = cidr.split('/');
  const base = ip === undefined ? undefined : ipToNumber(ip);
  const bits = Number(bitsText);
  if (base === undefined || !Number.isInteger(bits) || bits < 8 || bits > 30) {
    throw new Error(`invalid service cluster IP range "${cidr}": want an IPv4 CIDR with a ` +
      'prefix length in 8..30, e.g. 10.96.0.0/12');
  }
  const size = 2 ** (32 - bits);
  return { cidr, base: base - (base % size), size };
}

/** The first usable address of the range: the `kubernetes` Service's IP. */
export function firstServiceIP(range: IPRange): string {
  return numberToIP(range.base + 1);
}

function ipKey(ip: string): string {
  return `/registry/ranges/serviceips/${ip}`;
}

function portKey(port: number): string {
  return `/registry/ranges/servicenodeports/${port}`;
}

interface ServiceShape {
  type: string;
  clusterIP: string | undefined;
  ports: { nodePort?: number }[];
}

function shapeOf(service: KubeObject): ServiceShape {
  const spec = (service.spec ?? {}) as Record<string, unknown>;
  const ports = Array.isArray(spec.ports) ? spec.ports as { nodePort?: number }[] : [];
  return {
    type: typeof spec.type === 'string' ? spec.type : 'ClusterIP',
    clusterIP: typeof spec.clusterIP === 'string' ? spec.clusterIP : undefined,
    ports,
  };
}

function wantsNodePorts(type: string): boolean {
  return type === 'NodePort' || type === 'LoadBalancer';
}

function allocateIP(spec: Record<string, unknown>, range: IPRange, random: () => number,
  extras: ExtraWrite[]): void {
  const requested = spec.clusterIP;
  if (requested === 'None') return;
  if (typeof requested === 'string' && requested !== '') {
    const value = ipToNumber(requested);
    if (value === undefined || value < range.base || value >= range.base + range.size) {
      throw new APIError(422, 'Invalid', `Service "" is invalid: spec.clusterIP: Invalid ` +
        `value: "${requested}": provided IP is not in the valid range. The range of valid ` +
        `IPs is ${range.cidr}`);
    }
    extras.push({ key: ipKey(requested), action: 'create' });
    spec.clusterIPs = [requested];
    return;
  }
  // NB: skip the network address and the first IP (reserved for the kubernetes Service).
  const offset = 2 + Math.floor(random() * (range.size - 3));
  const ip = numberToIP(range.base + offset);
  spec.clusterIP = ip;
  spec.clusterIPs = [ip];
  extras.push({ key: ipKey(ip), action: 'create' });
}

function allocatePorts(ports: { nodePort?: number }[], keep: ReadonlySet<number>,
  random: () => number, extras: ExtraWrite[]): void {
  for (const port of ports) {
    if (port.nodePort !== undefined && port.nodePort !== 0) {
      if (port.nodePort < nodePortMin || port.nodePort > nodePortMax) {
        throw newBadRequest(`spec.ports.nodePort: Invalid value: ${port.nodePort}: provided ` +
          `port is not in the valid range. The range of valid ports is ${nodePortMin}-${nodePortMax}`);
      }
      if (!keep.has(port.nodePort)) extras.push({ key: portKey(port.nodePort), action: 'create' });
      continue;
    }
    port.nodePort = nodePortMin + Math.floor(random() * (nodePortMax - nodePortMin + 1));
    extras.push({ key: portKey(port.nodePort), action: 'create' });
  }
}

/**
 * Fills in a new Service's cluster IP and node ports (in place) and returns the marker keys
 * to create with it.
 */
export function allocateForCreate(service: KubeObject, range: IPRange, random: () => number):
  ExtraWrite[] {
  const spec = (service.spec ?? {}) as Record<string, unknown>;
  const extras: ExtraWrite[] = [];
  const shape = shapeOf(service);
  if (shape.type !== 'ExternalName') allocateIP(spec, range, random, extras);
  if (wantsNodePorts(shape.type)) allocatePorts(shape.ports, new Set(), random, extras);
  return extras;
}

/**
 * Reconciles allocations on a Service update (in place on `next`): keeps the cluster IP,
 * allocates node ports that appeared, releases those that went away.
 */
export function allocateForUpdate(next: KubeObject, previous: KubeObject, range: IPRange,
  random: () => number): ExtraWrite[] {
  const extras: ExtraWrite[] = [];
  const nextShape = shapeOf(next);
  const oldShape = shapeOf(previous);
  const spec = (next.spec ?? {}) as Record<string, unknown>;
  if ((spec.clusterIP === undefined || spec.clusterIP === '') && oldShape.clusterIP !== undefined) {
    spec.clusterIP = oldShape.clusterIP;
    const oldSpec = (previous.spec ?? {}) as Record<string, unknown>;
    if (oldSpec.clusterIPs !== undefined) spec.clusterIPs = oldSpec.clusterIPs;
  }
  if (oldShape.type === 'ExternalName' && nextShape.type !== 'ExternalName' &&
    (oldShape.clusterIP === undefined || oldShape.clusterIP === '')) {
    allocateIP(spec, range, random, extras);
  }
  const oldPorts = new Set(wantsNodePorts(oldShape.type)
    ? oldShape.ports.map((port) => port.nodePort ?? 0).filter((port) => port > 0) : []);
  const nextPorts = new Set<number>();
  if (wantsNodePorts(nextShape.type)) {
    allocatePorts(nextShape.ports, oldPorts, random, extras);
    for (const port of nextShape.ports) {
      if (port.nodePort !== undefined) nextPorts.add(port.nodePort);
    }
  } else {
    for (const port of nextShape.ports) delete port.nodePort;
  }
  for (const port of oldPorts) {
    if (!nextPorts.has(port)) extras.push({ key: portKey(port), action: 'delete' });
  }
  return extras;
}

/** The marker keys to delete with a Service. */
export function releaseForDelete(service: KubeObject): ExtraWrite[] {
  const shape = shapeOf(service);
  const extras: ExtraWrite[] = [];
  if (shape.clusterIP !== undefined && shape.clusterIP !== '' && shape.clusterIP !== 'None') {
    extras.push({ key: ipKey(shape.clusterIP), action: 'delete' });
  }
  if (wantsNodePorts(shape.type)) {
    for (const port of shape.ports) {
      if (port.nodePort !== undefined && port.nodePort > 0) {
        extras.push({ key: portKey(port.nodePort), action: 'delete' });
      }
    }
  }
  return extras;
}

/** Reports which allocation a conflicting marker key was, for the error message. */
export function describeMarker(key: string): string {
  if (key.startsWith('/registry/ranges/serviceips/')) {
    return `spec.clusterIP: Invalid value: "${key.slice(28)}": provided IP is already allocated`;
  }
  return `spec.ports[].nodePort: Invalid value: ${key.slice(34)}: provided port is already allocated`;
}
