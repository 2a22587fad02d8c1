/**
 * Goal: MVCCStore agrees with a naive model of etcd's semantics over thousands of random
 * puts, deletes, range deletes, txns (with nested txns and compares on missing keys) and
 * compactions. Method: the model keeps a Map of key -> {value, create, mod, version} plus a
 * full copy per revision; after every command the store's current range, revision and
 * watch events must match the model, and reads at random past revisions must match the
 * model's copy (or fail with Compacted below the compaction). Seeded with a tiny PRNG.
 */
import { describe, expect, it } from 'vitest';
import { MVCCStore, type StoreCommand } from '../../src/store/mvcc-store.js';
import { CompareResult, CompareTarget } from '../../src/store/types.js';
import type { Compare, RequestOp, TxnRequest } from '../../src/store/types.js';
import { b, codeOf, expectOk, Prng, s } from './helpers.js';

interface ModelKv {
  readonly value: string;
  readonly create: number;
  readonly mod: number;
  readonly version: number;
}

const keySpace = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];

/** Model is the naive reference: whole-map copies per revision. */
class Model {
  revision = 1;
  compacted = 0;
  kvs = new Map<string, ModelKv>();
  readonly history = new Map<number, Map<string, ModelKv>>([[1, new Map()]]);

  holds(compare: Compare, state: Map<string, ModelKv>): boolean {
    const kv = state.get(s(compare.key));
    if (kv === undefined && compare.target === CompareTarget.VALUE) {
      return false;
    }
    const actual = compare.target === CompareTarget.VERSION ? kv?.version ?? 0
      : compare.target === CompareTarget.MOD ? kv?.mod ?? 0 : 0;
    const wanted = compare.target === CompareTarget.VERSION ? compare.version ?? 0
      : compare.modRevision ?? 0;
    const order = compare.target === CompareTarget.VALUE
      ? (kv?.value ?? '').localeCompare(s(compare.value ?? b('')))
      : Math.sign(actual - wanted);
    return compare.result === CompareResult.EQUAL ? order === 0
      : compare.result === CompareResult.GREATER ? order > 0 : order < 0;
  }

  /** Applies write ops (no reads); returns whether anything changed. */
  write(ops: readonly RequestOp[], pre: Map<string, ModelKv>, next: number): boolean {
    let changed = false;
    for (const op of ops) {
      if ('requestPut' in op) {
        const key = s(op.requestPut.key);
        const old = this.kvs.get(key);
        this.kvs.set(key, { value: s(op.requestPut.value ?? b('')), create: old?.create ?? next,
          mod: next, version: (old?.version ?? 0) + 1 });
        changed = true;
      } else if ('requestDeleteRange' in op) {
        const start = s(op.requestDeleteRange.key);
        const end = op.requestDeleteRange.rangeEnd;
        for (const key of [...this.kvs.keys()]) {
          if (end === undefined ? key === start : key >= start && key < s(end)) {
            changed = this.kvs.delete(key) || changed;
          }
        }
      } else if ('requestTxn' in op) {
        const txn = op.requestTxn;
        const ok = (txn.compare ?? []).every((compare) => this.holds(compare, pre));
        changed = this.write((ok ? txn.success : txn.failure) ?? [], pre, next) || changed;
      }
    }
    return changed;
  }

  apply(command: StoreCommand): void {
    const pre = new Map(this.kvs);
    const next = this.revision + 1;
    let changed = false;
    if (command.type === 'put') {
      changed = this.write([{ requestPut: command.request }], pre, next);
    } else if (command.type === 'deleteRange') {
      changed = this.write([{ requestDeleteRange: command.request }], pre, next);
    } else if (command.type === 'txn') {
      changed = this.write([{ requestTxn: command.request }], pre, next);
    } else if (command.type === 'compaction') {
      const revision = command.request.revision;
      if (revision <= this.revision && revision > this.compacted) {
        this.compacted = revision;
      }
    }
    if (changed) {
      this.revision = next;
      this.history.set(next, new Map(this.kvs));
    }
  }
}

function randomCompare(prng: Prng): Compare {
  const target = prng.pick([CompareTarget.VERSION, CompareTarget.MOD, CompareTarget.VALUE]);
  return {
    key: b(prng.pick(keySpace)), target,
    result: prng.pick([CompareResult.EQUAL, CompareResult.GREATER, CompareResult.LESS]),
    version: prng.int(3), modRevision: prng.int(30), value: b(`v${prng.int(3)}`),
  };
}

function randomTxn(prng: Prng, used: Set<string>, depth: number): TxnRequest {
  const branch = (): RequestOp[] => {
    const ops: RequestOp[] = [];
    for (let i = prng.int(4); i > 0; i--) {
      const key = prng.pick(keySpace);
      if (depth < 2 && prng.int(6) === 0) {
        ops.push({ requestTxn: randomTxn(prng, used, depth + 1) });
      } else if (!used.has(key)) {
        used.add(key);
        ops.push(prng.int(4) === 0 ? { requestDeleteRange: { key: b(key) } }
          : { requestPut: { key: b(key), value: b(`v${prng.int(3)}`) } });
      }
    }
    return ops;
  };
  const compare = Array.from({ length: prng.int(3) }, () => randomCompare(prng));
  return { compare, success: branch(), failure: branch() };
}

function randomCommand(prng: Prng, model: Model): StoreCommand {
  const roll = prng.int(100);
  if (roll < 45) {
    return { type: 'put', request: { key: b(prng.pick(keySpace)), value: b(`v${prng.int(3)}`) } };
  }
  if (roll < 60) {
    const key = prng.pick(keySpace);
    return { type: 'deleteRange', request: prng.int(3) === 0
      ? { key: b(key), rangeEnd: b(prng.pick(keySpace)) } : { key: b(key) } };
  }
  if (roll < 97) {
    return { type: 'txn', request: randomTxn(prng, new Set(), 0) };
  }
  const revision = model.compacted + 1 + prng.int(Math.max(1, model.revision - model.compacted));
  return { type: 'compaction', request: { revision } };
}

function view(store: MVCCStore, revision: number): Map<string, ModelKv> {
  const response = expectOk(store.range({ key: new Uint8Array([0]),
    rangeEnd: new Uint8Array([0]), revision }));
  return new Map(response.kvs.map((kv) => [s(kv.key), {
    value: s(kv.value), create: kv.createRevision, mod: kv.modRevision, version: kv.version,
  }]));
}

describe('randomized model', () => {
  it.each([101, 202, 303])('matches the naive model over 3000 commands (seed %i)', (seed) => {
    const prng = new Prng(seed);
    const store = new MVCCStore();
    const model = new Model();
    const outcomes = new Map<string, number>();
    for (let step = 0; step < 3000; step++) {
      const command = randomCommand(prng, model);
      const before = model.revision;
      model.apply(command);
      const applied = store.apply(command);
      const code = `${command.type}:${codeOf(applied.result)}`;
      outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
      expect(applied.revision, `step ${step}`).toBe(model.revision);
      expect(applied.events.length > 0).toBe(model.revision === before + 1);
      expect(view(store, 0), `step ${step}`).toEqual(model.kvs);
      if (step % 25 === 0) {
        const past = 1 + prng.int(model.revision);
        const outcome = store.range({ key: b('a'), rangeEnd: b('z'), revision: past });
        if (past < model.compacted) {
          expect(codeOf(outcome)).toBe('STORE_ERR_COMPACTED');
        } else {
          expect(view(store, past)).toEqual(model.history.get(past));
        }
      }
    }
    // The mix must actually exercise every path.
    for (const code of ['put:ok', 'deleteRange:ok', 'txn:ok', 'compaction:ok']) {
      expect(outcomes.get(code) ?? 0, code).toBeGreaterThan(20);
    }
  });
});
