/**
 * @module cli/status-command
 * `coracle status`: members, leader, term, commit and applied index and each peer's lag,
 * as a table or JSON.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { EtcdClient } from '../server/etcd-client.js';
import type { WireMember, WireStatus } from '../server/etcd-client.js';
import { collectStatus } from './local-cluster.js';
import type { ClusterLayout } from './local-cluster.js';

/** PeerReport is one row of `coracle status`. */
export interface PeerReport {
  readonly endpoint: string;
  readonly name: string;
  readonly id: string;
  readonly reachable: boolean;
  readonly leader: boolean;
  readonly learner: boolean;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** Entries this peer's applied index trails the leader's commit index by. */
  readonly lag: number;
  readonly errors: readonly string[];
}

function defaultEndpoints(): string {
  const layoutFile = join('.coracle', 'cluster.json');
  if (!existsSync(layoutFile)) return '127.0.0.1:2379';
  const layout = JSON.parse(readFileSync(layoutFile, 'utf8')) as ClusterLayout;
  return layout.peers.map((peer) => `127.0.0.1:${peer.clientPort}`).join(',');
}

async function memberList(endpoints: readonly string[]): Promise<WireMember[]> {
  for (const endpoint of endpoints) {
    const client = new EtcdClient(endpoint);
    try {
      const response = await client.call<{ members: WireMember[] }>('MemberList', {}, 1000);
      return response.members;
    } catch {
      // Try the next endpoint.
    } finally {
      client.close();
    }
  }
  return [];
}

/** Collects one report per endpoint. */
export async function clusterReport(endpoints: readonly string[]): Promise<PeerReport[]> {
  const [statuses, members] = await Promise.all([collectStatus(endpoints), memberList(endpoints)]);
  const leaderStatus = [...statuses.values()].find((s) => s.leader === s.header.memberId);
  const leaderCommit = leaderStatus?.raftIndex ?? Math.max(0,
    ...[...statuses.values()].map((s) => s.raftIndex));
  return endpoints.map((endpoint) => {
    const status: WireStatus | undefined = statuses.get(endpoint);
    if (status === undefined) {
      return { endpoint, name: '?', id: '?', reachable: false, leader: false, learner: false,
        term: 0, commitIndex: 0, appliedIndex: 0, lag: 0, errors: ['unreachable'] };
    }
    const member = members.find((candidate) => candidate.ID === status.header.memberId);
    return {
      endpoint, name: member?.name ?? '?', id: status.header.memberId.toString(16),
      reachable: true, leader: status.leader === status.header.memberId,
      learner: status.isLearner, term: status.raftTerm, commitIndex: status.raftIndex,
      appliedIndex: status.raftAppliedIndex,
      lag: Math.max(0, leaderCommit - status.raftAppliedIndex), errors: status.errors,
    };
  });
}

/** Renders reports as an aligned text table. */
export function renderTable(reports: readonly PeerReport[]): string {
  const header = ['NAME', 'ID', 'ENDPOINT', 'LEADER', 'LEARNER', 'TERM', 'COMMIT', 'APPLIED',
    'LAG', 'ERRORS'];
  const rows = reports.map((r) => [r.name, r.id, r.endpoint, r.leader ? 'yes' : '',
    r.learner ? 'yes' : '', String(r.term), String(r.commitIndex), String(r.appliedIndex),
    String(r.lag), r.errors.join('; ')]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  return [header, ...rows]
    .map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd())
    .join('\n');
}

/** Registers `coracle status`. */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('members, leader, term, commit/applied index and lag of each peer')
    .option('--endpoints <list>', 'client endpoints (default: the local cluster of .coracle)')
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (flags: { endpoints?: string; output: string }) => {
      const endpoints = (flags.endpoints ?? defaultEndpoints()).split(',')
        .map((endpoint) => endpoint.trim()).filter((endpoint) => endpoint !== '');
      const reports = await clusterReport(endpoints);
      if (flags.output === 'json') console.log(JSON.stringify(reports, null, 2));
      else if (flags.output === 'table') console.log(renderTable(reports));
      else throw new Error(`--output must be table or json, got "${flags.output}"`);
      if (reports.every((report) => !report.reachable)) process.exitCode = 1;
    });
}
