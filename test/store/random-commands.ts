/**
 * A seeded generator of random store commands over a small key space, shared by the
 * determinism, persistence and model tests. It mixes puts (some with leases), deletes of
 * keys and ranges, txns with compares and nested txns, lease grants, keepalives and revokes,
 * and occasional compactions.
 */
import type { MVCCStore, StoreCommand } from '../../src/store/mvcc-store.js';
import { CompareResult, CompareTarget } from '../../src/store/types.js';
import type { RequestOp } from '../../src/store/types.js';
import { b, type Prng } from './helpers.js';

const keySpace = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

function randomKey(prng: Prng): string {
  return prng.pick(keySpace);
}

function randomWrite(prng: Prng, used: Set<string>): RequestOp | undefined {
  const key = randomKey(prng);
  if (used.has(key)) {
    return undefined;
  }
  used.add(key);
  if (prng.int(4) === 0) {
    return { requestDeleteRange: { key: b(key) } };
  }
  return { requestPut: { key: b(key), value: b(`v${prng.int(1000)}`) } };
}

function randomTxn(prng: Prng): StoreCommand {
  const used = new Set<string>();
  const branch = (): RequestOp[] => {
    const ops: RequestOp[] = [];
    for (let i = prng.int(4); i > 0; i--) {
      const op = randomWrite(prng, used);
      if (op !== undefined) {
        ops.push(op);
      }
    }
    if (prng.int(3) === 0) {
      ops.push({ requestRange: { key: b('a'), rangeEnd: b('z') } });
    }
    return ops;
  };
  const success = branch();
  used.clear();
  const failure = branch();
  const compare = [{
    key: b(randomKey(prng)), target: prng.pick([CompareTarget.VERSION, CompareTarget.MOD]),
    result: prng.pick([CompareResult.EQUAL, CompareResult.GREATER, CompareResult.LESS]),
    version: prng.int(3), modRevision: prng.int(20),
  }];
  return { type: 'txn', request: { compare, success, failure } };
}

/** Returns one random command valid or invalid for the store's current state. */
export function randomCommand(prng: Prng, store: MVCCStore, nowMs: number): StoreCommand {
  const roll = prng.int(100);
  const leases = store.leaseIds();
  if (roll < 45) {
    const lease = leases.length > 0 && prng.int(4) === 0 ? prng.pick(leases) : 0;
    return { type: 'put', request: { key: b(randomKey(prng)), value: b(`v${prng.int(1000)}`),
      lease, prevKv: prng.int(2) === 0 } };
  }
  if (roll < 60) {
    const key = randomKey(prng);
    const ranged = prng.int(3) === 0;
    return { type: 'deleteRange', request: ranged
      ? { key: b(key), rangeEnd: b(randomKey(prng)), prevKv: true } : { key: b(key) } };
  }
  if (roll < 80) {
    return randomTxn(prng);
  }
  if (roll < 85) {
    return { type: 'leaseGrant', request: { TTL: 1 + prng.int(20), ID: prng.int(3) }, nowMs };
  }
  if (roll < 90 && leases.length > 0) {
    return { type: 'leaseRevoke', request: { ID: prng.pick(leases) } };
  }
  if (roll < 95 && leases.length > 0) {
    return { type: 'leaseKeepAlive', request: { ID: prng.pick(leases) }, nowMs };
  }
  if (prng.int(4) !== 0) {
    return { type: 'put', request: { key: b(randomKey(prng)), value: b('tail') } };
  }
  const span = store.revision - store.compactRevision;
  const revision = store.compactRevision + 1 + prng.int(Math.max(1, span));
  return { type: 'compaction', request: { revision: Math.min(revision, store.revision) } };
}
