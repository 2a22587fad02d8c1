/**
 * @module cli/server-command
 * `coracle server`: flags as in DESIGN §1; the work is done by src/server/server.ts.
 */
import type { Command } from 'commander';
import { startServer, serverDefaults } from '../server/server.js';
import type { RunningServer } from '../server/server.js';
import { tuneHeapGrowth } from './heap-tuning.js';
import { createLogger } from './logger.js';

interface ServerFlags {
  name: string;
  dataDir: string;
  peerListen: string;
  clientListen: string;
  apiListen?: string;
  serviceClusterIpRange: string;
  initialCluster?: string;
  join?: string;
  clusterToken: string;
  tickMs: string;
  electionTicks: string;
  snapshotEntries: string;
  walSegmentBytes: string;
  requestTimeoutMs: string;
  watchProgressNotifyIntervalMs: string;
  logLevel: string;
  peerDialOverrides?: string;
  unsafeServeStaleReads?: boolean;
  unsafeAckBeforeFsync?: boolean;
}

function parseOverrides(flag: string): Map<string, string> {
  const overrides = new Map<string, string>();
  for (const part of flag.split(',').filter((item) => item.trim() !== '')) {
    const [name, address] = part.split('=');
    if (name === undefined || address === undefined || name === '' || address === '') {
      throw new Error(`--peer-dial-overrides: expected name=host:port, got "${part}"`);
    }
    overrides.set(name.trim(), address.trim());
  }
  return overrides;
}

function positiveInteger(value: string, flag: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0) {
    throw new Error(`${flag} must be a positive integer, got "${value}"`);
  }
  return parsed;
}

/** Registers `coracle server`. */
export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('run one control-plane peer (Raft + store + etcd-compatible API)')
    .requiredOption('--name <name>', 'this member\'s name')
    .requiredOption('--data-dir <dir>', 'where this member keeps its LevelDB')
    .option('--peer-listen <host:port>', 'peer traffic (Raft)', '127.0.0.1:2380')
    .option('--client-listen <host:port>', 'etcd v3-compatible client API', '127.0.0.1:2379')
    .option('--api-listen <host:port>', 'Kubernetes REST API (plain HTTP); off when absent')
    .option('--service-cluster-ip-range <cidr>', 'Service cluster IPs come from this range',
      '10.96.0.0/12')
    .option('--initial-cluster <members>', 'name=host:port,... (read only on an empty data dir)')
    .option('--join <endpoint>', 'client endpoint of a running cluster to join as a learner')
    .option('--cluster-token <token>', 'distinguishes clusters built from the same URLs',
      serverDefaults.clusterToken)
    .option('--tick-ms <ms>', 'Raft tick length', String(serverDefaults.tickMs))
    .option('--election-ticks <n>', 'election timeout in ticks', String(serverDefaults.electionTicks))
    .option('--snapshot-entries <n>', 'snapshot and compact the log every n applied entries',
      String(serverDefaults.snapshotEntries))
    .option('--wal-segment-bytes <n>', 'start a new write-ahead-log segment past this size',
      String(serverDefaults.walSegmentBytes))
    .option('--request-timeout-ms <ms>', 'client request timeout',
      String(serverDefaults.requestTimeoutMs))
    .option('--watch-progress-notify-interval-ms <ms>',
      'progress notifications to watchers that asked for them', '600000')
    .option('--log-level <level>', 'pino log level', 'info')
    .option('--peer-dial-overrides <list>',
      'TEST/CHAOS ONLY: name=host:port,... dial these instead of the members\' peer URLs')
    .option('--unsafe-serve-stale-reads',
      'DEBUG ONLY: serve linearizable reads without ReadIndex (proves the chaos checker bites)')
    .option('--unsafe-ack-before-fsync',
      'DEBUG ONLY: acknowledge before the disk write (proves the chaos checker bites)')
    .action(async (flags: ServerFlags) => {
      const logger = createLogger({ level: flags.logLevel, name: flags.name });
      const growth = tuneHeapGrowth(process);
      logger.info({ heapGrowingPercent: growth ?? 'as given' }, 'V8 heap growth set');
      const server = await startServer({
        name: flags.name, dataDir: flags.dataDir, peerListen: flags.peerListen,
        clientListen: flags.clientListen,
        ...(flags.apiListen === undefined ? {} : { apiListen: flags.apiListen }),
        serviceClusterIPRange: flags.serviceClusterIpRange,
        ...(flags.initialCluster === undefined ? {} : { initialCluster: flags.initialCluster }),
        ...(flags.join === undefined ? {} : { join: flags.join }),
        clusterToken: flags.clusterToken,
        tickMs: positiveInteger(flags.tickMs, '--tick-ms'),
        electionTicks: positiveInteger(flags.electionTicks, '--election-ticks'),
        snapshotEntries: positiveInteger(flags.snapshotEntries, '--snapshot-entries'),
        walSegmentBytes: positiveInteger(flags.walSegmentBytes, '--wal-segment-bytes'),
        requestTimeoutMs: positiveInteger(flags.requestTimeoutMs, '--request-timeout-ms'),
        watchProgressNotifyIntervalMs: positiveInteger(flags.watchProgressNotifyIntervalMs,
          '--watch-progress-notify-interval-ms'),
        ...(flags.peerDialOverrides === undefined ? {}
          : { peerDialOverrides: parseOverrides(flags.peerDialOverrides) }),
        unsafeServeStaleReads: flags.unsafeServeStaleReads === true,
        unsafeAckBeforeFsync: flags.unsafeAckBeforeFsync === true,
        logger,
      });
      stopOnSignals(server);
    });
}

function stopOnSignals(server: RunningServer): void {
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.stop().then(() => process.exit(0), (error: unknown) => {
      console.error(`coracle server: shutdown failed: ${String(error)}`);
      process.exit(1);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
