/**
 * @module server/server
 * `coracle server`: one control-plane peer. Wires durable storage, the Raft loop, the peer
 * transport and the etcd-compatible client API, bootstraps or joins a cluster on first
 * start, resumes from disk on later starts, and shuts down gracefully (a leader hands over
 * leadership first).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../util/logger.js';
import { bootstrapState, joinerState } from '../raft/membership.js';
import { Role } from '../raft/types.js';
import { StorageError } from '../storage/errors.js';
import { FailpointStorage, failpointsEnvVar, parseFailpoints } from '../storage/failpoints.js';
import { LevelStorage } from '../storage/level-storage.js';
import { ValueFile } from '../storage/value-file.js';
import { walSegmentBytesDefault } from '../storage/wal.js';
import type { ClusterIdentity, LoadedState, RaftStorage } from '../storage/raft-storage.js';
import { GRPCTransport } from '../transport/grpc-transport.js';
import { EtcdClient } from './etcd-client.js';
import type { WireMember } from './etcd-client.js';
import { startEtcdAPIServer } from './etcd-api/server.js';
import { startAPIServer } from '../api/server.js';
import {
  clusterIdFor, hostPort, memberIdFor, normalizeURL, parseInitialCluster,
} from './identity.js';
import { LeaderDuties } from './leader-duties.js';
import { encodeConfContext } from './members.js';
import { Peer } from './peer.js';
import { RaftBackend } from './raft-backend.js';

/** ServerConfig is everything `coracle server` takes (DESIGN §1). */
export interface ServerConfig {
  readonly name: string;
  readonly dataDir: string;
  /** host:port for peer traffic. */
  readonly peerListen: string;
  /** host:port for the etcd v3-compatible client API. */
  readonly clientListen: string;
  /** host:port for the Kubernetes API (not served when absent). */
  readonly apiListen?: string;
  /** CIDR Service cluster IPs are allocated from (default 10.96.0.0/12). */
  readonly serviceClusterIPRange?: string;
  /** `name=host:port,...`; read only when the data dir is empty. */
  readonly initialCluster?: string;
  /** A client endpoint of a running cluster to join as a learner. */
  readonly join?: string;
  readonly clusterToken: string;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly snapshotEntries: number;
  /** Size past which the write-ahead log starts a new segment (default 64 MiB). */
  readonly walSegmentBytes?: number;
  readonly requestTimeoutMs: number;
  /** Interval of progress notifications to watchers that asked (default 600,000 ms). */
  readonly watchProgressNotifyIntervalMs?: number;
  /**
   * TEST/CHAOS ONLY: dial these addresses instead of a member's peer URL, by member name
   * (the chaos harness routes every directed link through its fault-injecting proxy).
   */
  readonly peerDialOverrides?: ReadonlyMap<string, string>;
  /** DEBUG ONLY (proves the chaos checker bites): serve linearizable reads locally. */
  readonly unsafeServeStaleReads?: boolean;
  /** DEBUG ONLY (proves the chaos checker bites): acknowledge before the disk write. */
  readonly unsafeAckBeforeFsync?: boolean;
  readonly logger: Logger;
}

/** RunningServer is a started peer. */
export interface RunningServer {
  readonly memberId: number;
  readonly clusterId: number;
  readonly peer: Peer;
  readonly clientPort: number;
  readonly peerPort: number;
  /** The Kubernetes API port, when served. */
  readonly apiPort?: number;
  /** Graceful stop: hand over leadership when leader, then close everything. */
  stop(): Promise<void>;
}

/** Default timing and limits of `coracle server`. */
export const serverDefaults = {
  clusterToken: 'coracle',
  tickMs: 100,
  electionTicks: 10,
  snapshotEntries: 10_000,
  walSegmentBytes: walSegmentBytesDefault,
  requestTimeoutMs: 7_000,
} as const;

interface Identity {
  memberId: number;
  clusterId: number;
  seedMembers: WireMember[];
}

async function bootstrap(config: ServerConfig, storage: RaftStorage): Promise<Identity> {
  if (config.join !== undefined) return joinCluster(config, storage);
  if (config.initialCluster === undefined) {
    throw new Error(`${config.dataDir} holds no cluster data: pass --initial-cluster to ` +
      'found a cluster or --join to join one');
  }
  const initial = parseInitialCluster(config.initialCluster);
  const self = initial.find((member) => member.name === config.name);
  if (self === undefined) {
    throw new Error(`--initial-cluster does not list this member's --name "${config.name}"`);
  }
  const ids = initial.map((member) => memberIdFor(config.clusterToken, [member.peerURL]));
  const clusterId = clusterIdFor(config.clusterToken, ids);
  const memberId = memberIdFor(config.clusterToken, [self.peerURL]);
  const contexts = new Map(initial.map((member, i) => [ids[i]!, member]));
  const state = bootstrapState(ids, (id) => encodeConfContext({
    name: contexts.get(id)!.name, peerURLs: [contexts.get(id)!.peerURL],
  }));
  await storage.writeReady({ hardState: state.hardState, entries: state.entries, snapshot: null });
  await storage.writeIdentity({
    clusterId: String(clusterId), memberId, name: config.name, founding: true,
  });
  return { memberId, clusterId, seedMembers: [] };
}

async function joinCluster(config: ServerConfig, storage: RaftStorage): Promise<Identity> {
  const client = new EtcdClient(config.join!);
  try {
    const peerURL = normalizeURL(config.peerListen);
    const response = await client.call<{
      header: { clusterId: number }; member: WireMember; members: WireMember[];
    }>('MemberAdd', { peerURLs: [peerURL], isLearner: true }, 15_000);
    const state = joinerState();
    await storage.writeReady({ hardState: state.hardState, entries: [], snapshot: null });
    await storage.writeIdentity({
      clusterId: String(response.header.clusterId), memberId: response.member.ID,
      name: config.name,
    });
    return {
      memberId: response.member.ID, clusterId: response.header.clusterId,
      seedMembers: response.members,
    };
  } finally {
    client.close();
  }
}

async function loadIdentity(config: ServerConfig, storage: RaftStorage, loaded: LoadedState):
  Promise<{ identity: Identity; loaded: LoadedState }> {
  if (loaded.identity === null) {
    const identity = await bootstrap(config, storage);
    return { identity, loaded: await storage.load() };
  }
  if (loaded.identity.name !== config.name) {
    throw new Error(`${config.dataDir} belongs to member "${loaded.identity.name}", ` +
      `not "${config.name}"`);
  }
  checkFoundingIdentity(config, loaded.identity);
  return {
    identity: { memberId: loaded.identity.memberId, clusterId: Number(loaded.identity.clusterId),
      seedMembers: [] },
    loaded,
  };
}

/**
 * Refuses the data dir of a founding member started as another member. NB: --initial-cluster
 * is only read on an empty data dir (DESIGN §1) because membership changes later; what must
 * still match is THIS member's own entry: its id derives from the cluster token and its
 * peer URL, so a data dir from another cluster (token) or another member (URL) is caught.
 */
function checkFoundingIdentity(config: ServerConfig, identity: ClusterIdentity): void {
  if (identity.founding !== true || config.initialCluster === undefined) return;
  if (config.join !== undefined) return;
  const self = parseInitialCluster(config.initialCluster)
    .find((member) => member.name === config.name);
  if (self === undefined) return;
  const expected = memberIdFor(config.clusterToken, [self.peerURL]);
  if (expected !== identity.memberId) {
    throw new Error(`${config.dataDir} belongs to member ${identity.memberId.toString(16)} of ` +
      `cluster ${Number(identity.clusterId).toString(16)}, but --initial-cluster and ` +
      `--cluster-token describe member ${expected.toString(16)}: refusing to start`);
  }
}

/** Starts a peer; rejects with a clear message when its data dir cannot be used. */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  mkdirSync(config.dataDir, { recursive: true });
  const storage = openStorage(config);
  let started: RunningServer;
  try {
    const first = await storage.load();
    const { identity, loaded } = await loadIdentity(config, storage, first);
    started = await startPeer(config, storage, identity, loaded);
  } catch (error) {
    await storage.close();
    if (error instanceof StorageError && error.code === 'STORAGE_ERR_CORRUPT') {
      // NB: the CLI prints only the message, so it names the data dir and the bad record.
      throw new StorageError('STORAGE_ERR_CORRUPT', `${config.dataDir} is corrupt ` +
        `(${error.message}): refusing to start; restore the data dir or remove the member ` +
        'and add it back with an empty one', { cause: error });
    }
    throw error;
  }
  return started;
}

/**
 * Opens the peer's LevelStorage. TEST-ONLY: when `CORACLE_FAILPOINTS` is set (e.g.
 * `sync-fail-after:20`), the storage is wrapped in a FailpointStorage that makes synced
 * writes fail on cue (storage/failpoints); production never sets the variable, and this is
 * the only place that reads it.
 */
function openStorage(config: ServerConfig): RaftStorage {
  const level = new LevelStorage(config.dataDir, {
    ...(config.walSegmentBytes === undefined ? {} : { walSegmentBytes: config.walSegmentBytes }),
    onTornTail: (bytes) => config.logger.warn({ bytes },
      'cut a torn append off the write-ahead log (a crash interrupted it; never acknowledged)'),
  });
  const spec = process.env[failpointsEnvVar];
  if (spec === undefined || spec === '') return level;
  const failpoints = parseFailpoints(spec);
  config.logger.warn({ failpoints: spec }, 'TEST-ONLY failpoints armed on the storage');
  return new FailpointStorage(level, failpoints);
}

async function startPeer(config: ServerConfig, storage: RaftStorage, identity: Identity,
  loaded: LoadedState): Promise<RunningServer> {
  const logger = config.logger;
  let peer: Peer | null = null;
  let syncPeers = (): void => undefined;
  const transport = new GRPCTransport({
    nodeId: identity.memberId, clusterId: String(identity.clusterId),
    listen: config.peerListen, logger, onMessages: (messages) => peer?.receive(messages),
    onPeerUnreachable: (id) => peer?.reportUnreachable(id),
  });
  // The store's values live in files read through the page cache, out of the heap
  // (storage/value-file); they are a cache the restore below rebuilds.
  const values = new ValueFile(join(config.dataDir, 'values'));
  peer = new Peer({
    memberId: identity.memberId, storage, transport, logger, tickMs: config.tickMs, values,
    electionTicks: config.electionTicks, snapshotEntries: config.snapshotEntries,
    requestTimeoutMs: config.requestTimeoutMs, proposalsPendingMax: 10_000,
    inboxMessagesMax: 100_000, onStateChange: () => syncPeers(),
    unsafeAckBeforeFsync: config.unsafeAckBeforeFsync === true,
  }, loaded);
  const running = peer;
  const addresses = new PeerAddresses(running, transport, identity.memberId,
    config.peerDialOverrides);
  addresses.seed(identity.seedMembers);
  syncPeers = () => addresses.sync();
  syncPeers();
  const peerPort = await transport.start();
  peer.start();
  const backend = new RaftBackend(peer, {
    clusterId: identity.clusterId, memberId: identity.memberId, dataDir: config.dataDir,
    unsafeServeStaleReads: config.unsafeServeStaleReads === true,
  });
  const api = await startEtcdAPIServer({ backend, listen: config.clientListen, logger });
  const kubeAPI = config.apiListen === undefined ? undefined : await startAPIServer({
    listen: config.apiListen, backend, logger,
    leaderKnown: () => running.status().leaderId !== 0 && running.failure() === null,
    ...(config.serviceClusterIPRange === undefined ? {}
      : { serviceClusterIPRange: config.serviceClusterIPRange }),
  });
  const duties = new LeaderDuties(peer, {
    intervalMs: 500, promoteExtendMs: config.tickMs * config.electionTicks * 2,
    historyRevisionsMax: 100_000, logger,
  });
  duties.start();
  const progressTimer = startProgressNotifications(running,
    config.watchProgressNotifyIntervalMs ?? 600_000);
  const publisher = publishAttributes(running, identity.memberId, config, api.port);
  logger.info({ memberId: identity.memberId.toString(16), clusterId: identity.clusterId
    .toString(16), clientPort: api.port, peerPort, apiPort: kubeAPI?.port },
  'coracle server started');
  return {
    memberId: identity.memberId, clusterId: identity.clusterId, peer: running,
    clientPort: api.port, peerPort,
    ...(kubeAPI === undefined ? {} : { apiPort: kubeAPI.port }),
    async stop() {
      publisher.stop();
      duties.stop();
      clearInterval(progressTimer);
      await handOverLeadership(running);
      await kubeAPI?.close();
      await api.close();
      await running.stop();
      await transport.stop();
      await storage.close();
      values.close();
    },
  };
}

/**
 * PeerAddresses keeps the transport's peer addresses in step with the applied membership
 * and member registry (and the chaos harness's dial overrides).
 */
class PeerAddresses {
  private readonly known = new Map<number, string>();

  constructor(private readonly peer: Peer, private readonly transport: GRPCTransport,
    private readonly selfId: number,
    private readonly overrides: ReadonlyMap<string, string> | undefined) {}

  /** Dials the members a joiner learned from MemberAdd before it has any log. */
  seed(members: readonly WireMember[]): void {
    for (const member of members) {
      const url = member.peerURLs[0];
      if (url !== undefined && member.ID !== this.selfId) {
        this.transport.setPeer(member.ID, hostPort(url));
      }
    }
  }

  /** Adds, re-addresses and removes peers to match the applied membership. */
  sync(): void {
    const membership = this.peer.raft.membership();
    const ids = new Set([...membership.voters, ...membership.learners]);
    for (const id of ids) {
      const record = this.peer.stateMachine.members.get(id);
      const override = record === undefined ? undefined : this.overrides?.get(record.name);
      const url = override ?? record?.peerURLs[0];
      if (url === undefined || id === this.selfId || this.known.get(id) === url) continue;
      this.known.set(id, url);
      this.transport.setPeer(id, hostPort(url));
    }
    for (const id of [...this.known.keys()]) {
      if (!ids.has(id)) {
        this.known.delete(id);
        this.transport.removePeer(id);
      }
    }
  }
}

/**
 * Watchers created with progress_notify hear the current revision this often (etcd's
 * --experimental-watch-progress-notify-interval, 10 minutes by default).
 */
function startProgressNotifications(peer: Peer, intervalMs: number): NodeJS.Timeout {
  const timer = setInterval(() => {
    const machine = peer.stateMachine;
    machine.subscriptions.noteReady(machine.hub.notifyProgress());
  }, intervalMs);
  timer.unref();
  return timer;
}

function publishAttributes(peer: Peer, memberId: number, config: ServerConfig,
  clientPort: number): { stop(): void } {
  const host = hostPort(normalizeURL(config.clientListen)).replace(/:\d+$/, '');
  const clientURL = `http://${host}:${clientPort}`;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const attempt = (): void => {
    if (stopped) return;
    const record = peer.stateMachine.members.get(memberId);
    if (record !== undefined && record.clientURLs.includes(clientURL) &&
      record.name === config.name) return;
    if (peer.status().leaderId !== 0) {
      peer.propose({ type: 'memberAttributes', memberId, name: config.name,
        clientUrls: [clientURL] }).catch(() => undefined);
    }
    timer = setTimeout(attempt, 1000);
    timer.unref();
  };
  attempt();
  return {
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    },
  };
}

async function handOverLeadership(peer: Peer): Promise<void> {
  const status = peer.status();
  if (status.role !== Role.Leader || status.membership.voters.length < 2) return;
  let best = 0;
  let bestMatch = -1;
  for (const id of status.membership.voters) {
    const match = status.progress.get(id)?.match ?? -1;
    if (id !== status.id && match > bestMatch) {
      best = id;
      bestMatch = match;
    }
  }
  if (best === 0) return;
  try {
    // Two election timeouts at most: a target that cannot take over by then never will.
    await peer.transferLeadership(best, 2 * peer.electionTimeoutMs());
  } catch {
    // Best effort: the others elect a leader by timeout if the hand-over fails.
  }
}
