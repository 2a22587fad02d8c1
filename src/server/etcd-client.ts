/**
 * @module server/etcd-client
 * A minimal client of the etcd v3 API for Coracle's own tools (`--join`, `coracle status`,
 * `coracle up`, tests): unary calls only, encoded with protobufjs from proto/etcd. It is not
 * a general etcd client; users bring etcdctl or their own.
 */
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { etcdRoot as root } from './etcd-api/proto.js';

const conversion: protobuf.IConversionOptions = { longs: Number, defaults: true };

/** The unary methods this client knows: service, request type, response type. */
const methods = {
  Status: ['Maintenance', 'StatusRequest', 'StatusResponse'],
  MemberList: ['Cluster', 'MemberListRequest', 'MemberListResponse'],
  MemberAdd: ['Cluster', 'MemberAddRequest', 'MemberAddResponse'],
  MemberRemove: ['Cluster', 'MemberRemoveRequest', 'MemberRemoveResponse'],
  MemberPromote: ['Cluster', 'MemberPromoteRequest', 'MemberPromoteResponse'],
  MoveLeader: ['Maintenance', 'MoveLeaderRequest', 'MoveLeaderResponse'],
  Hash: ['Maintenance', 'HashRequest', 'HashResponse'],
  LeaseGrant: ['Lease', 'LeaseGrantRequest', 'LeaseGrantResponse'],
  LeaseTimeToLive: ['Lease', 'LeaseTimeToLiveRequest', 'LeaseTimeToLiveResponse'],
  Put: ['KV', 'PutRequest', 'PutResponse'],
  Range: ['KV', 'RangeRequest', 'RangeResponse'],
} as const;

/** A method name this client can call. */
export type EtcdMethod = keyof typeof methods;

/** EtcdClient calls one endpoint; each call has a deadline. */
export class EtcdClient {
  private readonly client: grpc.Client;

  /** Connects (lazily) to `endpoint` (host:port). */
  constructor(readonly endpoint: string, credentials = grpc.credentials.createInsecure()) {
    this.client = new grpc.Client(endpoint.replace(/^[a-z]+:\/\//, ''), credentials);
  }

  /** Calls `method` with a plain request object; resolves with the plain response. */
  call<T = Record<string, unknown>>(method: EtcdMethod, request: Record<string, unknown>,
    timeoutMs = 3000): Promise<T> {
    const [service, requestName, responseName] = methods[method];
    const requestType = root.lookupType(`etcdserverpb.${requestName}`);
    const responseType = root.lookupType(`etcdserverpb.${responseName}`);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        `/etcdserverpb.${service}/${method}`,
        (value: Record<string, unknown>) =>
          Buffer.from(requestType.encode(requestType.fromObject(value)).finish()),
        (bytes: Buffer) => responseType.toObject(responseType.decode(bytes), conversion) as T,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (error, response) => {
          if (error !== null || response === undefined) reject(error ?? new Error('no response'));
          else resolve(response);
        },
      );
    });
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}

/** The shape of a decoded Member. */
export interface WireMember {
  ID: number;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

/** The shape of a decoded StatusResponse. */
export interface WireStatus {
  header: { clusterId: number; memberId: number; revision: number; raftTerm: number };
  version: string;
  dbSize: number;
  leader: number;
  raftIndex: number;
  raftTerm: number;
  raftAppliedIndex: number;
  errors: string[];
  isLearner: boolean;
}
