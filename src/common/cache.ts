import { LRUCache } from 'lru-cache';

/**
 * The one in-process cache of Strata: bounded in entries (`max`, least
 * recently used evicted first) and, where given, in age (`ttlMs`, checked on
 * read). Everything that remembers a lookup for later requests (tenant and
 * user status, API keys, verified tokens, keyword extraction, tenant limits)
 * uses this, and is invalidated through TenantEvents, never by waiting alone.
 */
export interface CacheOptions {
  /** Most entries kept. */
  max: number;
  /** Age after which an entry is not served (ms); none = only evicted by size or invalidation. */
  ttlMs?: number;
}

export type Cache<K extends NonNullable<unknown>, V extends NonNullable<unknown>> = LRUCache<K, V>;

export function createCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(opts: CacheOptions): Cache<K, V> {
  if (!Number.isInteger(opts.max) || opts.max < 1) throw new Error('createCache: max must be a positive integer');
  return new LRUCache<K, V>({ max: opts.max, ...(opts.ttlMs ? { ttl: opts.ttlMs, ttlAutopurge: false } : {}) });
}

/** What announces changes (TenantEvents): listeners are called with every event. */
export interface ChangeSource<E> {
  subscribe(listener: (e: E) => void): void;
}

/**
 * Makes `cache` forget what changed: for every event from `source`, the entry
 * whose key `keyOf` returns is deleted at once (null: the event concerns no
 * entry of this cache).
 */
export function invalidateOn<K extends NonNullable<unknown>, V extends NonNullable<unknown>, E>(cache: Cache<K, V>, source: ChangeSource<E>, keyOf: (e: E) => K | null): void {
  source.subscribe((e) => {
    const key = keyOf(e);
    if (key !== null) cache.delete(key);
  });
}
