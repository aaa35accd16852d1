import { EvictionPolicy, InstanceCache } from './instance-cache';

/**
 * Random operations (overlapping gets with slow or failing creations,
 * invalidations racing creations, invalidateWhere, clear) against a reference
 * model of which created values are alive. Seeded, so a failure names the
 * seed that reproduces it; no timers, so nothing depends on machine speed.
 */
interface Value {
  id: number;
  key: string;
}

function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

async function runRandomOperations(policy: EvictionPolicy, capacity: number, seed: number, steps: number): Promise<string[]> {
  const random = prng(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const keySpace = 3 * capacity + 2;
  // Skewed towards low key numbers, so there are hot keys and a tail.
  const randomKey = () => `k${Math.floor(keySpace * random() * random())}`;
  const errors: string[] = [];
  const fail = (msg: string) => errors.push(`[${policy} capacity=${capacity} seed=${seed}] ${msg}`);

  const alive = new Map<number, Value>(); // the model: created and not yet finalized
  const finalizedTimes = new Map<number, number>();
  let serial = 0;
  let creates = 0;
  let gets = 0;
  const s = { hits: 0, misses: 0, evictions: 0 };

  const cache: InstanceCache<Value> = new InstanceCache<Value>(
    capacity,
    async (key) => {
      creates++;
      await ticks(pick(4));
      if (random() < 0.1) throw new Error('creation failed');
      const value = { id: ++serial, key };
      alive.set(value.id, value);
      return value;
    },
    (value, key) => {
      const n = (finalizedTimes.get(value.id) ?? 0) + 1;
      finalizedTimes.set(value.id, n);
      alive.delete(value.id);
      if (n > 1) fail(`value ${value.id} finalized ${n} times`);
      if (value.key !== key) fail(`value ${value.id} of ${value.key} finalized as ${key}`);
      if (cache.peek(key) === value) fail(`value ${value.id} finalized while still cached`);
      if (cache.size > capacity) fail(`size ${cache.size} > ${capacity} during finalize`);
    },
    { hit: () => s.hits++, miss: () => s.misses++, evict: () => s.evictions++ },
    { policy },
  );

  const get = async (key: string) => {
    gets++;
    try {
      const value = await cache.get(key);
      if (value.key !== key) fail(`get(${key}) returned a value of ${value.key}`);
    } catch (err) {
      if ((err as Error).message !== 'creation failed') throw err;
    }
  };

  const checkQuiescent = (step: number, op: string) => {
    const keys = cache.keys();
    if (cache.size > capacity) fail(`step ${step} (${op}): size ${cache.size} > ${capacity}`);
    if (new Set(keys).size !== keys.length || keys.length !== cache.size) fail(`step ${step} (${op}): keys ${keys} vs size ${cache.size}`);
    const cachedIds = new Set<number>();
    for (const key of keys) {
      const value = cache.peek(key);
      if (!value || value.key !== key) fail(`step ${step} (${op}): ${key} cached as ${JSON.stringify(value)}`);
      else if (!alive.has(value.id)) fail(`step ${step} (${op}): cached value ${value.id} was finalized`);
      else cachedIds.add(value.id);
    }
    // No value lost: everything alive is in the cache (nothing is in flight now).
    for (const id of alive.keys()) if (!cachedIds.has(id)) fail(`step ${step} (${op}): value ${id} is neither cached nor finalized`);
    if (s.hits + s.misses !== gets) fail(`step ${step} (${op}): hits ${s.hits} + misses ${s.misses} != gets ${gets}`);
    if (s.misses !== creates) fail(`step ${step} (${op}): misses ${s.misses} != creations ${creates}`);
    if (s.evictions > finalizedTimes.size) fail(`step ${step} (${op}): more evictions than finalizations`);
  };

  for (let step = 0; step < steps && errors.length === 0; step++) {
    const r = random();
    let op: string;
    if (r < 0.7) {
      op = 'concurrent gets';
      await Promise.all(Array.from({ length: 1 + pick(3) }, () => get(randomKey())));
    } else if (r < 0.82) {
      op = 'get racing invalidate';
      const key = randomKey();
      const pending = get(key);
      await ticks(pick(4));
      await cache.invalidate(key);
      await pending;
      if (cache.has(key)) fail(`step ${step}: ${key} still cached after invalidate`);
    } else if (r < 0.95) {
      op = 'invalidate';
      const key = randomKey();
      await cache.invalidate(key);
      if (cache.has(key)) fail(`step ${step}: ${key} still cached after invalidate`);
    } else if (r < 0.99) {
      op = 'invalidateWhere';
      const digit = String(pick(10));
      await cache.invalidateWhere((k) => k.endsWith(digit));
      if (cache.keys().some((k) => k.endsWith(digit))) fail(`step ${step}: keys ending in ${digit} left after invalidateWhere`);
    } else {
      op = 'clear';
      await cache.clear();
      if (cache.size !== 0) fail(`step ${step}: size ${cache.size} after clear`);
    }
    checkQuiescent(step, op);
  }

  await cache.clear();
  if (alive.size !== 0) fail(`after clear, values never finalized: ${[...alive.keys()]}`);
  if (finalizedTimes.size !== serial) fail(`created ${serial} values, finalized ${finalizedTimes.size}`);
  return errors;
}

describe('InstanceCache under random operations (model-based)', () => {
  for (const policy of ['tinylfu', 'lru'] as const) {
    for (const capacity of [1, 2, 3, 10, 120]) {
      it(`${policy}, capacity ${capacity}: bound kept, every value finalized exactly once, none lost`, async () => {
        const errors: string[] = [];
        for (let seed = 1; seed <= 12 && errors.length === 0; seed++) errors.push(...(await runRandomOperations(policy, capacity, seed, 400)));
        expect(errors).toEqual([]);
      });
    }
  }

  it('policy lru matches a reference LRU exactly when operations do not overlap', async () => {
    const random = prng(7);
    const capacity = 5;
    const reference: string[] = []; // least recently used first
    const finalized: string[] = [];
    const expectedFinalized: string[] = [];
    const cache = new InstanceCache<string>(
      capacity,
      async (k) => k,
      (v) => void finalized.push(v),
      undefined,
      { policy: 'lru' },
    );
    for (let step = 0; step < 2000; step++) {
      const key = `k${Math.floor(15 * random() * random())}`;
      const at = reference.indexOf(key);
      if (random() < 0.1) {
        await cache.invalidate(key);
        if (at >= 0) expectedFinalized.push(...reference.splice(at, 1));
      } else {
        await cache.get(key);
        if (at >= 0) reference.splice(at, 1);
        reference.push(key);
        if (reference.length > capacity) expectedFinalized.push(reference.shift()!);
      }
      expect(cache.keys()).toEqual(reference);
    }
    expect(finalized).toEqual(expectedFinalized);
  });
});
