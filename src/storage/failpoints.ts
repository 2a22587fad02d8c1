/**
 * @module storage/failpoints
 * TEST-ONLY fault injection for the durable-state port: `FailpointStorage` wraps a real
 * RaftStorage and, once armed, makes synced writes fail the way a dying disk does, so the
 * multi-process tests can check that a peer whose fsync failed never acknowledges again
 * (DESIGN §4) and that the rest of the cluster loses nothing.
 *
 * It is switched on ONLY by the `CORACLE_FAILPOINTS` environment variable, which
 * src/server/server.ts reads at start; production never sets it. Spec grammar (one
 * failpoint for now; a comma-separated list leaves room for more):
 *
 * ```
 * sync-fail-after:N   the first N synced writes (writeReady, writeSnapshot, writeIdentity)
 *                     go through; every later write of any kind rejects with
 *                     STORAGE_ERR_SYNC_FAILED and writes nothing (N >= 0)
 * sync-delay-ms:N     every synced write takes N ms longer (a slow or stalling fsync)
 * crash-before-persist:N       the process dies (SIGKILL) right BEFORE its N-th Ready write
 * crash-after-persist:N        the process dies right AFTER its N-th Ready write is durable,
 *                              before its messages are sent
 * crash-during-snapshot-install  the process dies right after persisting a snapshot received
 *                              from the leader, before applying it to the state machine
 * ```
 * The crash failpoints are used by `coracle chaos`; a crash is a real SIGKILL of the
 * process, so the restart sees exactly what reached the disk.
 * NB: once tripped the disk stays "failed" (sticky): a real disk that lost an fsync is not
 * trusted again until the process restarts.
 */
import { StorageError } from './errors.js';
import type {
  ClusterIdentity, LoadedState, RaftStorage, ReadyWrite, StoredSnapshotData,
} from './raft-storage.js';
import type { Snapshot } from '../raft/types.js';

/** The name of the environment variable that arms failpoints (test-only). */
export const failpointsEnvVar = 'CORACLE_FAILPOINTS';

/** Failpoints is a parsed failpoint spec (see the module comment). */
export interface Failpoints {
  /** Synced writes allowed before every write fails; null: never fail. */
  readonly syncFailAfter: number | null;
  /** Extra milliseconds every synced write takes (0: none). */
  readonly syncDelayMs: number;
  /** Die before the N-th Ready write (null: never). */
  readonly crashBeforePersist: number | null;
  /** Die after the N-th Ready write (null: never). */
  readonly crashAfterPersist: number | null;
  /** Die after persisting a received snapshot, before applying it. */
  readonly crashDuringSnapshotInstall: boolean;
}

/** Parses a failpoint spec such as `sync-fail-after:20`; throws on anything unknown. */
export function parseFailpoints(spec: string): Failpoints {
  const parsed = {
    syncFailAfter: null as number | null, syncDelayMs: 0,
    crashBeforePersist: null as number | null, crashAfterPersist: null as number | null,
    crashDuringSnapshotInstall: false,
  };
  for (const item of spec.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    if (item === 'crash-during-snapshot-install') {
      parsed.crashDuringSnapshotInstall = true;
      continue;
    }
    const match = /^(sync-fail-after|sync-delay-ms|crash-before-persist|crash-after-persist):(\d+)$/
      .exec(item);
    const value = Number(match?.[2]);
    if (match === null || !Number.isSafeInteger(value)) {
      throw new Error(`${failpointsEnvVar}: unknown failpoint "${item}" (known: ` +
        'sync-fail-after:N, sync-delay-ms:N, crash-before-persist:N, crash-after-persist:N, ' +
        'crash-during-snapshot-install)');
    }
    if (match[1] === 'sync-fail-after') parsed.syncFailAfter = value;
    if (match[1] === 'sync-delay-ms') parsed.syncDelayMs = value;
    if (match[1] === 'crash-before-persist') parsed.crashBeforePersist = value;
    if (match[1] === 'crash-after-persist') parsed.crashAfterPersist = value;
  }
  return parsed;
}

function crashNow(): never {
  // A real crash: no cleanup, no flush beyond what already reached the disk.
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL did not stop the process');
}

/** FailpointStorage delegates to a real RaftStorage until a failpoint trips (module comment). */
export class FailpointStorage implements RaftStorage {
  private syncedWrites = 0;
  private readyWrites = 0;
  private tripped = false;

  /** Wraps `inner`; `failpoints` says when writes start failing. */
  constructor(private readonly inner: RaftStorage, private readonly failpoints: Failpoints) {}

  /** True once the failpoint tripped (every later write fails). */
  get hasTripped(): boolean {
    return this.tripped;
  }

  load(): Promise<LoadedState> {
    return this.inner.load();
  }

  async writeReady(write: ReadyWrite): Promise<void> {
    this.readyWrites += 1;
    if (this.readyWrites === this.failpoints.crashBeforePersist) crashNow();
    this.maybeFailSynced('writeReady');
    await this.delay();
    await this.inner.writeReady(write);
    if (this.readyWrites === this.failpoints.crashAfterPersist) crashNow();
    if (write.snapshot !== null && this.failpoints.crashDuringSnapshotInstall) crashNow();
  }

  private async delay(): Promise<void> {
    const delayMs = this.failpoints.syncDelayMs;
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  }

  async writeSnapshot(snapshot: Snapshot, compactIndex?: number): Promise<void> {
    this.maybeFailSynced('writeSnapshot');
    await this.delay();
    await this.inner.writeSnapshot(snapshot, compactIndex);
  }

  stageSnapshot(produce: (write: (chunk: Uint8Array) => void) => void): StoredSnapshotData {
    return this.inner.stageSnapshot(produce);
  }

  openSnapshot(): { meta: Snapshot['meta']; data: StoredSnapshotData } | null {
    return this.inner.openSnapshot();
  }

  async writeIdentity(identity: ClusterIdentity): Promise<void> {
    this.maybeFailSynced('writeIdentity');
    await this.inner.writeIdentity(identity);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private maybeFailSynced(operation: string): void {
    const allowed = this.failpoints.syncFailAfter;
    if (allowed !== null && !this.tripped) {
      this.syncedWrites += 1;
      if (this.syncedWrites > allowed) this.tripped = true;
    }
    this.maybeFailTripped(operation);
  }

  private maybeFailTripped(operation: string): void {
    if (!this.tripped) return;
    throw new StorageError('STORAGE_ERR_SYNC_FAILED',
      `synced write failed: failpoint sync-fail-after:${String(this.failpoints.syncFailAfter)} ` +
      `tripped (${operation})`);
  }
}
