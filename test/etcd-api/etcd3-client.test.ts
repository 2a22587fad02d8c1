/**
 * Goal: the npm `etcd3` client (grpc-js, its own copy of etcd's protos) works unchanged
 * against Coracle's etcd API. Method: a server over a LocalBackend on 127.0.0.1 port 0;
 * each test drives one client feature and checks the result through the client and, where
 * useful, the backend's store. Waits poll conditions with deadlines.
 */
import { Etcd3, type IKeyValue } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, waitFor } from './helpers.js';

describe('the npm etcd3 client against the etcd API', () => {
  let server: TestServer;
  let client: Etcd3;

  beforeAll(async () => {
    server = await startTestServer();
    client = new Etcd3({ hosts: `http://${server.endpoint}` });
  });

  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  it('puts, gets, lists by prefix and deletes', async () => {
    await client.put('/e3/a').value('1');
    await client.put('/e3/b').value('2');
    expect(await client.get('/e3/a').string()).toBe('1');
    expect(await client.getAll().prefix('/e3/').strings()).toEqual({ '/e3/a': '1', '/e3/b': '2' });
    expect(await client.getAll().prefix('/e3/').count()).toBe(2);
    const deleted = await client.delete().key('/e3/a').exec();
    expect(deleted.deleted).toBe('1');
    expect(await client.get('/e3/a').string()).toBeNull();
  });

  it('runs if().then().else() transactions', async () => {
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
    const kv = second.responses[0]?.response_range?.kvs[0];
    expect(kv?.value.toString()).toBe('v2');
    expect(await client.get('/e3/txn').string()).toBe('v2');
  });

  it('watches a prefix and receives put and delete events in order', async () => {
    const watcher = await client.watch().prefix('/e3/watch/').withPreviousKV().create();
    const seen: string[] = [];
    watcher.on('put', (kv: IKeyValue) => seen.push(`put ${kv.key.toString()}=${kv.value.toString()}`));
    watcher.on('delete', (kv: IKeyValue, previous?: IKeyValue) =>
      seen.push(`delete ${kv.key.toString()} was ${previous?.value.toString() ?? '?'}`));
    await client.put('/e3/watch/x').value('1');
    await client.put('/e3/watch/x').value('2');
    await client.delete().key('/e3/watch/x');
    await waitFor('three watch events', () => seen.length >= 3);
    expect(seen).toEqual(['put /e3/watch/x=1', 'put /e3/watch/x=2', 'delete /e3/watch/x was 2']);
    await watcher.cancel();
    await waitFor('the watcher to be cancelled on the server', () =>
      server.backend.watcherCount === 0);
  });

  it('grants a lease, keeps it alive, attaches keys and revokes it', async () => {
    const lease = client.lease(3);
    const id = await lease.grant();
    await lease.put('/e3/leased').value('held');
    let keepalives = 0;
    lease.on('keepaliveSucceeded', () => { keepalives += 1; });
    await waitFor('two keepalives', () => keepalives >= 2, { timeoutMs: 10_000 });
    const ttl = await server.backend.leaseTimeToLive(Number(id), true);
    expect(ttl.grantedTTL).toBe(3);
    expect(ttl.keys.map((key) => Buffer.from(key).toString())).toEqual(['/e3/leased']);
    expect(await client.get('/e3/leased').string()).toBe('held');
    await lease.revoke();
    expect(await client.get('/e3/leased').string()).toBeNull();
  });

  it('sees a lease expire when nobody keeps it alive', async () => {
    const lease = client.lease(2, { autoKeepAlive: false });
    await lease.grant();
    await lease.put('/e3/expiring').value('x');
    await waitFor('the key to go with its lease',
      async () => (await client.get('/e3/expiring').string()) === null, { timeoutMs: 10_000 });
    lease.release();
  });
});
