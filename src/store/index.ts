/**
 * @module store
 *
 * The MVCC key-value state machine (DESIGN §5): `MVCCStore` (apply, range, leases, history,
 * snapshot and rows), `WatchHub` (watch fan-out), the request/response types mirroring
 * etcdserverpb, the error catalogue and the limits.
 */
export * from './errors.js';
export * from './limits.js';
export * from './mvcc-store.js';
export * from './types.js';
export * from './watch-hub.js';
export { type Row, decodeSnapshot, encodeSnapshot } from './rows.js';
export { compareBytes, utf8 } from './bytes.js';
