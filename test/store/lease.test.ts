/**
 * Goal: leases behave like etcd's lessor made deterministic: grant (id picking, minimum and
 * maximum TTL, duplicates), attach on put and detach on overwrite or delete, revoke deleting
 * every attached key in ONE revision, keepalive, time-to-live, expiry reporting and
 * promotion. Method: commands stamped with explicit nowMs values.
 */
import { describe, expect, it } from 'vitest';
import { leaseTtlSecondsMax, leaseTtlSecondsMin } from '../../src/store/limits.js';
import { MVCCStore } from '../../src/store/mvcc-store.js';
import { EventType } from '../../src/store/types.js';
import { codeOf, del, expectOk, get, put, s } from './helpers.js';

const grant = (store: MVCCStore, TTL: number, ID = 0, nowMs = 0): ReturnType<
  typeof store.apply<{ type: 'leaseGrant'; request: { TTL: number; ID: number };
    nowMs: number }>> =>
  store.apply({ type: 'leaseGrant', request: { TTL, ID }, nowMs });

describe('lease grant', () => {
  it('picks ids deterministically and skips taken ones', () => {
    const store = new MVCCStore();
    expect(expectOk(grant(store, 10, 2).result).ID).toBe(2);
    expect(expectOk(grant(store, 10).result).ID).toBe(1);
    expect(expectOk(grant(store, 10).result).ID).toBe(3);
    expect(store.leaseIds()).toEqual([1, 2, 3]);
    expect(store.revision).toBe(1);
  });

  it.each([
    ['below the minimum is raised', 1, 'ok', leaseTtlSecondsMin],
    ['zero is raised', 0, 'ok', leaseTtlSecondsMin],
    ['the maximum is accepted', leaseTtlSecondsMax, 'ok', leaseTtlSecondsMax],
    ['above the maximum fails', leaseTtlSecondsMax + 1, 'STORE_ERR_LEASE_TTL_TOO_LARGE', 0],
  ])('ttl %s', (_name, ttl, code, granted) => {
    const outcome = grant(new MVCCStore(), ttl).result;
    expect(codeOf(outcome)).toBe(code);
    if (outcome.ok) {
      expect(outcome.response.TTL).toBe(granted);
    }
  });

  it('rejects a duplicate id with the etcd message', () => {
    const store = new MVCCStore();
    expectOk(grant(store, 10, 7).result);
    const outcome = grant(store, 10, 7).result;
    expect(outcome.ok ? '' : outcome.error.message).toBe('etcdserver: lease already exists');
  });
});

describe('lease attachment and revoke', () => {
  it('revokes every attached key in one revision', () => {
    const store = new MVCCStore();
    expectOk(grant(store, 10, 5).result);
    put(store, 'a', '1', { lease: 5 }); // 2
    put(store, 'b', '1', { lease: 5 }); // 3
    put(store, 'c', '1', { lease: 5 }); // 4
    put(store, 'c', '2'); // 5: detached by the overwrite without a lease
    put(store, 'free', '1'); // 6
    expect(store.leaseTimeToLive({ ID: 5, keys: true }, 0).keys.map(s)).toEqual(['a', 'b']);
    const applied = store.apply({ type: 'leaseRevoke', request: { ID: 5 } });
    expect(expectOk(applied.result).header.revision).toBe(7);
    expect(applied.events.map((event) => [event.type, s(event.kv.key), event.kv.modRevision]))
      .toEqual([[EventType.DELETE, 'a', 7], [EventType.DELETE, 'b', 7]]);
    expect(get(store, 'a')).toBeUndefined();
    expect(get(store, 'c')).toBeDefined();
    expect(store.leaseTimeToLive({ ID: 5 }, 0).TTL).toBe(-1);
    expect(codeOf(store.apply({ type: 'leaseRevoke', request: { ID: 5 } }).result))
      .toBe('STORE_ERR_LEASE_NOT_FOUND');
  });

  it('keeps the lease with ignoreLease and detaches on delete', () => {
    const store = new MVCCStore();
    expectOk(grant(store, 10, 9).result);
    put(store, 'k', '1', { lease: 9 });
    put(store, 'k', '2', { ignoreLease: true });
    expect(get(store, 'k')?.lease).toBe(9);
    del(store, 'k');
    expect(store.leaseTimeToLive({ ID: 9, keys: true }, 0).keys).toEqual([]);
    const revoked = store.apply({ type: 'leaseRevoke', request: { ID: 9 } });
    expect(revoked.events).toEqual([]);
    expect(revoked.revision).toBe(store.revision);
  });

  it('rejects ignoreLease with a lease given', () => {
    const outcome = put(new MVCCStore(), 'k', '', { ignoreLease: true, lease: 3 }).result;
    expect(codeOf(outcome)).toBe('STORE_ERR_LEASE_PROVIDED');
  });
});

describe('lease time', () => {
  it('reports remaining TTL, renews on keepalive and expires at nowMs', () => {
    const store = new MVCCStore();
    expectOk(grant(store, 10, 1, 1_000).result);
    expect(store.leaseTimeToLive({ ID: 1 }, 1_000)).toMatchObject({ TTL: 10, grantedTTL: 10 });
    expect(store.leaseTimeToLive({ ID: 1 }, 5_500).TTL).toBe(5);
    expect(store.expiredLeases(10_999)).toEqual([]);
    expect(store.expiredLeases(11_000)).toEqual([1]);
    const renewed = store.apply({ type: 'leaseKeepAlive', request: { ID: 1 }, nowMs: 9_000 });
    expect(expectOk(renewed.result)).toMatchObject({ ID: 1, TTL: 10 });
    expect(store.expiredLeases(11_000)).toEqual([]);
    expect(store.leaseTimeToLive({ ID: 1 }, 30_000).TTL).toBe(0);
    const late = store.apply({ type: 'leaseKeepAlive', request: { ID: 1 }, nowMs: 30_000 });
    expect(codeOf(late.result)).toBe('STORE_ERR_LEASE_NOT_FOUND');
  });

  it('orders expired leases by expiry then id and bounds the batch', () => {
    const store = new MVCCStore();
    grant(store, 30, 1);
    grant(store, 10, 2);
    grant(store, 10, 3);
    expect(store.expiredLeases(60_000)).toEqual([2, 3, 1]);
    expect(store.expiredLeases(60_000, { countMax: 2 })).toEqual([2, 3]);
  });

  it('promote pushes every expiry out by ttl + extend', () => {
    const store = new MVCCStore();
    grant(store, 10, 1, 0);
    const promoted = store.apply({ type: 'leasePromote', nowMs: 50_000, extendMs: 2_000 });
    expect(expectOk(promoted.result).leases).toBe(1);
    expect(store.expiredLeases(61_999)).toEqual([]);
    expect(store.expiredLeases(62_000)).toEqual([1]);
  });
});
