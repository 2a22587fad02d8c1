/**
 * @module server/identity
 * Member and cluster ids, and the `--initial-cluster` flag. Like etcd, a member id is a hash
 * of the member's peer URLs and the cluster token (plus a time salt for members added later,
 * so a re-added peer gets a fresh id); Coracle keeps ids below 2^48 so they stay exact in a
 * JavaScript number, and never 0.
 */
import { createHash } from 'node:crypto';

/** InitialMember is one `name=host:port` of `--initial-cluster`. */
export interface InitialMember {
  readonly name: string;
  readonly peerURL: string;
}

function hashToId(text: string): number {
  const digest = createHash('sha256').update(text).digest();
  const id = digest.readUIntBE(0, 6);
  return id === 0 ? 1 : id;
}

/** Returns the member id for `peerURLs` in a cluster with token `clusterToken`. */
export function memberIdFor(clusterToken: string, peerURLs: readonly string[], salt = 0): number {
  return hashToId(`${clusterToken}|${[...peerURLs].sort().join(',')}|${salt}`);
}

/** Returns the cluster id of a cluster founded by `memberIds`. */
export function clusterIdFor(clusterToken: string, memberIds: readonly number[]): number {
  return hashToId(`${clusterToken}|${[...memberIds].sort((a, b) => a - b).join(',')}`);
}

/** Normalizes `host:port` or `http://host:port` to a peer URL. */
export function normalizeURL(address: string): string {
  return /^[a-z]+:\/\//.test(address) ? address : `http://${address}`;
}

/** Returns `host:port` of a URL (what gRPC dials). */
export function hostPort(url: string): string {
  return url.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
}

/** Parses `p1=127.0.0.1:2380,p2=...`; throws with a clear message on bad input. */
export function parseInitialCluster(flag: string): InitialMember[] {
  const members = flag.split(',').filter((part) => part.trim() !== '').map((part) => {
    const equals = part.indexOf('=');
    if (equals <= 0 || equals === part.length - 1) {
      throw new Error(`--initial-cluster: expected name=host:port, got "${part}"`);
    }
    const name = part.slice(0, equals).trim();
    return { name, peerURL: normalizeURL(part.slice(equals + 1).trim()) };
  });
  if (members.length === 0) throw new Error('--initial-cluster lists no members');
  const names = new Set(members.map((member) => member.name));
  if (names.size !== members.length) throw new Error('--initial-cluster repeats a name');
  return members;
}
