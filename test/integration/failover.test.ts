/**
 * Goal: when the leader's process dies (kill -9), the survivors learn it from the broken
 * peer streams (the kernel closes a dead process's sockets at once) and elect a new leader
 * well within the election timeout: the first put through a survivor succeeds in under
 * 900 ms. The election timeout is 10 ticks of 100 ms, randomized in [1000, 2000) ms since
 * the last heartbeat, and a heartbeat comes every 100 ms, so without the failure detector a
 * campaign cannot start sooner than about 800 ms after the kill and the put lands later
 * than that; the logs must also show that the survivors forgot the leader for this reason.
 * Method: 3 real peers on 127.0.0.1 free ports (ProcessCluster); warm the client channels
 * and the peer links with a put; kill -9 the leader; send puts through the survivors in
 * turn, each with a short deadline, until one succeeds (bounded by count and deadline);
 * teardown stops every process by PID.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EtcdClient } from '../../src/server/etcd-client.js';
import { ProcessCluster } from './process-cluster.js';

let cluster: ProcessCluster | null = null;

afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

/** Put attempts at most while waiting for the new leader (each fails fast or in 500 ms). */
const putAttemptsMax = 2000;
/** How long to wait between two attempts that failed fast (no leader yet), ms. */
const attemptPauseMs = 5;

function put(client: EtcdClient, key: string, timeoutMs: number): Promise<void> {
  return client.call('Put', { key: Buffer.from(key), value: Buffer.from('v') }, timeoutMs)
    .then(() => undefined);
}

/** Puts through `clients` in turn until one succeeds; returns when it did. */
async function firstSuccessfulPut(clients: readonly EtcdClient[], deadlineMs: number):
  Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 0; attempt < putAttemptsMax && Date.now() < deadline; attempt++) {
    const ok = await put(clients[attempt % clients.length]!, `failover/${attempt}`, 500)
      .then(() => true, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, attemptPauseMs));
  }
  throw new Error(`no put succeeded within ${deadlineMs} ms`);
}

describe('leader failover (real processes)', () => {
  it('a killed leader is replaced in well under the election timeout', async () => {
    cluster = await ProcessCluster.start({ peers: 3 });
    const running = cluster;
    const leader = await running.waitForLeader();
    const survivors = ['p1', 'p2', 'p3'].filter((name) => name !== leader);
    const clients = survivors.map((name) => running.client(name));
    // Warm the client channels and every peer stream (a put through each survivor).
    for (const client of clients) await put(client, 'warm', 5000);
    const killedAt = performance.now();
    await running.kill(leader, 'SIGKILL');
    await firstSuccessfulPut(clients, 10_000);
    const failoverMs = performance.now() - killedAt;
    expect(failoverMs).toBeLessThan(900);
    expect(survivors).toContain(await running.waitForLeader(survivors));
    for (const name of survivors) {
      const log = readFileSync(join(running.directory, 'logs', `${name}.log`), 'utf8');
      expect(log).toContain('leader stream broke: forgetting the leader');
    }
  });
});
