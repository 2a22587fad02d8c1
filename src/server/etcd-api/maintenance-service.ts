/**
 * @module server/etcd-api/maintenance-service
 * The etcd Maintenance service.
 * - Status reports the backend's PeerStatus (its `version` is what etcd clients check).
 * - Alarm always reports no alarms: Coracle raises none (there is no space quota alarm).
 * - Defragment succeeds without doing anything: LevelDB compacts on its own.
 * - Hash is a CRC-32 of the backend snapshot; it is comparable between Coracle members only.
 *   HashKV and Downgrade answer UNIMPLEMENTED.
 * - Snapshot streams `backend.snapshot()` wrapped as a snapshot file (snapshot-file.ts:
 *   512-byte aligned, SHA-256 trailer, which `etcdctl snapshot save` verifies) in 32 KiB
 *   chunks with remaining_bytes. It is not a bbolt file: etcd's `snapshot status`/`restore`
 *   cannot read it. Writes wait for 'drain', so a slow reader holds at most one chunk in
 *   flight beyond gRPC's buffer.
 * - MoveLeader asks the backend to transfer leadership.
 */
import { crc32 } from 'node:zlib';
import type { ServiceHandlers, ServiceMethods, StreamingCall } from '../../grpc/calls.js';
import { type IdRequest, toId, toNothing } from './decode.js';
import { EtcdError, etcdError, toEtcdError } from './errors.js';
import {
  type ActiveStream, type ServiceContext, endStreamWithError, logFailure, responseHeader,
  unaryHandler, whenWritable,
} from './handler.js';
import { snapshotChunkBytes } from './limits.js';
import { serverMethod } from './proto.js';
import { buildSnapshotFile } from './snapshot-file.js';

/** Streams one snapshot to a client (see the module comment). */
async function sendSnapshot(
  context: ServiceContext, call: StreamingCall,
): Promise<void> {
  let closed = false;
  const stream: ActiveStream = {
    stop: (error) => {
      if (!closed) {
        closed = true;
        endStreamWithError(call, error);
      }
    },
  };
  for (const event of ['cancelled', 'close', 'error', 'finish'] as const) {
    call.on(event, () => {
      closed = true;
    });
  }
  context.streams.add(stream);
  try {
    if (call.request instanceof EtcdError) {
      throw call.request;
    }
    const file = buildSnapshotFile(await context.backend.snapshot());
    const status = await context.backend.status();
    const header = responseHeader(context.backend, status.revision);
    for (let offset = 0; offset < file.length && !closed; offset += snapshotChunkBytes) {
      const blob = file.subarray(offset, offset + snapshotChunkBytes);
      const remainingBytes = file.length - offset - blob.length;
      if (!call.write({ header, remainingBytes, blob })) {
        await whenWritable(call);
      }
    }
    if (!closed) {
      closed = true;
      call.end();
    }
  } catch (error) {
    const failure = toEtcdError(error);
    logFailure(context.logger, 'Snapshot', failure);
    stream.stop(failure);
  } finally {
    context.streams.delete(stream);
  }
}

/** The Maintenance service definition and its handlers, ready for `server.addService`. */
export function maintenanceService(context: ServiceContext): {
  definition: ServiceMethods; handlers: ServiceHandlers;
} {
  const { backend } = context;
  const definition: ServiceMethods = {
    Alarm: serverMethod('Maintenance', 'Alarm', toNothing),
    Status: serverMethod('Maintenance', 'Status', toNothing),
    Defragment: serverMethod('Maintenance', 'Defragment', toNothing),
    Hash: serverMethod('Maintenance', 'Hash', toNothing),
    HashKV: serverMethod('Maintenance', 'HashKV', toNothing),
    Snapshot: serverMethod('Maintenance', 'Snapshot', toNothing),
    MoveLeader: serverMethod('Maintenance', 'MoveLeader', toId('targetID')),
    Downgrade: serverMethod('Maintenance', 'Downgrade', toNothing),
  };
  const unimplemented = (name: string) => () =>
    Promise.reject(etcdError('ETCD_ERR_UNIMPLEMENTED', { detail: `Maintenance.${name}` }));
  const handlers: ServiceHandlers = {
    Alarm: unaryHandler(context, 'Alarm', () =>
      Promise.resolve({ header: responseHeader(backend, 0), alarms: [] })),
    Status: unaryHandler(context, 'Status', async () => {
      const status = await backend.status();
      return {
        header: responseHeader(backend, status.revision), version: status.version,
        dbSize: status.dbSize, leader: status.leader, raftIndex: status.raftIndex,
        raftTerm: status.raftTerm, raftAppliedIndex: status.raftAppliedIndex,
        errors: status.errors, dbSizeInUse: status.dbSizeInUse, isLearner: status.isLearner,
      };
    }),
    Defragment: unaryHandler(context, 'Defragment', () =>
      Promise.resolve({ header: responseHeader(backend, 0) })),
    Hash: unaryHandler(context, 'Hash', async () => {
      const data = await backend.snapshot();
      return { header: responseHeader(backend, 0), hash: crc32(data) };
    }),
    HashKV: unaryHandler(context, 'HashKV', unimplemented('HashKV')),
    Snapshot: (call: StreamingCall) => {
      void sendSnapshot(context, call);
    },
    MoveLeader: unaryHandler(context, 'MoveLeader', async ({ id }: IdRequest) => {
      await backend.moveLeader(id);
      return { header: responseHeader(backend, 0) };
    }),
    Downgrade: unaryHandler(context, 'Downgrade', unimplemented('Downgrade')),
  };
  return { definition, handlers };
}
