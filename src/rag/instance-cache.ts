/**
 * A bounded LRU of lazily created values with single-flight creation: the
 * first `get` of a key starts `create`, concurrent `get`s of that key wait for
 * the same promise, and a failed creation is not cached. Values pushed out by
 * the bound (or removed with `invalidate`) are handed to `finalize`.
 *
 * Map iteration order is insertion order, so "touch" = delete + set and the
 * least recently used entry is the first key.
 */
export interface CacheStats {
  hit(): void;
  miss(): void;
  evict(): void;
}

export class InstanceCache<V> {
  private readonly entries = new Map<string, V>();
  private readonly inflight = new Map<string, Promise<V>>();
  /** Bumped on invalidation so a creation that started before it is not stored. */
  private readonly generations = new Map<string, number>();

  constructor(
    private readonly capacity: number,
    private readonly create: (key: string) => Promise<V>,
    private readonly finalize: (value: V, key: string) => Promise<void> | void,
    private readonly stats?: CacheStats,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`InstanceCache capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  async get(key: string): Promise<V> {
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      this.stats?.hit();
      return cached;
    }
    const pending = this.inflight.get(key);
    if (pending) {
      this.stats?.hit();
      return pending;
    }
    this.stats?.miss();
    const generation = this.generations.get(key) ?? 0;
    const promise = (async () => {
      try {
        const value = await this.create(key);
        if ((this.generations.get(key) ?? 0) !== generation) {
          // Invalidated while being created: hand it out once, keep nothing.
          await this.safeFinalize(value, key);
          return value;
        }
        this.entries.set(key, value);
        await this.evictOverflow();
        return value;
      } finally {
        this.inflight.delete(key);
      }
    })();
    this.inflight.set(key, promise);
    return promise;
  }

  /** Drops one key (config changed, KB deleted); its value is finalized. */
  async invalidate(key: string): Promise<void> {
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
    const value = this.entries.get(key);
    if (value === undefined) return;
    this.entries.delete(key);
    await this.safeFinalize(value, key);
  }

  /** Drops every key matching `predicate` (e.g. all KBs of a deleted tenant). */
  async invalidateWhere(predicate: (key: string) => boolean): Promise<void> {
    for (const key of [...this.entries.keys(), ...this.inflight.keys()]) if (predicate(key)) await this.invalidate(key);
  }

  /** Finalizes everything (shutdown). */
  async clear(): Promise<void> {
    await Promise.allSettled([...this.inflight.values()]);
    const all = [...this.entries.entries()];
    this.entries.clear();
    for (const [key, value] of all) await this.safeFinalize(value, key);
  }

  private async evictOverflow(): Promise<void> {
    while (this.entries.size > this.capacity) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, V];
      this.entries.delete(oldestKey);
      this.stats?.evict();
      await this.safeFinalize(oldest, oldestKey);
    }
  }

  private async safeFinalize(value: V, key: string): Promise<void> {
    try {
      await this.finalize(value, key);
    } catch {
      // a failing finalizer must not break the cache
    }
  }
}
