/**
 * @module server/etcd-api/kv-service
 * The etcd KV service (Range, Put, DeleteRange, Txn, Compact) over the backend.
 *
 * Hot path: the decoded request goes to the backend as is (decode.ts keeps bytes as views of
 * the received buffer), and the backend's response is encoded as is, with only the header
 * replaced by the full etcd header. Nested txn responses keep their revision-only headers, as
 * etcd's do.
 */
import type { ServiceHandlers, ServiceMethods } from '../../grpc/calls.js';
import {
  toCompactionRequest, toDeleteRangeRequest, toPutRequest, toRangeRequest, toTxnRequest,
} from './decode.js';
import { decodePutRequestFast, decodeRangeRequestFast } from './fast-decode.js';
import { type ServiceContext, responseHeader, unaryHandler } from './handler.js';
import { serverMethod } from './proto.js';

/** The KV service definition and its handlers, ready for `server.addService`. */
export function kvService(context: ServiceContext): {
  definition: ServiceMethods; handlers: ServiceHandlers;
} {
  const { backend } = context;
  const definition: ServiceMethods = {
    Range: serverMethod('KV', 'Range', toRangeRequest, decodeRangeRequestFast),
    Put: serverMethod('KV', 'Put', toPutRequest, decodePutRequestFast),
    DeleteRange: serverMethod('KV', 'DeleteRange', toDeleteRangeRequest),
    Txn: serverMethod('KV', 'Txn', toTxnRequest),
    Compact: serverMethod('KV', 'Compact', toCompactionRequest),
  };
  const handlers: ServiceHandlers = {
    Range: unaryHandler(context, 'Range', async (request: ReturnType<typeof toRangeRequest>) => {
      const response = await backend.range(request);
      return {
        header: responseHeader(backend, response.header.revision), kvs: response.kvs,
        more: response.more, count: response.count,
      };
    }),
    Put: unaryHandler(context, 'Put', async (request: ReturnType<typeof toPutRequest>) => {
      const response = await backend.put(request);
      return { header: responseHeader(backend, response.header.revision),
        prevKv: response.prevKv };
    }),
    DeleteRange: unaryHandler(context, 'DeleteRange',
      async (request: ReturnType<typeof toDeleteRangeRequest>) => {
        const response = await backend.deleteRange(request);
        return {
          header: responseHeader(backend, response.header.revision), deleted: response.deleted,
          prevKvs: response.prevKvs,
        };
      }),
    Txn: unaryHandler(context, 'Txn', async (request: ReturnType<typeof toTxnRequest>) => {
      const response = await backend.txn(request);
      return {
        header: responseHeader(backend, response.header.revision),
        succeeded: response.succeeded, responses: response.responses,
      };
    }),
    Compact: unaryHandler(context, 'Compact',
      async (request: ReturnType<typeof toCompactionRequest>) => {
        const response = await backend.compact(request);
        return { header: responseHeader(backend, response.header.revision) };
      }),
  };
  return { definition, handlers };
}
