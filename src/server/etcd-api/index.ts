/**
 * @module server/etcd-api
 * The etcd v3-compatible gRPC API (DESIGN §5): `startEtcdAPIServer` over an `EtcdBackend`,
 * the error catalogue, the limits, the protos and the in-process `LocalBackend`.
 */
export type * from './backend.js';
export * from './errors.js';
export * from './limits.js';
export { LocalBackend, type LocalBackendOptions } from './local-backend.js';
export { clientServiceDefinition, etcdProtoDirectory, etcdRoot } from './proto.js';
export { type EtcdAPIServer, type EtcdAPIServerOptions, startEtcdAPIServer } from './server.js';
