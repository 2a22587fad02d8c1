/**
 * @module store
 *
 * The MVCC key-value state machine (DESIGN §5): `MVCCStore` (apply, range, leases, history,
 * snapshots), `ValueStore` (where values live), `WatchHub` (watch fan-out), the
 * request/response types mirroring etcdserverpb, the error catalogue and the limits.
 */
export * from './errors.js';
export * from './limits.js';
export * from './mvcc-store.js';
export * from './types.js';
export * from './watch-hub.js';
export { type Row, readSnapshot, writeSnapshot } from './rows.js';
export { MemoryValueStore, type ValueStore } from './value-store.js';
export type { ByteSource } from './chunks.js';
export { compareBytes, utf8 } from './bytes.js';
