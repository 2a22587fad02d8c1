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
 * ```
 * NB: once tripped the disk stays "failed" (sticky), also for the unsynced writeApplied:
 * a real disk that lost an fsync is not trusted again until the process restarts.
 */
import { StorageError } from './errors.js';
import type {
  AppliedWrite, ClusterIdentity, LoadedState, RaftStorage, ReadyWrite,
} from './raft-storage.js';
import type { Snapshot } from '../raft/types.js';

/** The name of the environment variable that arms failpoints (test-only). */
export const failpointsEnvVar = 'CORACLE_FAILPOINTS';

/** Failpoints is a parsed failpoint spec (see the module comment). */
export interface Failpoints {
  /** Synced writes allowed before every write fails; null: never fail. */
  readonly syncFailAfter: number | null;
}

/** Parses a failpoint spec such as `sync-fail-after:20`; throws on anything unknown. */
export function parseFailpoints(spec: string): Failpoints {
  let syncFailAfter: number | null = null;
  for (const item of spec.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const match = /^sync-fail-after:(\d+)$/.exec(item);
    if (match === null) {
      throw new Error(`${failpointsEnvVar}: unknown failpoint "${item}" ` +
        '(known: sync-fail-after:N)');
    }
    syncFailAfter = Number(match[1]);
    if (!Number.isSafeInteger(syncFailAfter)) {
      throw new Error(`${failpointsEnvVar}: sync-fail-after needs a safe integer, got ${match[1]}`);
    }
  }
  return { syncFailAfter };
}

/** FailpointStorage delegates to a real RaftStorage until a failpoint trips (module comment). */
export class FailpointStorage implements RaftStorage {
  private syncedWrites = 0;
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
    this.maybeFailSynced('writeReady');
    await this.inner.writeReady(write);
  }

  async writeApplied(write: AppliedWrite): Promise<void> {
    this.maybeFailTripped('writeApplied');
    await this.inner.writeApplied(write);
  }

  async writeSnapshot(snapshot: Snapshot): Promise<void> {
    this.maybeFailSynced('writeSnapshot');
    await this.inner.writeSnapshot(snapshot);
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
