/**
 * @module cli/up-command
 * `coracle up` (what `npm start` runs): a whole local cluster in one command.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { renderKubeconfig, startAPIBalancer } from './api-balancer.js';
import {
  balancerPortOf, type ClusterLayout, loadOrCreateLayout, spawnPeer, stopChildren, waitForLeader,
} from './local-cluster.js';

interface UpFlags {
  peers: string;
  dir: string;
  agents: string;
}

/** Registers `coracle up`. */
export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('start a local cluster of control-plane peers (Ctrl-C stops it)')
    .option('--peers <n>', 'number of control-plane peers (first run only)', '3')
    .option('--agents <n>', 'node agents (not built yet; must be 0)', '0')
    .option('--dir <dir>', 'where the cluster keeps its data, logs and layout', '.coracle')
    .action(async (flags: UpFlags) => {
      const peers = Number(flags.peers);
      if (!Number.isSafeInteger(peers) || peers < 1 || peers > 9) {
        throw new Error('--peers must be between 1 and 9');
      }
      if (flags.agents !== '0') {
        throw new Error('--agents: node agents are not built yet in this version');
      }
      await runUp(flags.dir, peers);
    });
}

/** Restarts of one peer allowed within `restartWindowMs` before `up` gives up on it. */
const restartsMax = 5;
const restartWindowMs = 60_000;
const restartDelayMs = 1000;

/**
 * Keeps one peer running: a peer that dies (kill -9, a crash-stop after a disk error) is
 * restarted after a second, from its data dir, as a supervisor would; the rest of the
 * cluster keeps serving meanwhile. A peer that keeps dying is left down, and said so.
 */
function supervise(directory: string, layout: ClusterLayout, index: number,
  children: ChildProcess[], isStopping: () => boolean): void {
  const peer = layout.peers[index]!;
  const restarts: number[] = [];
  const watch = (child: ChildProcess): void => {
    child.once('exit', (code, signal) => {
      if (isStopping()) return;
      const now = Date.now();
      while (restarts.length > 0 && now - restarts[0]! > restartWindowMs) restarts.shift();
      if (restarts.length >= restartsMax) {
        console.error(`peer ${peer.name} keeps exiting (code ${code}, signal ${signal}); ` +
          `leaving it down, see ${directory}/logs/${peer.name}.log`);
        return;
      }
      restarts.push(now);
      console.error(`peer ${peer.name} exited (code ${code}, signal ${signal}); restarting it`);
      setTimeout(() => {
        if (isStopping()) return;
        const next = spawnPeer(directory, layout, peer);
        children[index] = next;
        watch(next);
      }, restartDelayMs);
    });
  };
  watch(children[index]!);
}

async function runUp(directory: string, peers: number): Promise<void> {
  const layout = await loadOrCreateLayout(directory, peers);
  const children: ChildProcess[] = layout.peers.map((peer) => spawnPeer(directory, layout, peer));
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping the cluster…');
    await stopChildren(children, 10_000);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  for (let i = 0; i < children.length; i++) {
    supervise(directory, layout, i, children, () => stopping);
  }
  const endpoints = layout.peers.map((peer) => `127.0.0.1:${peer.clientPort}`);
  let leader: number;
  try {
    leader = await waitForLeader(endpoints, 30_000);
  } catch (error) {
    console.error(String(error));
    await stop(1);
    return;
  }
  const balancerPort = await balancerPortOf(directory, layout);
  const balancer = await startAPIBalancer(balancerPort, layout.peers.map((peer) => peer.apiPort));
  process.once('exit', () => balancer.close());
  const kubeconfig = join(directory, 'kubeconfig');
  writeFileSync(kubeconfig, renderKubeconfig(balancerPort, layout.peers), { mode: 0o600 });
  printSummary(directory, layout.peers, endpoints, leader);
  printKubernetes(resolve(kubeconfig), balancerPort, layout.peers);
}

function printKubernetes(kubeconfig: string, balancerPort: number,
  peers: ReadonlyArray<{ name: string; apiPort: number }>): void {
  console.log(`\nKubernetes API: http://127.0.0.1:${balancerPort} (balanced over every peer)`);
  for (const peer of peers) console.log(`  ${peer.name}  http://127.0.0.1:${peer.apiPort}`);
  console.log(`  export KUBECONFIG=${kubeconfig}`);
  console.log('  kubectl get ns');
  console.log('  kubectl create deployment web --image=nginx:1.27 --replicas=2');
  console.log(`  kubectl --context coracle-${peers[0]?.name ?? 'p1'} get deploy   # one peer`);
}

function printSummary(directory: string, peers: ReadonlyArray<{ name: string; peerPort: number;
  clientPort: number }>, endpoints: readonly string[], leader: number): void {
  console.log(`Coracle cluster is up (${peers.length} peers, data in ${directory}/data, logs ` +
    `in ${directory}/logs)`);
  for (const peer of peers) {
    console.log(`  ${peer.name}  client 127.0.0.1:${peer.clientPort}  peer ` +
      `127.0.0.1:${peer.peerPort}`);
  }
  console.log(`leader: member ${leader.toString(16)}`);
  console.log('\nTry it with etcdctl (Debian package etcd-client):');
  console.log(`  export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=${endpoints.join(',')}`);
  console.log('  etcdctl put greeting hello && etcdctl get greeting');
  console.log('  etcdctl endpoint status -w table');
  console.log(`  npx coracle status --endpoints ${endpoints.join(',')}`);
  console.log('\nCtrl-C stops every peer; `coracle up` again resumes the same cluster.');
}
