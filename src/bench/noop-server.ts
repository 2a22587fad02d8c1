/**
 * @module bench/noop-server
 * An instant-answer etcd KV server (Put and Range only) for measuring the TypeScript load
 * generator's own ceiling: it never decodes a request and answers every call with the same
 * pre-encoded response (a header with revision 1), so whatever rate the generator reaches
 * against it is the most it can show against any server. Runs as its own process
 * (`coracle bench noop-server`), like etcdload's Go no-op server.
 */
import * as grpc from '@grpc/grpc-js';

/** The encoded response to every call: field 1 (header) = { revision (3): 1 }. */
const responseBytes = Buffer.from([0x0a, 0x02, 0x18, 0x01]);

function instantMethod(path: string): grpc.MethodDefinition<Buffer, Buffer> {
  const identity = (bytes: Buffer): Buffer => bytes;
  return { path, requestStream: false, responseStream: false, originalName: path,
    requestSerialize: identity, requestDeserialize: identity,
    responseSerialize: identity, responseDeserialize: identity };
}

/** Starts the no-op server on `listen` (host:port); resolves with the running server. */
export function startNoopServer(listen: string): Promise<grpc.Server> {
  const server = new grpc.Server();
  const answer: grpc.handleUnaryCall<Buffer, Buffer> = (_call, callback) => {
    callback(null, responseBytes);
  };
  server.addService({ Put: instantMethod('/etcdserverpb.KV/Put'),
    Range: instantMethod('/etcdserverpb.KV/Range') }, { Put: answer, Range: answer });
  return new Promise((resolveStart, reject) => {
    server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (error) => {
      if (error === null) resolveStart(server);
      else reject(error);
    });
  });
}
