/**
 * @module bench/wire
 * Hand-encoded etcd v3 request bytes for the TypeScript load generator, so no protobuf
 * encoder runs on the hot path: a PutRequest template whose key digits are rewritten in
 * place per request, and a RangeRequest encoded once. Field numbers from proto/etcd/rpc.proto:
 * PutRequest key = 1, value = 2; RangeRequest key = 1, serializable = 7. Pure.
 */
import { assert } from '../util/assert.js';

/** Appends `value` as a protobuf varint. */
function varint(value: number): number[] {
  assert(Number.isSafeInteger(value) && value >= 0, `varint of ${value}`);
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

/** Returns the bytes of a length-delimited field `field` holding `payload`. */
function lengthDelimited(field: number, payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...varint(payload.length)]), payload]);
}

/** Returns the key of request number `index`: `prefix` + zero-padded decimal, `keyBytes` long. */
export function generatedKey(options: { prefix: string; keyBytes: number; index: number }):
  string {
  const digits = String(options.index);
  return options.prefix + '0'.repeat(Math.max(0, options.keyBytes - options.prefix.length -
    digits.length)) + digits;
}

/**
 * PutEncoder writes PutRequest bytes for key number `index` into one reusable buffer.
 * NB: grpc-js copies the serialized message into its frame at once, so one buffer per
 * closed-loop client is safe to reuse after each call is sent.
 */
export class PutEncoder {
  private readonly template: Buffer;
  private readonly keyOffset: number;

  constructor(private readonly options: { prefix: string; keyBytes: number;
    valueBytes: number; keySpace: number }) {
    assert(options.keySpace > 0, 'keySpace must be positive');
    assert(String(options.keySpace - 1).length + options.prefix.length <= options.keyBytes,
      'keyBytes too small for the key space');
    const key = Buffer.from(generatedKey({ ...options, index: 0 }));
    const keyField = lengthDelimited(1, key);
    this.keyOffset = keyField.length - key.length;
    this.template = Buffer.concat([keyField,
      lengthDelimited(2, Buffer.alloc(options.valueBytes, 'x'))]);
  }

  /** Returns a fresh buffer holding the request for key number `index % keySpace`. */
  encode(index: number, target: Buffer = Buffer.allocUnsafe(this.template.length)): Buffer {
    assert(target.length === this.template.length, 'PutEncoder target of the wrong length');
    this.template.copy(target);
    const key = generatedKey({ ...this.options, index: index % this.options.keySpace });
    target.write(key, this.keyOffset, 'latin1');
    return target;
  }

  /** The encoded length of every request. */
  get length(): number {
    return this.template.length;
  }
}

/** Returns RangeRequest bytes for one `key`, serializable or linearizable. */
export function encodeRange(options: { key: string; serializable: boolean }): Buffer {
  const keyField = lengthDelimited(1, Buffer.from(options.key));
  return options.serializable ? Buffer.concat([keyField, Buffer.from([7 << 3, 1])]) : keyField;
}
