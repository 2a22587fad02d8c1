/**
 * @module store/lessor
 *
 * Lessor is the replicated lease table, after etcd's server/lease/lessor.go, made
 * deterministic: expiry is an absolute `expiryMs` computed from the `nowMs` the proposer
 * stamped into the command, so every peer holds the same table.
 *
 * Keepalive semantics (a deliberate choice, documented for the shell): keepalives are
 * PROPOSED through Raft (`leaseKeepAlive` commands), so a renewal survives leader failover
 * without etcd's separate checkpoint mechanism. A newly elected leader SHOULD propose one
 * `leasePromote` (etcd's lessor.Promote) before it proposes revokes, which pushes every
 * expiry to at least nowMs + TTL + extendMs; this absorbs clock skew between the old and the
 * new leader and the election gap. The store never expires a lease on its own: the leader
 * asks `expiredLeases(nowMs)` and proposes `leaseRevoke` for each.
 */
import { assert, assertSafeInteger } from './assert.js';
import { type Outcome, fail, ok } from './errors.js';
import { leasesMax, leaseTtlSecondsMax, leaseTtlSecondsMin } from './limits.js';
import type { LeaseGrantRequest } from './types.js';

/** Lease is one granted lease. `keys` holds the attached keys as binary strings. */
export interface Lease {
  readonly id: number;
  /** Granted TTL in seconds (after raising to the minimum). */
  readonly ttlSeconds: number;
  /** Absolute expiry on the proposers' clock, in milliseconds. */
  expiryMs: number;
  readonly keys: Set<string>;
}

/** Converts seconds to milliseconds for expiry arithmetic. */
const msPerSecond = 1000;

/** Lessor holds the lease table and the next id the store hands out for ID 0. */
export class Lessor {
  private readonly leases = new Map<number, Lease>();
  /** Next candidate for a store-picked id; ids are handed out ascending, skipping taken ones. */
  idNext = 1;

  /** Number of leases. */
  get size(): number {
    return this.leases.size;
  }

  /** Returns the lease with `id`, if any. */
  get(id: number): Lease | undefined {
    return this.leases.get(id);
  }

  /** Returns every lease ordered by id. */
  list(): Lease[] {
    return [...this.leases.values()].sort((left, right) => left.id - right.id);
  }

  /** Grants a lease; `id` 0 picks the next free id. Errors are etcd's. */
  grant(request: LeaseGrantRequest, nowMs: number): Outcome<Lease> {
    const id = request.ID ?? 0;
    const ttlSeconds = request.TTL;
    assertSafeInteger(id, 'lease id');
    assertSafeInteger(ttlSeconds, 'lease ttl');
    assertSafeInteger(nowMs, 'nowMs');
    if (ttlSeconds > leaseTtlSecondsMax) {
      return fail('STORE_ERR_LEASE_TTL_TOO_LARGE');
    }
    if (id !== 0 && this.leases.has(id)) {
      return fail('STORE_ERR_LEASE_EXISTS');
    }
    if (this.leases.size >= leasesMax) {
      return fail('STORE_ERR_TOO_MANY_LEASES');
    }
    const chosen = id !== 0 ? id : this.pickId();
    const ttl = Math.max(ttlSeconds, leaseTtlSecondsMin);
    const lease: Lease = {
      id: chosen, ttlSeconds: ttl, expiryMs: nowMs + ttl * msPerSecond, keys: new Set(),
    };
    this.leases.set(chosen, lease);
    assertSafeInteger(lease.expiryMs, 'lease expiry');
    return ok(lease);
  }

  /** Restores a lease from a persisted row. */
  restore(row: { id: number; ttlSeconds: number; expiryMs: number }): void {
    const { id, ttlSeconds, expiryMs } = row;
    assert(id !== 0, 'restored lease id is not 0');
    assert(!this.leases.has(id), 'restored lease is new');
    this.leases.set(id, { id, ttlSeconds, expiryMs, keys: new Set() });
  }

  /** Removes the lease and returns its attached keys in byte order. */
  revoke(id: number): string[] | undefined {
    const lease = this.leases.get(id);
    if (lease === undefined) {
      return undefined;
    }
    this.leases.delete(id);
    const keys = [...lease.keys].sort();
    assert(!this.leases.has(id), 'revoked lease is gone');
    return keys;
  }

  /**
   * Renews the lease to nowMs + TTL. A lease already past its expiry at `nowMs` is treated
   * as gone (STORE_ERR_LEASE_NOT_FOUND): etcd's Renew waits for the pending revoke and then
   * reports the lease as not found, and a deterministic core cannot wait.
   */
  keepAlive(id: number, nowMs: number): Outcome<Lease> {
    assertSafeInteger(nowMs, 'nowMs');
    const lease = this.leases.get(id);
    if (lease === undefined || lease.expiryMs <= nowMs) {
      return fail('STORE_ERR_LEASE_NOT_FOUND');
    }
    lease.expiryMs = nowMs + lease.ttlSeconds * msPerSecond;
    assert(lease.expiryMs > nowMs, 'renewed lease expires in the future');
    return ok(lease);
  }

  /** Pushes every expiry to at least nowMs + TTL + extendMs; returns the changed leases. */
  promote(clock: { nowMs: number; extendMs: number }): Lease[] {
    const { nowMs, extendMs } = clock;
    assertSafeInteger(nowMs, 'nowMs');
    assert(Number.isSafeInteger(extendMs) && extendMs >= 0, 'extendMs >= 0');
    const changed: Lease[] = [];
    for (const lease of this.list()) {
      const expiryMs = nowMs + lease.ttlSeconds * msPerSecond + extendMs;
      if (expiryMs > lease.expiryMs) {
        lease.expiryMs = expiryMs;
        changed.push(lease);
      }
    }
    return changed;
  }

  /** Attaches `keyText` to lease `id`, which MUST exist. */
  attach(id: number, keyText: string): void {
    const lease = this.leases.get(id);
    assert(lease !== undefined, 'attached lease exists');
    lease.keys.add(keyText);
  }

  /** Detaches `keyText` from lease `id` when the lease still exists. */
  detach(id: number, keyText: string): void {
    this.leases.get(id)?.keys.delete(keyText);
  }

  /** Returns up to `countMax` ids expired at `nowMs`, soonest expiry first, then by id. */
  expired(query: { nowMs: number; countMax: number }): number[] {
    const { nowMs, countMax } = query;
    assertSafeInteger(nowMs, 'nowMs');
    assert(Number.isSafeInteger(countMax) && countMax >= 0, 'countMax >= 0');
    const expired = [...this.leases.values()].filter((lease) => lease.expiryMs <= nowMs);
    expired.sort((left, right) => left.expiryMs - right.expiryMs || left.id - right.id);
    return expired.slice(0, countMax).map((lease) => lease.id);
  }

  private pickId(): number {
    // NB: at most leasesMax ids are taken, so this loop ends within leasesMax + 1 steps.
    while (this.leases.has(this.idNext) || this.idNext === 0) {
      this.idNext += 1;
    }
    const id = this.idNext;
    this.idNext += 1;
    assertSafeInteger(this.idNext, 'next lease id');
    return id;
  }
}
