/**
 * @module bench/processes
 * Every child process a benchmark starts (peers, etcd members, load generators, no-op
 * servers) is registered here, so it is stopped by its PID on every way out: normal end,
 * error, Ctrl-C or SIGTERM. Never by name: other clusters may run on the same machine.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';

/** How long a child gets after SIGTERM before it is sent SIGKILL. */
const stopGraceMs = 5_000;

/** Returns whether `child` has not exited yet. */
export function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Resolves when `child` has exited (at once when it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (!isAlive(child)) return Promise.resolve();
  return new Promise((resolveExit) => child.once('exit', () => resolveExit()));
}

/** ProcessRegistry spawns children and stops every one still alive, by PID. */
export class ProcessRegistry {
  private readonly children = new Set<ChildProcess>();

  /** Spawns `command` and tracks the child until it exits. */
  spawn(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
    const child = spawn(command, args, options);
    this.track(child);
    return child;
  }

  /** Tracks a child spawned elsewhere (for example by local-cluster's spawnPeer). */
  track(child: ChildProcess): ChildProcess {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    // NB: a spawn failure (missing binary) arrives as 'error' without 'exit'.
    child.once('error', () => this.children.delete(child));
    return child;
  }

  /** Sends SIGKILL to `child` (by its PID) and waits for it to exit. */
  async kill(child: ChildProcess): Promise<void> {
    if (isAlive(child) && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    await exited(child);
  }

  /** Stops every tracked child: SIGTERM, then SIGKILL after a grace period. */
  async stopAll(): Promise<void> {
    const alive = [...this.children].filter(isAlive);
    for (const child of alive) signal(child, 'SIGTERM');
    const timer = setTimeout(() => {
      for (const child of alive) if (isAlive(child)) signal(child, 'SIGKILL');
    }, stopGraceMs);
    await Promise.all(alive.map(exited));
    clearTimeout(timer);
  }

  /** Kills every tracked child at once, synchronously (for process exit paths). */
  killAllNow(): void {
    for (const child of this.children) if (isAlive(child)) signal(child, 'SIGKILL');
  }
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(child.pid, name);
  } catch {
    // Already gone between the check and the signal.
  }
}
