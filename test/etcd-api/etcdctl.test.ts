/**
 * Goal: the real etcdctl (Debian etcd-client, API v3) works unchanged against Coracle's etcd
 * API. Method: start the API server on 127.0.0.1 port 0 over a LocalBackend, run etcdctl
 * commands as child processes (each with a deadline; background ones are killed by PID in
 * teardown) and check their output. If etcdctl is missing the tests FAIL: CI installs it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSnapshotFile } from '../../src/server/etcd-api/snapshot-file.js';
import {
  BackgroundEtcdctl, etcdctl, etcdctlOk, requireEtcdctl, startTestServer, type TestServer,
  waitFor,
} from './helpers.js';

describe('etcdctl against the etcd API', () => {
  let server: TestServer;
  const background: BackgroundEtcdctl[] = [];
  const run = (...args: string[]): Promise<string> => etcdctlOk(server.endpoint, args);
  const watch = (...args: string[]): BackgroundEtcdctl => {
    const process = new BackgroundEtcdctl(server.endpoint, ['watch', ...args]);
    background.push(process);
    return process;
  };

  beforeAll(async () => {
    requireEtcdctl();
    server = await startTestServer();
  });

  afterAll(async () => {
    for (const process of background) {
      await process.kill();
    }
    await server?.close();
  });

  it('puts and gets a single key', async () => {
    expect(await run('put', 'greeting', 'hello')).toBe('OK\n');
    expect(await run('get', 'greeting')).toBe('greeting\nhello\n');
    expect(await run('get', 'missing')).toBe('');
  });

  it('gets by prefix with --limit, --keys-only and -w json', async () => {
    for (const [key, value] of [['/p/a', '1'], ['/p/b', '2'], ['/p/c', '3'], ['/q', '4']]) {
      await run('put', key!, value!);
    }
    expect(await run('get', '/p/', '--prefix')).toBe('/p/a\n1\n/p/b\n2\n/p/c\n3\n');
    expect(await run('get', '/p/', '--prefix', '--limit=2')).toBe('/p/a\n1\n/p/b\n2\n');
    expect(await run('get', '/p/', '--prefix', '--keys-only')).toBe('/p/a\n\n/p/b\n\n/p/c\n\n');
    // NB: etcdctl 3.4 has no --count-only; the raw-client tests cover count_only.
    const limitedText = await run('get', '/p/', '--prefix', '--limit=1', '-w', 'json');
    const limited = JSON.parse(limitedText) as { count: number; more: boolean; kvs: unknown[] };
    expect(limited.count).toBe(3);
    expect(limited.more).toBe(true);
    expect(limited.kvs).toHaveLength(1);
    const json = JSON.parse(await run('get', '/p/b', '-w', 'json')) as {
      header: { cluster_id: number; member_id: number; revision: number; raft_term: number };
      kvs: { key: string; value: string; version: number; create_revision: number }[];
      count: number;
    };
    expect(json.header.cluster_id).toBe(server.backend.header().clusterId);
    expect(json.header.member_id).toBe(server.backend.header().memberId);
    expect(json.header.revision).toBe(server.backend.store.revision);
    expect(json.header.raft_term).toBe(1);
    expect(json.count).toBe(1);
    expect(Buffer.from(json.kvs[0]!.key, 'base64').toString()).toBe('/p/b');
    expect(Buffer.from(json.kvs[0]!.value, 'base64').toString()).toBe('2');
    expect(json.kvs[0]!.version).toBe(1);
  });

  it('reads a past revision with --rev', async () => {
    await run('put', 'versioned', 'one');
    const revision = server.backend.store.revision;
    await run('put', 'versioned', 'two');
    expect(await run('get', 'versioned')).toBe('versioned\ntwo\n');
    expect(await run('get', 'versioned', `--rev=${revision}`)).toBe('versioned\none\n');
  });

  it('deletes with --prev-kv', async () => {
    await run('put', '/del/a', 'x');
    await run('put', '/del/b', 'y');
    expect(await run('del', '/del/', '--prefix', '--prev-kv')).toBe('2\n/del/a\nx\n/del/b\ny\n');
    expect(await run('del', '/del/a')).toBe('0\n');
  });

  it('runs a txn with compares read from stdin', async () => {
    await run('put', 'txn-key', 'v1');
    const txn = (compares: string): Promise<string> => etcdctlOk(server.endpoint,
      ['txn'], { stdin: `${compares}\n\nput txn-key "v2"\nget txn-key\n\nget txn-key\n\n` });
    expect(await txn('value("txn-key") = "v1"')).toBe('SUCCESS\n\nOK\n\ntxn-key\nv2\n');
    expect(await txn('value("txn-key") = "v1"')).toBe('FAILURE\n\ntxn-key\nv2\n');
    expect(await txn('version("txn-key") = "2"\nmod("txn-key") > "0"'))
      .toBe('SUCCESS\n\nOK\n\ntxn-key\nv2\n');
    expect(await run('get', 'txn-key', '-w', 'fields')).toContain('"Version" : 3');
  });

  it('watches live events and replays history from --rev', async () => {
    await run('put', '/w/old', 'before');
    const start = server.backend.store.revision;
    const live = watch('/w/', '--prefix');
    await waitForWatchers(server, 1);
    await run('put', '/w/a', '1');
    await run('del', '/w/a');
    await live.waitForLines(['PUT', '/w/a', '1', 'DELETE', '/w/a']);
    const replay = watch('/w/', '--prefix', `--rev=${start}`, '--prev-kv');
    await replay.waitForLines(['PUT', '/w/old', 'before', 'PUT', '/w/a', '1',
      'DELETE', '/w/a', '1']);
  });

  it('grants, inspects, keeps alive and revokes a lease with attached keys', async () => {
    const granted = await run('lease', 'grant', '100');
    const match = /^lease ([0-9a-f]+) granted with TTL\(100s\)$/.exec(granted.trim());
    expect(match, granted).not.toBeNull();
    const id = match![1]!;
    await run('put', '--lease', id, '/leased/a', 'x');
    await run('put', '--lease', id, '/leased/b', 'y');
    const ttl = await run('lease', 'timetolive', id, '--keys');
    expect(ttl).toMatch(new RegExp(`^lease ${id} granted with TTL\\(100s\\), `
      + 'remaining\\((99|100)s\\), attached keys\\(\\[/leased/a /leased/b\\]\\)'));
    expect(await run('lease', 'keep-alive', '--once', id))
      .toBe(`lease ${id} keepalived with TTL(100)\n`);
    expect(await run('lease', 'list')).toContain(`${id}\n`);
    expect(await run('lease', 'revoke', id)).toBe(`lease ${id} revoked\n`);
    expect(await run('get', '/leased/', '--prefix')).toBe('');
    expect(await run('lease', 'timetolive', id)).toBe(`lease ${id} already expired\n`);
  });

  it('lists members and reports endpoint status as JSON', async () => {
    const header = server.backend.header();
    expect(await run('member', 'list')).toBe(`${header.memberId.toString(16)}, started, local, `
      + 'http://127.0.0.1:2380, http://127.0.0.1:2379, false\n');
    const status = JSON.parse(await run('endpoint', 'status', '-w', 'json')) as {
      Endpoint: string;
      Status: { header: { revision: number; member_id: number }; version: string;
        leader: number; dbSize: number; raftTerm: number };
    }[];
    expect(status).toHaveLength(1);
    expect(status[0]!.Endpoint).toBe(server.endpoint);
    expect(status[0]!.Status.version).toBe('3.5.0');
    expect(status[0]!.Status.leader).toBe(header.memberId);
    expect(status[0]!.Status.header.member_id).toBe(header.memberId);
    expect(status[0]!.Status.header.revision).toBe(server.backend.store.revision);
    expect(status[0]!.Status.dbSize).toBeGreaterThan(0);
    const health = await etcdctl(server.endpoint, ['endpoint', 'health']);
    expect(health.code).toBe(0);
    expect(health.stdout + health.stderr).toContain(`${server.endpoint} is healthy`);
  });

  it('adds and removes a learner, refuses to add a voter', async () => {
    const added = await run('member', 'add', 'learner1', '--learner',
      '--peer-urls=http://127.0.0.1:12380');
    expect(added).toContain('Member');
    expect(added).toContain('added to cluster');
    const id = /Member\s+([0-9a-f]+) added/.exec(added)![1]!;
    const clusterHex = server.backend.header().clusterId.toString(16);
    expect(await run('member', 'list')).toContain(`${id}, unstarted, , http://127.0.0.1:12380, , true`);
    const promote = await etcdctl(server.endpoint, ['member', 'promote', id]);
    expect(promote.stderr).toContain('can only promote a learner member which is in sync with leader');
    expect(await run('member', 'remove', id)).toMatch(
      new RegExp(`^Member\\s+${id} removed from cluster\\s+${clusterHex}\\n$`));
    const voter = await etcdctl(server.endpoint, ['member', 'add', 'voter',
      '--peer-urls=http://127.0.0.1:22380']);
    expect(voter.code).not.toBe(0);
    expect(voter.stderr).toContain('re-configuration failed due to not enough started members');
  });

  it('compacts; a get below the compacted revision fails', async () => {
    await run('put', 'compacted', 'a');
    const old = server.backend.store.revision;
    await run('put', 'compacted', 'b');
    const revision = server.backend.store.revision;
    expect(await run('compaction', String(revision))).toBe(`compacted revision ${revision}\n`);
    const result = await etcdctl(server.endpoint, ['get', 'compacted', `--rev=${old}`]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('etcdserver: mvcc: required revision has been compacted');
    expect(await run('get', 'compacted')).toBe('compacted\nb\n');
  });

  it('answers maintenance commands: alarm list, defrag, snapshot save', async () => {
    expect(await run('alarm', 'list')).toBe('');
    expect(await run('defrag')).toContain('Finished defragmenting etcd member');
    const directory = mkdtempSync(join(tmpdir(), 'coracle-snapshot-'));
    try {
      const path = join(directory, 'snap.db');
      const saved = await etcdctl(server.endpoint, ['snapshot', 'save', path]);
      expect(saved.stdout + saved.stderr).toContain(`Snapshot saved at ${path}`);
      const expected = await server.backend.snapshot();
      // NB: etcdctl checked the SHA-256 trailer and kept it in the file, as with etcd.
      const inside = readSnapshotFile(readFileSync(path));
      expect(Buffer.from(inside).equals(Buffer.from(expected))).toBe(true);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

/** Waits until the backend holds at least `count` watchers (a watch is registered). */
async function waitForWatchers(server: TestServer, count: number): Promise<void> {
  await waitFor(`${count} watcher(s)`, () => server.backend.watcherCount >= count);
}
