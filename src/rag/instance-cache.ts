import { FrequencySketch } from './frequency-sketch';

/**
 * A bounded cache of lazily created values with single-flight creation: the
 * first `get` of a key starts `create`, concurrent `get`s of that key wait for
 * the same promise, and a failed creation is not cached. Every value that
 * leaves the cache (pushed out by the bound, refused admission, removed with
 * `invalidate`, or dropped by `clear`) is handed to `finalize` exactly once.
 *
 * Policy 'tinylfu' (the default) is W-TinyLFU (Einziger, Friedman & Manes,
 * as in Caffeine): a new value enters a small LRU window (~1 % of capacity);
 * the window's oldest entry then competes with the main area's victim (the
 * oldest of its probation segment) and is only admitted if the frequency
 * sketch has seen it more often recently. The main area is a segmented LRU:
 * a hit in probation promotes to protected (~80 % of the main area), whose
 * overflow falls back to probation. One-hit keys from a long tail therefore
 * pass through the window without pushing out warm entries, and the sketch's
 * periodic halving lets a new hot set displace an old one.
 *
 * Policy 'lru' is plain LRU (the window is the whole cache). Both keep
 * recency with Map insertion order: "touch" = delete + set, the first key is
 * the least recently used.
 */
export interface CacheStats {
  hit(): void;
  miss(): void;
  /** A value pushed out by the bound, including a candidate refused admission. */
  evict(): void;
}

export type EvictionPolicy = 'lru' | 'tinylfu';

export interface InstanceCacheOptions {
  policy?: EvictionPolicy;
}

const WINDOW_SHARE = 0.01;
const PROTECTED_SHARE = 0.8;

export class InstanceCache<V> {
  private readonly window = new Map<string, V>();
  private readonly probation = new Map<string, V>();
  private readonly protectedLru = new Map<string, V>();
  private readonly windowCapacity: number;
  private readonly protectedCapacity: number;
  private readonly sketch: FrequencySketch | null;
  private readonly inflight = new Map<string, Promise<V>>();
  /** Bumped on invalidation so a creation that started before it is not stored. */
  private readonly generations = new Map<string, number>();
  readonly policy: EvictionPolicy;

  constructor(
    private readonly capacity: number,
    private readonly create: (key: string) => Promise<V>,
    private readonly finalize: (value: V, key: string) => Promise<void> | void,
    private readonly stats?: CacheStats,
    options: InstanceCacheOptions = {},
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`InstanceCache capacity must be a positive integer, got ${capacity}`);
    this.policy = options.policy ?? 'tinylfu';
    if (this.policy !== 'lru' && this.policy !== 'tinylfu') throw new Error(`InstanceCache policy must be 'lru' or 'tinylfu', got ${String(this.policy)}`);
    if (this.policy === 'lru') {
      this.windowCapacity = capacity;
      this.protectedCapacity = 0;
      this.sketch = null;
    } else {
      this.windowCapacity = Math.max(1, Math.round(capacity * WINDOW_SHARE));
      this.protectedCapacity = Math.floor((capacity - this.windowCapacity) * PROTECTED_SHARE);
      this.sketch = new FrequencySketch(capacity);
    }
  }

  get size(): number {
    return this.window.size + this.probation.size + this.protectedLru.size;
  }

  /** Cached keys, those likeliest to be evicted first (main area, then the window). */
  keys(): string[] {
    return [...this.probation.keys(), ...this.protectedLru.keys(), ...this.window.keys()];
  }

  has(key: string): boolean {
    return this.peek(key) !== undefined;
  }

  /** The cached value without creating one, touching recency or counting a hit. */
  peek(key: string): V | undefined {
    return this.window.get(key) ?? this.probation.get(key) ?? this.protectedLru.get(key);
  }

  async get(key: string): Promise<V> {
    this.sketch?.increment(key);
    const cached = this.touch(key);
    if (cached !== undefined) {
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
        const evicted = this.insert(key, value);
        for (const [k, v] of evicted) {
          this.stats?.evict();
          await this.safeFinalize(v, k);
        }
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
    const value = this.remove(key);
    if (value === undefined) return;
    await this.safeFinalize(value, key);
  }

  /** Drops every key matching `predicate` (e.g. all KBs of a deleted tenant). */
  async invalidateWhere(predicate: (key: string) => boolean): Promise<void> {
    for (const key of [...this.keys(), ...this.inflight.keys()]) if (predicate(key)) await this.invalidate(key);
  }

  /** Finalizes everything (shutdown). */
  async clear(): Promise<void> {
    await Promise.allSettled([...this.inflight.values()]);
    const all = [...this.window, ...this.probation, ...this.protectedLru];
    this.window.clear();
    this.probation.clear();
    this.protectedLru.clear();
    for (const [key, value] of all) await this.safeFinalize(value, key);
  }

  /** Finds a cached value and records the access in its segment's recency (and promotes from probation). */
  private touch(key: string): V | undefined {
    for (const segment of [this.window, this.protectedLru]) {
      const value = segment.get(key);
      if (value !== undefined) {
        segment.delete(key);
        segment.set(key, value);
        return value;
      }
    }
    const value = this.probation.get(key);
    if (value === undefined) return undefined;
    this.probation.delete(key);
    this.protectedLru.set(key, value);
    if (this.protectedLru.size > this.protectedCapacity) {
      const [demotedKey, demoted] = oldest(this.protectedLru)!;
      this.protectedLru.delete(demotedKey);
      this.probation.set(demotedKey, demoted);
    }
    return value;
  }

  /**
   * Puts a new value in the window and restores the bound synchronously (so no
   * other caller ever sees more than `capacity` entries); returns what left.
   */
  private insert(key: string, value: V): Array<[string, V]> {
    this.window.set(key, value);
    let candidate: string | undefined;
    if (this.window.size > this.windowCapacity) {
      const [k, v] = oldest(this.window)!;
      this.window.delete(k);
      this.probation.set(k, v);
      candidate = k;
    }
    const evicted: Array<[string, V]> = [];
    while (this.size > this.capacity) {
      evicted.push(this.evictOne(candidate));
      candidate = undefined;
    }
    return evicted;
  }

  /** The candidate (just left the window) against the main area's victim: the less frequent one goes. */
  private evictOne(candidate: string | undefined): [string, V] {
    const victim = this.mainVictim(candidate);
    if (candidate !== undefined) {
      const loser = victim !== undefined && this.sketch && this.sketch.frequency(candidate) > this.sketch.frequency(victim) ? victim : candidate;
      return [loser, this.remove(loser)!];
    }
    // The window is below its share (after invalidations): the main area is over its own.
    const key = victim ?? oldest(this.window)![0];
    return [key, this.remove(key)!];
  }

  private mainVictim(candidate: string | undefined): string | undefined {
    const first = oldest(this.probation)?.[0];
    if (first !== undefined && first !== candidate) return first;
    return oldest(this.protectedLru)?.[0];
  }

  private remove(key: string): V | undefined {
    for (const segment of [this.window, this.probation, this.protectedLru]) {
      const value = segment.get(key);
      if (value !== undefined) {
        segment.delete(key);
        return value;
      }
    }
    return undefined;
  }

  private async safeFinalize(value: V, key: string): Promise<void> {
    try {
      await this.finalize(value, key);
    } catch {
      // a failing finalizer must not break the cache
    }
  }
}

function oldest<V>(segment: Map<string, V>): [string, V] | undefined {
  return segment.entries().next().value;
}
