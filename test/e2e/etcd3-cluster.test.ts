/**
 * Goal: the npm `etcd3` client (its own grpc-js and protos), given all three endpoints of a
 * real Coracle cluster, works unchanged: CRUD, if/then/else txns (value and mod-revision
 * compares, as Kubernetes uses them), prefix watches delivering puts and deletes in order,
 * and leases kept alive past their TTL, then revoked.
 * Method: one ProcessCluster of three `coracle server` processes on 127.0.0.1 free ports for
 * the whole file; a multi-host Etcd3 client drives it, and one single-host client per peer
 * checks that every peer sees the result. Waits poll conditions with deadlines; the only
 * wall-clock wait is living past the lease TTL, which is the thing tested.
 */
import { Etcd3, type IKeyValue } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessCluster, eventually } from '../integration/process-cluster.js';

describe('the npm etcd3 client against a real 3-peer cluster', () => {
  let cluster: ProcessCluster;
  let client: Etcd3;
  let perPeer: Etcd3[] = [];

  beforeAll(async () => {
    cluster = await ProcessCluster.start({ peers: 3 });
    client = new Etcd3({ hosts: cluster.endpoints().map((endpoint) => `http://${endpoint}`) });
    perPeer = cluster.endpoints().map((endpoint) => new Etcd3({ hosts: `http://${endpoint}` }));
  });

  afterAll(async () => {
    client?.close();
    for (const peer of perPeer) peer.close();
    await cluster?.stop();
  });

  /** Every peer (linearizable read) holds `expected` under `prefix`. */
  async function expectOnEveryPeer(prefix: string, expected: Record<string, string>):
    Promise<void> {
    for (const peer of perPeer) {
      expect(await peer.getAll().prefix(prefix).strings()).toEqual(expected);
    }
  }

  it('puts, gets, lists by prefix and deletes', async () => {
    await client.put('/e3/a').value('1');
    await client.put('/e3/b').value('2');
    await client.put('/e3/c').value('3');
    expect(await client.get('/e3/a').string()).toBe('1');
    expect(await client.getAll().prefix('/e3/').count()).toBe(3);
    await expectOnEveryPeer('/e3/', { '/e3/a': '1', '/e3/b': '2', '/e3/c': '3' });
    const deleted = await client.delete().key('/e3/a').exec();
    expect(deleted.deleted).toBe('1');
    expect(await client.get('/e3/a').string()).toBeNull();
    const rest = await client.delete().prefix('/e3/').getPrevious();
    expect(rest.map((kv) => kv.key.toString()).sort()).toEqual(['/e3/b', '/e3/c']);
    await expectOnEveryPeer('/e3/', {});
  });

  it('runs if/then/else txns on value and on mod revision', async () => {
    await client.put('/e3/txn').value('v1');
    const first = await client.if('/e3/txn', 'Value', '==', 'v1')
      .then(client.put('/e3/txn').value('v2'))
      .else(client.get('/e3/txn'))
      .commit();
    expect(first.succeeded).toBe(true);
    const second = await client.if('/e3/txn', 'Value', '==', 'v1')
      .then(client.put('/e3/txn').value('v3'))
      .else(client.get('/e3/txn'))
      .commit();
    expect(second.succeeded).toBe(false);
    expect(second.responses[0]?.response_range?.kvs[0]?.value.toString()).toBe('v2');
    // Compare-and-swap on mod_revision, as Kubernetes' GuaranteedUpdate does.
    const current = await client.get('/e3/txn').exec();
    const modRevision = current.kvs[0]!.mod_revision;
    const swapped = await client.if('/e3/txn', 'Mod', '==', modRevision)
      .then(client.put('/e3/txn').value('v4'))
      .commit();
    expect(swapped.succeeded).toBe(true);
    const stale = await client.if('/e3/txn', 'Mod', '==', modRevision)
      .then(client.put('/e3/txn').value('lost'))
      .commit();
    expect(stale.succeeded).toBe(false);
    const created = await client.if('/e3/new', 'Create', '==', 0)
      .then(client.put('/e3/new').value('made'))
      .commit();
    expect(created.succeeded).toBe(true);
    await expectOnEveryPeer('/e3/txn', { '/e3/txn': 'v4' });
    await expectOnEveryPeer('/e3/new', { '/e3/new': 'made' });
  });

  it('watches a prefix and receives puts and deletes in order', async () => {
    const watcher = await client.watch().prefix('/e3/watch/').withPreviousKV().create();
    const seen: string[] = [];
    watcher.on('put', (kv: IKeyValue) => seen.push(`put ${kv.key.toString()}=${kv.value.toString()}`));
    watcher.on('delete', (kv: IKeyValue, previous?: IKeyValue) =>
      seen.push(`delete ${kv.key.toString()} was ${previous?.value.toString() ?? '?'}`));
    try {
      // Writes go through every peer, one by one, so events from all of them interleave.
      await perPeer[0]!.put('/e3/watch/x').value('1');
      await perPeer[1]!.put('/e3/watch/y').value('2');
      await perPeer[2]!.put('/e3/watch/x').value('3');
      await perPeer[0]!.delete().key('/e3/watch/x');
      await perPeer[1]!.delete().key('/e3/watch/y');
      await eventually(() => Promise.resolve(seen.length >= 5 ? true : undefined), 20_000,
        `five watch events (got ${JSON.stringify(seen)})`);
      expect(seen).toEqual(['put /e3/watch/x=1', 'put /e3/watch/y=2', 'put /e3/watch/x=3',
        'delete /e3/watch/x was 3', 'delete /e3/watch/y was 2']);
    } finally {
      await watcher.cancel();
    }
  });

  it('keeps an attached key alive past its TTL, and revoke removes it', async () => {
    const ttlSeconds = 2;
    const lease = client.lease(ttlSeconds);
    const id = await lease.grant();
    const grantedAt = Date.now();
    let keepalives = 0;
    lease.on('keepaliveSucceeded', () => { keepalives += 1; });
    await lease.put('/e3/leased').value('held');
    // Living past the TTL is the thing tested: wait until well past it (and a few
    // keepalives later), then check the key is still on every peer.
    await eventually(() => Promise.resolve(Date.now() - grantedAt > 2.5 * ttlSeconds * 1000 &&
      keepalives >= 3 ? true : undefined), 20_000, 'three keepalives past the TTL');
    await expectOnEveryPeer('/e3/leased', { '/e3/leased': 'held' });
    for (const peer of perPeer) {
      const ttl = await peer.leaseClient.leaseTimeToLive({ ID: id, keys: true });
      expect(ttl.grantedTTL).toBe(String(ttlSeconds));
      expect(Number(ttl.TTL)).toBeGreaterThan(0);
      expect(ttl.keys.map((key) => key.toString())).toEqual(['/e3/leased']);
    }
    await lease.revoke();
    expect(await client.get('/e3/leased').string()).toBeNull();
    await expectOnEveryPeer('/e3/leased', {});
    const gone = await perPeer[1]!.leaseClient.leaseTimeToLive({ ID: id });
    expect(gone.TTL).toBe('-1');
  });
});
