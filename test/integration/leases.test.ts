/**
 * Goal: lease expiry is a replicated decision of whichever peer leads, so it survives a
 * leader change: a key attached to a lease whose keep-alives stop is still there right
 * after the leader is killed -9 (the new leader first extends every lease), and is then
 * deleted on every peer by the NEW leader once the lease runs out.
 * Method: a real 3-peer cluster; waits poll with deadlines; the TTL itself is what is
 * measured, so the checks compare against wall-clock bounds with generous margins.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EtcdClient } from '../../src/server/etcd-client.js';
import { ProcessCluster, eventually } from './process-cluster.js';

let cluster: ProcessCluster | null = null;

afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

async function exists(client: EtcdClient, key: string): Promise<boolean> {
  const response = await client.call<{ count: number }>('Range',
    { key: Buffer.from(key), countOnly: true }, 10_000);
  return response.count > 0;
}

describe('leases across a leader change', () => {
  it('the new leader expires a lease granted under the old one, not before its TTL', async () => {
    cluster = await ProcessCluster.start({ peers: 3 });
    const running = cluster;
    const leader = await running.waitForLeader();
    const survivor = ['p1', 'p2', 'p3'].find((name) => name !== leader)!;
    const client = running.client(survivor);
    const ttlSeconds = 4;
    const granted = await client.call<{ ID: number; TTL: number }>('LeaseGrant',
      { TTL: ttlSeconds }, 10_000);
    const grantedAt = Date.now();
    await client.call('Put', { key: Buffer.from('session'), value: Buffer.from('alive'),
      lease: granted.ID }, 10_000);
    await running.kill(leader, 'SIGKILL');
    const newLeader = await running.waitForLeader(['p1', 'p2', 'p3'].filter((n) => n !== leader));
    expect(newLeader).not.toBe(leader);
    // Not before the TTL: the key survives the failover.
    if (Date.now() - grantedAt < ttlSeconds * 1000 - 500) {
      expect(await exists(client, 'session')).toBe(true);
    }
    await eventually(async () => (await exists(client, 'session')) ? undefined : true,
      20_000, 'the new leader revoking the expired lease');
    expect(Date.now() - grantedAt).toBeGreaterThanOrEqual(ttlSeconds * 1000);
    const other = running.client(newLeader);
    expect(await exists(other, 'session')).toBe(false);
    const ttl = await other.call<{ TTL: number }>('LeaseTimeToLive', { ID: granted.ID }, 10_000);
    expect(ttl.TTL).toBe(-1);
  }, 90_000);
});
