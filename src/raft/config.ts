/**
 * @module raft/config
 * Tunables of the Raft core. Each field states its unit, default, allowed range and what
 * happens at the limit. Times are in ticks: the shell decides how long a tick lasts
 * (Coracle's server ticks every 100 ms by default).
 */
import { assert } from '../util/assert.js';
import type { Logger } from '../util/logger.js';
import type { Random } from '../util/prng.js';
import type { NodeId } from './types.js';

/** RaftConfig configures one Raft core. */
export interface RaftConfig {
  /** This peer's id; non-zero safe integer. */
  readonly id: NodeId;
  /**
   * Base election timeout in ticks (default 10, range 3..1000). A follower that hears nothing
   * from a leader for a random time in [electionTicks, 2*electionTicks) starts an election;
   * a leader with check-quorum steps down when it has not heard from a quorum for this long.
   */
  readonly electionTicks: number;
  /** Heartbeat interval in ticks (default 1, range 1..electionTicks/2). */
  readonly heartbeatTicks: number;
  /**
   * Maximum bytes of entry data in one Append (default 1 MiB, range 1 KiB..64 MiB). At least
   * one entry is always sent, so a single larger entry still travels alone.
   */
  readonly messageBytesMax: number;
  /**
   * Maximum Append messages in flight to one follower in replicate state (default 256,
   * range 1..4096). At the bound the leader waits for acknowledgements before sending more.
   */
  readonly inflightMessagesMax: number;
  /**
   * Maximum bytes of uncommitted entry data on the leader (default 64 MiB). At the bound,
   * proposals are dropped with `TooManyUncommitted` (backpressure, never an unbounded queue).
   */
  readonly uncommittedBytesMax: number;
  /** Snapshot chunk size in bytes for InstallSnapshot (default 1 MiB, range 1..64 MiB). */
  readonly snapshotChunkBytes: number;
  /**
   * Maximum read-index requests waiting for their quorum round (default 10,000). At the
   * bound new reads are dropped with `TooManyUncommitted` so clients back off.
   */
  readonly pendingReadsMax: number;
  /** Pre-vote (Raft thesis §9.6); default true. */
  readonly preVote: boolean;
  /** Check-quorum: a leader without a recently active quorum steps down; default true. */
  readonly checkQuorum: boolean;
  /**
   * Index the application has already applied durably (default: the snapshot index). The
   * core never hands out committed entries at or below it again.
   */
  readonly appliedIndex?: number;
  readonly random: Random;
  readonly logger: Logger;
}

/** The defaults used when a field is not given. */
export const defaultRaftConfig = {
  electionTicks: 10,
  heartbeatTicks: 1,
  messageBytesMax: 1024 * 1024,
  inflightMessagesMax: 256,
  uncommittedBytesMax: 64 * 1024 * 1024,
  snapshotChunkBytes: 1024 * 1024,
  pendingReadsMax: 10_000,
  preVote: true,
  checkQuorum: true,
} as const;

/** Options accepted by `makeRaftConfig`: the required fields plus any overrides. */
export type RaftConfigInput = Pick<RaftConfig, 'id' | 'random' | 'logger'> &
  Partial<Omit<RaftConfig, 'id' | 'random' | 'logger'>>;

/** Builds a validated RaftConfig from defaults and overrides; asserts every range. */
export function makeRaftConfig(input: RaftConfigInput): RaftConfig {
  const config: RaftConfig = { ...defaultRaftConfig, ...input };
  assert(Number.isSafeInteger(config.id) && config.id > 0, 'id must be a positive safe integer');
  assert(config.electionTicks >= 3 && config.electionTicks <= 1000, 'electionTicks out of range');
  assert(config.heartbeatTicks >= 1, 'heartbeatTicks must be at least 1');
  assert(config.heartbeatTicks * 2 <= config.electionTicks, 'heartbeatTicks too large');
  assert(config.messageBytesMax >= 1024, 'messageBytesMax must be at least 1 KiB');
  assert(config.inflightMessagesMax >= 1 && config.inflightMessagesMax <= 4096,
    'inflightMessagesMax out of range');
  assert(config.uncommittedBytesMax >= 1024, 'uncommittedBytesMax too small');
  assert(config.snapshotChunkBytes >= 1, 'snapshotChunkBytes must be positive');
  assert(config.pendingReadsMax >= 1, 'pendingReadsMax must be positive');
  return config;
}
