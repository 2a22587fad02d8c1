/**
 * @module bench/failover
 * Leader failover as a client sees it: kill -9 the leader, then send a small put every few
 * ms through the survivors (round robin, each with its own deadline) and time until the
 * first one succeeds. Then restart the killed member and wait until it has applied
 * everything the survivors had committed, so the next sample starts from a healthy cluster.
 */
import { EtcdClient } from '../server/etcd-client.js';
import type { BenchCluster } from './clusters.js';
import { sleep } from './wait.js';

/** How often a new put attempt is sent while no put has succeeded, ms. */
const attemptIntervalMs = 5;
/** Deadline of each attempt, ms (bounds attempts in flight to about 200). */
const attemptTimeoutMs = 1_000;

/** Sends puts through `clients` every few ms until one succeeds; resolves at that moment. */
function firstSuccessfulPut(clients: readonly EtcdClient[], deadlineMs: number):
  Promise<void> {
  return new Promise((resolvePut, reject) => {
    let attempt = 0;
    let settled = false;
    const started = Date.now();
    const timer = setInterval(() => {
      if (settled) return;
      if (Date.now() - started > deadlineMs) {
        settled = true;
        clearInterval(timer);
        reject(new Error(`no put succeeded within ${deadlineMs} ms of killing the leader`));
        return;
      }
      const client = clients[attempt++ % clients.length]!;
      client.call('Put', { key: Buffer.from('bench/failover'), value: Buffer.alloc(256, 'f') },
        attemptTimeoutMs).then(() => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        resolvePut();
      }, () => undefined);
    }, attemptIntervalMs);
  });
}

/** Returns the highest commit index any reachable member reports. */
async function commitIndex(cluster: BenchCluster): Promise<number> {
  const statuses = await cluster.statuses();
  return Math.max(0, ...[...statuses.values()].map((status) => status.raftIndex));
}

/** Waits until member `index` has applied at least `target` and all agree on a leader. */
async function waitCaughtUp(cluster: BenchCluster, options: { index: number; target: number;
  deadlineMs: number }): Promise<void> {
  const deadline = Date.now() + options.deadlineMs;
  const endpoint = cluster.endpoints[options.index]!;
  while (Date.now() < deadline) {
    const applied = (await cluster.statuses()).get(endpoint)?.raftAppliedIndex ?? -1;
    if (applied >= options.target) {
      await cluster.waitForLeader(Math.max(1, deadline - Date.now()));
      return;
    }
    await sleep(50);
  }
  throw new Error(`${cluster.system} member ${options.index} did not catch up to ` +
    `${options.target} within ${options.deadlineMs} ms`);
}

/** Measures one failover (ms from kill -9 to the first successful put), then heals. */
export async function measureFailover(cluster: BenchCluster, deadlineMs: number):
  Promise<number> {
  const leader = await cluster.waitForLeader(deadlineMs);
  const clients = cluster.endpoints.filter((_, index) => index !== leader)
    .map((endpoint) => new EtcdClient(endpoint));
  try {
    // Warm the survivors' channels so connection setup is not counted as failover.
    await Promise.all(clients.map((client) => client.call('Status', {}, 2_000)));
    const killed = performance.now();
    await cluster.killMember(leader);
    await firstSuccessfulPut(clients, deadlineMs);
    const failoverMs = performance.now() - killed;
    const target = await commitIndex(cluster);
    cluster.restartMember(leader);
    await waitCaughtUp(cluster, { index: leader, target, deadlineMs });
    return failoverMs;
  } finally {
    for (const client of clients) client.close();
  }
}
