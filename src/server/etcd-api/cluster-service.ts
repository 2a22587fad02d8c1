/**
 * @module server/etcd-api/cluster-service
 * The etcd Cluster service: member list, add, remove and promote through the backend.
 * MemberUpdate (changing a member's peer URLs) is not offered: it answers UNIMPLEMENTED.
 * Peer URLs are validated like etcd's types.NewURLs: each MUST be an http(s) URL with a host
 * and a port and nothing else, and at least one is required (ETCD_ERR_MEMBER_BAD_URLS).
 */
import type { ServiceHandlers, ServiceMethods } from '../../grpc/calls.js';
import type { Member } from './backend.js';
import { type IdRequest, boolField, toId, toMemberAddRequest } from './decode.js';
import { etcdError } from './errors.js';
import { type ServiceContext, responseHeader, unaryHandler } from './handler.js';
import { serverMethod } from './proto.js';

/** Converts a backend Member to etcdserverpb.Member. */
function toWireMember(member: Member): object {
  return {
    ID: member.id, name: member.name, peerURLs: member.peerURLs,
    clientURLs: member.clientURLs, isLearner: member.isLearner,
  };
}

/** Returns true when `text` is a URL etcd accepts as a peer URL (scheme://host:port). */
export function isValidPeerURL(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  const schemeOk = url.protocol === 'http:' || url.protocol === 'https:';
  const bare = (url.pathname === '' || url.pathname === '/') && url.search === ''
    && url.hash === '';
  return schemeOk && bare && url.hostname !== '' && url.port !== '';
}

/** The Cluster service definition and its handlers, ready for `server.addService`. */
export function clusterService(context: ServiceContext): {
  definition: ServiceMethods; handlers: ServiceHandlers;
} {
  const { backend } = context;
  const members = (list: readonly Member[]): object[] => list.map(toWireMember);
  const definition: ServiceMethods = {
    MemberAdd: serverMethod('Cluster', 'MemberAdd', toMemberAddRequest),
    MemberRemove: serverMethod('Cluster', 'MemberRemove', toId('ID')),
    MemberUpdate: serverMethod('Cluster', 'MemberUpdate', toId('ID')),
    MemberList: serverMethod('Cluster', 'MemberList',
      (wire) => ({ linearizable: boolField(wire, 'linearizable') })),
    MemberPromote: serverMethod('Cluster', 'MemberPromote', toId('ID')),
  };
  const handlers: ServiceHandlers = {
    MemberAdd: unaryHandler(context, 'MemberAdd',
      async (request: ReturnType<typeof toMemberAddRequest>) => {
        if (request.peerURLs.length === 0 || !request.peerURLs.every(isValidPeerURL)) {
          throw etcdError('ETCD_ERR_MEMBER_BAD_URLS');
        }
        const added = await backend.memberAdd(request.peerURLs, request.isLearner);
        return {
          header: responseHeader(backend, 0), member: toWireMember(added.member),
          members: members(added.members),
        };
      }),
    MemberRemove: unaryHandler(context, 'MemberRemove', async ({ id }: IdRequest) => (
      { header: responseHeader(backend, 0), members: members(await backend.memberRemove(id)) })),
    MemberUpdate: unaryHandler(context, 'MemberUpdate', () =>
      Promise.reject(etcdError('ETCD_ERR_UNIMPLEMENTED', { detail: 'Cluster.MemberUpdate' }))),
    MemberList: unaryHandler(context, 'MemberList', async (
      { linearizable }: { linearizable: boolean }) => (
      { header: responseHeader(backend, 0),
        members: members(await backend.memberList(linearizable)) })),
    MemberPromote: unaryHandler(context, 'MemberPromote', async ({ id }: IdRequest) => (
      { header: responseHeader(backend, 0), members: members(await backend.memberPromote(id)) })),
  };
  return { definition, handlers };
}
