/**
 * @module server/etcd-api/proto
 * Loads proto/etcd/rpc.proto (etcdserverpb, with mvccpb and authpb) with protobufjs and builds
 * @grpc/grpc-js method definitions from it.
 *
 * Contract of the server-side definitions (`serverMethod`):
 * - `requestDeserialize` NEVER throws (grpc-js would answer INTERNAL): a request larger than
 *   `requestBytesMax` becomes ETCD_ERR_REQUEST_TOO_LARGE without being decoded, malformed
 *   bytes become ETCD_ERR_MALFORMED_REQUEST, and a decoder's own EtcdError (an unsafe
 *   integer, an invalid enum) passes through. The handler receives either the decoded
 *   request or that EtcdError and MUST check first (`instanceof EtcdError`).
 * - A decoder MUST return an object: grpc-js takes a falsy decoded message (null, false, 0)
 *   for a missing one and fails the call with UNIMPLEMENTED "Received no request message".
 * - `responseSerialize` encodes a plain object with `Type.encode` (no `fromObject`, no JSON):
 *   numbers for 64-bit fields, Uint8Array for bytes, camelCase names as protobufjs uses.
 *
 * The proto directory is found by walking up from this module to the folder holding
 * package.json, because the code runs both from src/ (vitest) and from dist/src/ (built).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MethodDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { EtcdError, etcdError } from './errors.js';
import { requestBytesMax } from './limits.js';

/** How many folders `packageRootOf` climbs at most before giving up. */
const packageRootDepthMax = 8;

/** Finds the folder holding package.json, starting at `moduleUrl`'s folder and going up. */
export function packageRootOf(moduleUrl: string): string {
  let directory = dirname(fileURLToPath(moduleUrl));
  for (let depth = 0; depth < packageRootDepthMax; depth++) {
    if (existsSync(join(directory, 'package.json'))) {
      return directory;
    }
    directory = dirname(directory);
  }
  throw new Error(`no package.json above ${moduleUrl}`);
}

/** The folder holding rpc.proto, kv.proto and auth.proto. */
export const etcdProtoDirectory = join(packageRootOf(import.meta.url), 'proto', 'etcd');

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // NB: imports ("kv.proto") resolve next to the importing file, inside proto/etcd.
  root.loadSync(join(etcdProtoDirectory, 'rpc.proto'));
  root.resolveAll();
  return root;
}

/** The protobufjs root holding etcdserverpb, mvccpb and authpb. */
export const etcdRoot = loadRoot();

/** The etcd gRPC services Coracle serves. */
export type EtcdServiceName = 'KV' | 'Watch' | 'Lease' | 'Cluster' | 'Maintenance' | 'Auth';

/** A decoded protobufjs message read field by field (see decode.ts). */
export type WireMessage = Readonly<Record<string, unknown>>;

/** Returns the protobufjs Service `etcdserverpb.<name>`. */
export function etcdService(name: EtcdServiceName): protobuf.Service {
  return etcdRoot.lookupService(`etcdserverpb.${name}`);
}

/** Returns the Buffer grpc-js needs for the bytes protobufjs wrote (no copy under Node). */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

function methodOf(service: protobuf.Service, methodName: string): protobuf.Method {
  const method = service.methods[methodName];
  if (method === undefined) {
    throw new Error(`etcd proto has no method ${service.name}.${methodName}`);
  }
  method.resolve();
  return method;
}

function resolvedTypes(method: protobuf.Method): { request: protobuf.Type;
  response: protobuf.Type; } {
  const request = method.resolvedRequestType;
  const response = method.resolvedResponseType;
  if (request === null || response === null) {
    throw new Error(`unresolved types for ${method.name}`);
  }
  return { request, response };
}

/** The gRPC path of a method, e.g. "/etcdserverpb.KV/Range". */
function methodPath(service: protobuf.Service, method: protobuf.Method): string {
  return `/${service.fullName.replace(/^\./, '')}/${method.name}`;
}

/** Decodes request bytes, turning every failure into an EtcdError value (never throws). */
function decodeRequest<R extends object>(
  type: protobuf.Type, bytes: Buffer, decode: (wire: WireMessage) => R,
  fast?: (bytes: Uint8Array) => R | null,
): R | EtcdError {
  if (bytes.length > requestBytesMax) {
    return etcdError('ETCD_ERR_REQUEST_TOO_LARGE');
  }
  const decoded = fast?.(bytes);
  if (decoded !== undefined && decoded !== null) return decoded;
  try {
    // NB: a decoded protobufjs Message is a plain record of its fields (WireMessage).
    const wire: WireMessage = type.decode(bytes);
    return decode(wire);
  } catch (error) {
    if (error instanceof EtcdError) {
      return error;
    }
    const detail = error instanceof Error ? error.message : String(error);
    return etcdError('ETCD_ERR_MALFORMED_REQUEST', { detail, cause: error });
  }
}

const watchEventField = 11;
const eventKvField = 2;
const eventPrevKvField = 3;
/** Encoded mvccpb.KeyValue per store KeyValue object (events share them across watchers). */
const encodedKeyValues = new WeakMap<object, Uint8Array>();
/** Encoded mvccpb.Event per event object. */
const encodedEvents = new WeakMap<object, Uint8Array>();

interface WireEvent {
  readonly type: number;
  readonly kv: object;
  readonly prevKv?: object;
}

function encodeKeyValue(keyValue: object): Uint8Array {
  let bytes = encodedKeyValues.get(keyValue);
  if (bytes === undefined) {
    bytes = keyValueType().encode(keyValue).finish();
    encodedKeyValues.set(keyValue, bytes);
  }
  return bytes;
}

function encodeEvent(event: WireEvent): Uint8Array {
  let bytes = encodedEvents.get(event);
  if (bytes === undefined) {
    const writer = protobuf.Writer.create();
    if (event.type !== 0) writer.uint32(8).int32(event.type);
    writer.uint32((eventKvField << 3) | 2).bytes(encodeKeyValue(event.kv));
    if (event.prevKv !== undefined) {
      writer.uint32((eventPrevKvField << 3) | 2).bytes(encodeKeyValue(event.prevKv));
    }
    bytes = writer.finish();
    encodedEvents.set(event, bytes);
  }
  return bytes;
}

let keyValueTypeCache: protobuf.Type | null = null;
function keyValueType(): protobuf.Type {
  keyValueTypeCache ??= etcdRoot.lookupType('mvccpb.KeyValue');
  return keyValueTypeCache;
}

/** The WatchResponse fields the fast path reads (plain objects from the watch stream). */
interface WireWatchResponse {
  readonly header?: { clusterId: number; memberId: number; revision: number; raftTerm: number };
  readonly watchId?: number;
  readonly created?: boolean;
  readonly canceled?: boolean;
  readonly compactRevision?: number;
  readonly cancelReason?: string;
  readonly fragment?: boolean;
  readonly events?: WireEvent[];
}

const watchHeaderField = 1;
const watchIdField = 2;
/** The last encoded ResponseHeader: consecutive responses to many watchers share it. */
let headerCache: { key: string; bytes: Uint8Array } | null = null;

function encodeHeader(header: NonNullable<WireWatchResponse['header']>): Uint8Array {
  const key = `${header.clusterId}:${header.memberId}:${header.revision}:${header.raftTerm}`;
  if (headerCache?.key !== key) {
    headerCacheType ??= etcdRoot.lookupType('etcdserverpb.ResponseHeader');
    headerCache = { key, bytes: headerCacheType.encode(header).finish() };
  }
  return headerCache.bytes;
}
let headerCacheType: protobuf.Type | null = null;

function varintLength(value: number): number {
  let length = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) length += 1;
  return length;
}

function writeVarint(out: Buffer, offset: number, value: number): number {
  let at = offset;
  let rest = value;
  while (rest >= 0x80) {
    out[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[at++] = rest;
  return at;
}

function writeField(out: Buffer, offset: number, field: number, bytes: Uint8Array): number {
  let at = writeVarint(out, offset, (field << 3) | 2);
  at = writeVarint(out, at, bytes.length);
  out.set(bytes, at);
  return at + bytes.length;
}

/** Bytes of gRPC's message prefix: a compressed flag and a big-endian u32 length. */
const grpcPrefixBytes = 5;

function writeGRPCPrefix(out: Buffer, messageBytes: number): void {
  out[0] = 0;
  out.writeUInt32BE(messageBytes, 1);
}

function grpcFramed(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(grpcPrefixBytes + bytes.length);
  writeGRPCPrefix(out, bytes.length);
  out.set(bytes, grpcPrefixBytes);
  return out;
}

/**
 * Encodes a WatchResponse with each event encoded ONCE however many watchers receive it.
 * An events response (the hot path: thousands of watchers x every revision) is written by
 * hand into one buffer: the header (shared per revision), the watch id, then every event as
 * field 11 from a cache keyed by the (shared) event and KeyValue objects. Anything else
 * (created, canceled, progress) goes through protobufjs. Both decode the same.
 */
function encodeWatchResponse(type: protobuf.Type, value: object, prefixBytes = 0): Buffer {
  const response: WireWatchResponse = value;
  const events = response.events ?? [];
  const watchId = response.watchId ?? 0;
  if (events.length === 0 || response.header === undefined || response.created === true
    || response.canceled === true || (response.compactRevision ?? 0) !== 0
    || (response.cancelReason ?? '') !== '' || response.fragment === true
    || !Number.isSafeInteger(watchId) || watchId < 0) {
    const bytes = type.encode(value).finish();
    return prefixBytes === 0 ? toBuffer(bytes) : grpcFramed(bytes);
  }
  const header = encodeHeader(response.header);
  const encoded = events.map(encodeEvent);
  let size = 1 + varintLength(header.length) + header.length;
  if (watchId !== 0) size += 1 + varintLength(watchId);
  for (const event of encoded) size += 1 + varintLength(event.length) + event.length;
  const out = Buffer.allocUnsafe(prefixBytes + size);
  if (prefixBytes !== 0) writeGRPCPrefix(out, size);
  let at = writeField(out, prefixBytes, watchHeaderField, header);
  if (watchId !== 0) {
    at = writeVarint(out, at, watchIdField << 3);
    at = writeVarint(out, at, watchId);
  }
  for (const event of encoded) at = writeField(out, at, watchEventField, event);
  return out;
}

/** The ResponseHeader fields, as numbers. */
interface WireHeader {
  readonly clusterId: number;
  readonly memberId: number;
  readonly revision: number;
  readonly raftTerm: number;
}

function isUnsignedSafe(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Bytes of a ResponseHeader's fields (proto3: zeros are left out), or -1 if unusual. */
function headerFieldsBytes(header: WireHeader): number {
  let bytes = 0;
  for (const value of [header.clusterId, header.memberId, header.revision, header.raftTerm]) {
    if (!isUnsignedSafe(value)) return -1;
    if (value !== 0) bytes += 1 + varintLength(value);
  }
  return bytes;
}

function writeHeaderFields(out: Buffer, offset: number, header: WireHeader): number {
  let at = offset;
  const values = [header.clusterId, header.memberId, header.revision, header.raftTerm];
  for (let field = 1; field <= 4; field++) {
    const value = values[field - 1]!;
    if (value === 0) continue;
    out[at++] = field << 3;
    at = writeVarint(out, at, value);
  }
  return at;
}

/**
 * Encodes a PutResponse with gRPC's prefix in front. The hot path of every write: a response
 * without prev_kv is written by hand into one buffer (header fields are varints, numbers in
 * field order as protobufjs writes them); anything else goes through protobufjs.
 */
function encodePutResponseFramed(type: protobuf.Type, value: object): Buffer {
  const response = value as { header?: WireHeader; prevKv?: object | null };
  const header = response.header;
  const fieldsBytes = header === undefined ? -1 : headerFieldsBytes(header);
  if (header === undefined || fieldsBytes < 0 || fieldsBytes > 127
    || (response.prevKv !== undefined && response.prevKv !== null)) {
    return grpcFramed(type.encode(value).finish());
  }
  const size = 2 + fieldsBytes;
  const out = Buffer.allocUnsafe(grpcPrefixBytes + size);
  writeGRPCPrefix(out, size);
  out[grpcPrefixBytes] = (1 << 3) | 2;
  out[grpcPrefixBytes + 1] = fieldsBytes;
  writeHeaderFields(out, grpcPrefixBytes + 2, header);
  return out;
}

/** Responses the server encodes by hand (framed), by method path. */
function framedEncoder(serviceName: EtcdServiceName, methodName: string, type: protobuf.Type):
  (value: object) => Buffer {
  if (serviceName === 'Watch') {
    return (value: object) => encodeWatchResponse(type, value, grpcPrefixBytes);
  }
  if (serviceName === 'KV' && methodName === 'Put') {
    return (value: object) => encodePutResponseFramed(type, value);
  }
  return (value: object) => grpcFramed(type.encode(value).finish());
}

/**
 * Builds the server-side definition of `service.method`: requests are decoded by `fast`
 * straight from the bytes when given and it accepts them (fast-decode.ts), else by
 * protobufjs and `decode` (see the module comment); responses are plain objects encoded
 * with `Type.encode`, or by hand for the hot ones (`responseSerializeFramed`).
 */
export function serverMethod<R extends object>(
  serviceName: EtcdServiceName, methodName: string, decode: (wire: WireMessage) => R,
  fast?: (bytes: Uint8Array) => R | null,
): MethodDefinition<R | EtcdError, object> & { responseSerializeFramed(value: object): Buffer } {
  const service = etcdService(serviceName);
  const method = methodOf(service, methodName);
  const types = resolvedTypes(method);
  return {
    path: methodPath(service, method),
    requestStream: method.requestStream === true,
    responseStream: method.responseStream === true,
    originalName: method.name,
    // NB: the two client-side functions are never used by the server; they exist because
    // grpc-js's MethodDefinition has them, and so a definition can also drive a client.
    requestSerialize: () => {
      throw new Error(`${method.name}: a server definition does not serialize requests`);
    },
    requestDeserialize: (bytes: Buffer) => decodeRequest(types.request, bytes, decode, fast),
    responseSerialize: serviceName === 'Watch'
      ? (value: object) => encodeWatchResponse(types.response, value)
      : (value: object) => toBuffer(types.response.encode(value).finish()),
    responseDeserialize: (bytes: Buffer) => types.response.decode(bytes),
    // The server's path: the response with gRPC's prefix in front, written by the watch
    // encoder straight into one buffer (a watch fan-out sends every event to every watcher).
    responseSerializeFramed: framedEncoder(serviceName, methodName, types.response),
  };
}

/** Conversion used by `clientServiceDefinition`: 64-bit fields become numbers. */
const clientConversion: protobuf.IConversionOptions = {
  longs: Number, defaults: true, arrays: true, oneofs: true,
};

/**
 * Builds a client-side service definition of `etcdserverpb.<name>` for tools and tests:
 * requests are plain objects converted with `fromObject`, responses are plain objects with
 * 64-bit fields as numbers and defaults filled in. Use with grpc.makeGenericClientConstructor.
 */
export function clientServiceDefinition(
  serviceName: EtcdServiceName,
): Record<string, MethodDefinition<object, Record<string, unknown>>> {
  const service = etcdService(serviceName);
  const definition: Record<string, MethodDefinition<object, Record<string, unknown>>> = {};
  for (const methodName of Object.keys(service.methods)) {
    const method = methodOf(service, methodName);
    const types = resolvedTypes(method);
    definition[methodName] = {
      path: methodPath(service, method),
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: (value: object) =>
        toBuffer(types.request.encode(types.request.fromObject(value)).finish()),
      requestDeserialize: (bytes: Buffer) => types.request.decode(bytes),
      responseSerialize: (value: object) => toBuffer(types.response.encode(value).finish()),
      responseDeserialize: (bytes: Buffer) =>
        types.response.toObject(types.response.decode(bytes), clientConversion),
    };
  }
  return definition;
}
