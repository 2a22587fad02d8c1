/**
 * Goal: the real etcdctl (Debian etcd-client 3.4, API v3) works unchanged against a real
 * 3-peer Coracle cluster, whether it talks to a follower or to the leader: KV, txn, watch
 * (live and replayed from a past revision, across peers), leases (keep-alive, revoke and
 * expiry proposed by the leader), membership and endpoint status/health.
 * Method: one ProcessCluster of three `coracle server` processes on 127.0.0.1 free ports for
 * the whole file; each etcdctl run has a deadline and its output is checked line by line;
 * background watches are killed by PID in teardown. Waits poll conditions with deadlines;
 * the only wall-clock wait is the lease TTL itself, and even there the test polls for the
 * key to go.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/cli/local-cluster.js';
import {
  BackgroundEtcdctl, etcdctl, etcdctlOk, requireEtcdctl,
} from '../etcd-api/helpers.js';
import { ProcessCluster, eventually } from '../integration/process-cluster.js';

const names = ['p1', 'p2', 'p3'];

interface StatusJSON {
  Endpoint: string;
  Status: { header: { cluster_id: number; member_id: number; revision: number };
    leader: number; raftTerm: number; version: string };
}

describe('etcdctl against a real 3-peer cluster', () => {
  let cluster: ProcessCluster;
  let leader: string;
  let follower: string;
  let other: string;
  const background: BackgroundEtcdctl[] = [];
  /** Runs etcdctl against peer `name` and expects exit code 0; returns stdout. */
  const ctl = (name: string, ...args: string[]): Promise<string> =>
    etcdctlOk(cluster.endpoint(name), args);
  const ctlStdin = (name: string, stdin: string, ...args: string[]): Promise<string> =>
    etcdctlOk(cluster.endpoint(name), args, { stdin });
  const watch = (name: string, ...args: string[]): BackgroundEtcdctl => {
    const process = new BackgroundEtcdctl(cluster.endpoint(name), ['watch', ...args]);
    background.push(process);
    return process;
  };
  /** The revision a put made, from `put -w json`. */
  const putRevision = async (name: string, key: string, value: string): Promise<number> => {
    const json = JSON.parse(await ctl(name, 'put', key, value, '-w', 'json')) as
      { header: { revision: number } };
    return json.header.revision;
  };

  beforeAll(async () => {
    requireEtcdctl();
    cluster = await ProcessCluster.start({ peers: 3 });
    leader = await cluster.waitForLeader();
    [follower, other] = names.filter((name) => name !== leader) as [string, string];
  });

  afterAll(async () => {
    for (const process of background) await process.kill();
    await cluster?.stop();
  });

  it('puts, gets by prefix and deletes through a follower and the leader', async () => {
    expect(await ctl(follower, 'put', '/kv/a', '1')).toBe('OK\n');
    expect(await ctl(leader, 'put', '/kv/b', '2')).toBe('OK\n');
    expect(await ctl(other, 'put', '/kv/c', '')).toBe('OK\n');
    for (const name of names) {
      expect(await ctl(name, 'get', '/kv/', '--prefix')).toBe('/kv/a\n1\n/kv/b\n2\n/kv/c\n\n');
      expect(await ctl(name, 'get', '/kv/b')).toBe('/kv/b\n2\n');
    }
    expect(await ctl(follower, 'del', '/kv/b')).toBe('1\n');
    expect(await ctl(leader, 'get', '/kv/', '--prefix', '--keys-only')).toBe('/kv/a\n\n/kv/c\n\n');
    expect(await ctl(leader, 'del', '/kv/', '--prefix', '--prev-kv')).toBe('2\n/kv/a\n1\n/kv/c\n\n');
    for (const name of names) expect(await ctl(name, 'get', '/kv/', '--prefix')).toBe('');
  });

  it('runs txns from stdin with compares, taking both branches, on follower and leader',
    async () => {
      await ctl(leader, 'put', '/txn/k', 'v1');
      // etcdctl's interactive txn: compares, blank line, success ops, blank, failure ops, blank.
      const txn = (name: string, compares: string, value: string): Promise<string> =>
        ctlStdin(name, `${compares}\n\nput /txn/k "${value}"\nget /txn/k\n\nget /txn/k\n\n`, 'txn');
      expect(await txn(follower, 'value("/txn/k") = "v1"', 'v2'))
        .toBe('SUCCESS\n\nOK\n\n/txn/k\nv2\n');
      expect(await txn(leader, 'value("/txn/k") = "v1"', 'v3')).toBe('FAILURE\n\n/txn/k\nv2\n');
      expect(await txn(other, 'version("/txn/k") = "2"\nmod("/txn/k") > "0"', 'v4'))
        .toBe('SUCCESS\n\nOK\n\n/txn/k\nv4\n');
      expect(await txn(follower, 'create("/txn/k") = "0"', 'never'))
        .toBe('FAILURE\n\n/txn/k\nv4\n');
      for (const name of names) {
        expect(await ctl(name, 'get', '/txn/k', '-w', 'fields')).toContain('"Version" : 3');
      }
    });

  it('a watch on a follower sees writes made through the other peers, in order', async () => {
    const live = watch(follower, '/w/', '--prefix');
    // The watch is registered once a probe write shows up in its output.
    await eventually(async () => {
      await ctl(leader, 'put', '/w/ready', 'probe');
      return live.stdout.includes('/w/ready') ? true : undefined;
    }, 20_000, 'the follower watch to be registered');
    await ctl(leader, 'put', '/w/a', '1');
    await ctl(other, 'put', '/w/a', '2');
    await ctl(leader, 'del', '/w/a');
    await live.waitForLines(['PUT', '/w/a', '1', 'PUT', '/w/a', '2', 'DELETE', '/w/a'], 20_000);
  });

  it('replays history from --rev in order, on a follower and on the leader', async () => {
    const start = await putRevision(leader, '/h/k', 'v1');
    await ctl(follower, 'put', '/h/k', 'v2');
    await ctl(other, 'del', '/h/k');
    await ctl(leader, 'put', '/h/j', 'x');
    const expected = ['PUT', '/h/k', 'v1', 'PUT', '/h/k', 'v2', 'DELETE', '/h/k', 'PUT', '/h/j', 'x'];
    for (const name of [follower, leader]) {
      const replay = watch(name, '/h/', '--prefix', `--rev=${start}`);
      await replay.waitForLines(expected, 20_000);
      // Exactly these four events, nothing replayed twice.
      expect(replay.stdout.split('\n').filter((line) => line === 'PUT' || line === 'DELETE'))
        .toHaveLength(4);
    }
    // As JSON, the replayed events carry strictly increasing mod revisions from `start`.
    const json = watch(other, '/h/', '--prefix', `--rev=${start}`, '-w', 'json');
    const revisions = (): number[] =>
      [...json.stdout.matchAll(/"mod_revision":(\d+)/g)].map((match) => Number(match[1]));
    await eventually(() => Promise.resolve(revisions().length >= 4 ? true : undefined),
      20_000, 'four JSON watch events');
    const seen = revisions();
    expect(seen).toHaveLength(4);
    expect(seen[0]).toBe(start);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
  });

  it('grants, keeps alive once and revokes a lease across peers', async () => {
    const granted = await ctl(follower, 'lease', 'grant', '100');
    const id = /^lease ([0-9a-f]+) granted with TTL\(100s\)$/.exec(granted.trim())?.[1];
    expect(id, granted).toBeDefined();
    await ctl(leader, 'put', '--lease', id!, '/leased/a', 'x');
    await ctl(other, 'put', '--lease', id!, '/leased/b', 'y');
    expect(await ctl(follower, 'lease', 'timetolive', id!, '--keys')).toMatch(new RegExp(
      `^lease ${id} granted with TTL\\(100s\\), remaining\\((9[0-9]|100)s\\), ` +
      'attached keys\\(\\[/leased/a /leased/b\\]\\)'));
    expect(await ctl(other, 'lease', 'keep-alive', '--once', id!))
      .toBe(`lease ${id} keepalived with TTL(100)\n`);
    expect(await ctl(leader, 'lease', 'list')).toContain(`${id}\n`);
    expect(await ctl(follower, 'lease', 'revoke', id!)).toBe(`lease ${id} revoked\n`);
    for (const name of names) expect(await ctl(name, 'get', '/leased/', '--prefix')).toBe('');
    expect(await ctl(leader, 'lease', 'timetolive', id!)).toBe(`lease ${id} already expired\n`);
  });

  it('expires a 2 s lease nobody keeps alive, deleting its key on every peer', async () => {
    const grantedAt = Date.now();
    const granted = await ctl(follower, 'lease', 'grant', '2');
    const id = /^lease ([0-9a-f]+) granted/.exec(granted.trim())?.[1];
    expect(id, granted).toBeDefined();
    await ctl(other, 'put', '--lease', id!, '/ttl/k', 'short-lived');
    expect(await ctl(leader, 'get', '/ttl/k')).toBe('/ttl/k\nshort-lived\n');
    // Waiting past the TTL is the thing tested: poll for the key to go (the leader
    // proposes the expiry), then check it did not go early.
    await eventually(async () => (await ctl(follower, 'get', '/ttl/k')) === '' ? true : undefined,
      20_000, 'the leased key to expire');
    expect(Date.now() - grantedAt).toBeGreaterThanOrEqual(1900);
    for (const name of names) expect(await ctl(name, 'get', '/ttl/k')).toBe('');
    expect(await ctl(other, 'lease', 'timetolive', id!)).toBe(`lease ${id} already expired\n`);
  });

  it('lists the members with their names and URLs', async () => {
    const lines = (await ctl(follower, 'member', 'list')).trim().split('\n').sort();
    const expected = cluster.layout.peers.map((peer) => new RegExp(
      `^[0-9a-f]+, started, ${peer.name}, http://127.0.0.1:${peer.peerPort}, ` +
      `http://127.0.0.1:${peer.clientPort}, false$`));
    expect(lines).toHaveLength(3);
    for (const pattern of expected) {
      expect(lines.some((line) => pattern.test(line)), String(pattern)).toBe(true);
    }
    expect(await ctl(leader, 'member', 'list')).toBe(await ctl(other, 'member', 'list'));
  });

  it('adds a learner at a fake peer URL through a follower, then removes it', async () => {
    const fakeURL = `http://127.0.0.1:${await freePort()}`;
    const added = await ctl(follower, 'member', 'add', 'fake-learner', '--learner',
      `--peer-urls=${fakeURL}`);
    const match = /Member\s+([0-9a-f]+) added to cluster\s+([0-9a-f]+)/.exec(added);
    expect(match, added).not.toBeNull();
    const [, id, clusterHex] = match!;
    const header = JSON.parse(await ctl(leader, 'get', 'x', '-w', 'json')) as
      { header: { cluster_id: number } };
    expect(clusterHex).toBe(header.header.cluster_id.toString(16));
    for (const name of names) {
      expect(await ctl(name, 'member', 'list')).toContain(`${id!}, unstarted, , ${fakeURL}, , true`);
    }
    expect(await ctl(leader, 'member', 'remove', id!)).toMatch(
      new RegExp(`^Member\\s+${id!} removed from cluster\\s+${clusterHex!}\\n$`));
    for (const name of names) {
      const list = await ctl(name, 'member', 'list');
      expect(list).not.toContain(id!);
      expect(list.trim().split('\n')).toHaveLength(3);
    }
  });

  it('endpoint status over all three names exactly one leader, the one in member list',
    async () => {
      const all = cluster.endpoints().join(',');
      const output = await etcdctlOk(all, ['endpoint', 'status', '-w', 'json']);
      const statuses = JSON.parse(output) as StatusJSON[];
      expect(statuses.map((status) => status.Endpoint).sort()).toEqual(cluster.endpoints().sort());
      const leaders = new Set(statuses.map((status) => status.Status.leader));
      expect(leaders.size).toBe(1);
      const leaderId = [...leaders][0]!;
      const self = statuses.filter((status) => status.Status.header.member_id === leaderId);
      expect(self.map((status) => status.Endpoint)).toEqual([cluster.endpoint(leader)]);
      expect(new Set(statuses.map((status) => status.Status.header.cluster_id)).size).toBe(1);
      expect(new Set(statuses.map((status) => status.Status.raftTerm)).size).toBe(1);
      for (const status of statuses) expect(status.Status.version).toBe('3.5.0');
      const members = JSON.parse(await ctl(follower, 'member', 'list', '-w', 'json')) as
        { members: { ID: number; name: string }[] };
      expect(members.members.find((member) => member.ID === leaderId)?.name).toBe(leader);
    });

  it('endpoint health reports every peer healthy', async () => {
    const health = await etcdctl(cluster.endpoints().join(','), ['endpoint', 'health']);
    expect(health.code).toBe(0);
    for (const endpoint of cluster.endpoints()) {
      expect(health.stdout + health.stderr).toMatch(new RegExp(`${endpoint} is healthy`));
    }
    expect(health.stdout + health.stderr).not.toContain('unhealthy');
  });
});
