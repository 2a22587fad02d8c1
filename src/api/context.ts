/**
 * @module api/context
 * What every handler of the Kubernetes API layer shares: the object store, the registry, the
 * clock and randomness (injected, so tests can pin them), the Service IP range and a cheap
 * "does this peer know a leader" probe used to fail writes fast with 503.
 */
import type { Logger } from '../util/logger.js';
import type { IPRange } from './allocators.js';
import type { ObjectStore } from './object-store.js';
import type { Registry } from './registry-index.js';

/** HandlerContext is shared by every request handler. */
export interface HandlerContext {
  readonly store: ObjectStore;
  readonly registry: Registry;
  readonly now: () => Date;
  /** Uniform random number in [0, 1) (names, IPs, ports, watch timeouts). */
  readonly random: () => number;
  readonly newUID: () => string;
  readonly ipRange: IPRange;
  /** False when this peer knows no leader: writes fail at once with 503. */
  readonly leaderKnown: () => boolean;
  /** Interval of watch bookmarks, in ms. */
  readonly bookmarkIntervalMs: number;
  readonly logger: Logger;
}
