import { LRUCache } from 'lru-cache';

/**
 * The one in-process cache of Strata: bounded in entries (`max`, least
 * recently used evicted first) and, where given, in age (`ttlMs`, checked on
 * read). Everything that remembers a lookup for later requests (tenant and
 * user status, API keys, verified tokens, keyword extraction, tenant limits)
 * uses this, and is invalidated through TenantEvents (on every replica),
 * never by waiting alone; the TTL bounds staleness only while the link between
 * replicas is down.
 */
export interface CacheOptions {
  /** Most entries kept. */
  max: number;
  /** Age after which an entry is not served (ms); none = only evicted by size or invalidation. */
  ttlMs?: number;
  /** A bound on the entries' summed `sizeOf` too (for entries of very different sizes). */
  maxSize?: number;
}

/**
 * An LRU cache that also counts invalidations (`delete`, `clear`), so that a
 * value loaded from the database while an invalidation arrived is not stored:
 * the load may have read the row before the change (getOrLoad).
 */
export class Cache<K extends NonNullable<unknown>, V extends NonNullable<unknown>> extends LRUCache<K, V> {
  private invalidations = 0;

  override delete(key: K): boolean {
    this.invalidations++;
    return super.delete(key);
  }

  override clear(): void {
    this.invalidations++;
    super.clear();
  }

  /**
   * The cached value of `key`, else `load()`'s, which is stored unless it is
   * null or an invalidation happened while it loaded (then the next call
   * loads again).
   */
  async getOrLoad(key: K, load: () => Promise<V | null>): Promise<V | null> {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const before = this.invalidations;
    const value = await load();
    if (value !== null && this.invalidations === before) this.set(key, value);
    return value;
  }
}

export function createCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(
  opts: CacheOptions & { /** An entry's size, for maxSize. */ sizeOf?: (value: V) => number },
): Cache<K, V> {
  if (!Number.isInteger(opts.max) || opts.max < 1) throw new Error('createCache: max must be a positive integer');
  if (opts.maxSize !== undefined && !opts.sizeOf) throw new Error('createCache: maxSize needs sizeOf');
  return new Cache<K, V>({
    max: opts.max,
    ...(opts.ttlMs ? { ttl: opts.ttlMs, ttlAutopurge: false } : {}),
    ...(opts.maxSize !== undefined ? { maxSize: opts.maxSize, sizeCalculation: (v: V) => Math.max(1, opts.sizeOf!(v)) } : {}),
  });
}

/**
 * What announces changes (TenantEvents): listeners are called with every
 * event; resync listeners when events may have been missed (the link to the
 * other replicas was down), so everything cached must be forgotten.
 */
export interface ChangeSource<E> {
  subscribe(listener: (e: E) => void): void;
  onResync(listener: () => void): void;
}

/**
 * Makes `cache` forget what changed: for every event from `source`, the entry
 * whose key `keyOf` returns is deleted at once (null: the event concerns no
 * entry of this cache); after a resync, every entry.
 */
export function invalidateOn<K extends NonNullable<unknown>, V extends NonNullable<unknown>, E>(cache: Cache<K, V>, source: ChangeSource<E>, keyOf: (e: E) => K | null): void {
  source.subscribe((e) => {
    const key = keyOf(e);
    if (key !== null) cache.delete(key);
  });
  source.onResync(() => cache.clear());
}
