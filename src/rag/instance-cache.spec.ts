import { InstanceCache } from './instance-cache';

function counting() {
  const s = { hits: 0, misses: 0, evictions: 0 };
  return { s, stats: { hit: () => s.hits++, miss: () => s.misses++, evict: () => s.evictions++ } };
}

describe('InstanceCache (the RAG instance LRU)', () => {
  it('creates lazily, then serves hits', async () => {
    const created: string[] = [];
    const { s, stats } = counting();
    const cache = new InstanceCache<string>(
      2,
      async (k) => (created.push(k), `v:${k}`),
      () => undefined,
      stats,
    );
    expect(await cache.get('a')).toBe('v:a');
    expect(await cache.get('a')).toBe('v:a');
    expect(created).toEqual(['a']);
    expect(s).toEqual({ hits: 1, misses: 1, evictions: 0 });
  });

  it('evicts the least recently used entry and finalizes it', async () => {
    const finalized: string[] = [];
    const { s, stats } = counting();
    const cache = new InstanceCache<string>(
      2,
      async (k) => k,
      (v) => void finalized.push(v),
      stats,
    );
    await cache.get('a');
    await cache.get('b');
    await cache.get('a'); // a is now the most recent
    await cache.get('c'); // evicts b
    expect(cache.keys()).toEqual(['a', 'c']);
    expect(finalized).toEqual(['b']);
    expect(s.evictions).toBe(1);
  });

  it('shares one initialisation between concurrent first requests (single-flight)', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const cache = new InstanceCache<object>(
      4,
      async () => {
        calls++;
        await gate;
        return {};
      },
      () => undefined,
    );
    const all = Promise.all(Array.from({ length: 10 }, () => cache.get('kb')));
    release();
    const values = await all;
    expect(calls).toBe(1);
    expect(new Set(values).size).toBe(1);
  });

  it('does not cache a failed initialisation', async () => {
    let calls = 0;
    const cache = new InstanceCache<string>(
      2,
      async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
        return 'ok';
      },
      () => undefined,
    );
    await expect(cache.get('x')).rejects.toThrow('boom');
    expect(await cache.get('x')).toBe('ok');
    expect(calls).toBe(2);
  });

  it('invalidate finalizes the entry and the next get re-creates it', async () => {
    const finalized: string[] = [];
    let n = 0;
    const cache = new InstanceCache<string>(
      2,
      async (k) => `${k}${++n}`,
      (v) => void finalized.push(v),
    );
    expect(await cache.get('a')).toBe('a1');
    await cache.invalidate('a');
    expect(finalized).toEqual(['a1']);
    expect(await cache.get('a')).toBe('a2');
  });

  it('an instance invalidated while it was being created is not kept', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const finalized: string[] = [];
    let n = 0;
    const cache = new InstanceCache<string>(
      2,
      async (k) => {
        const v = `${k}${++n}`;
        if (n === 1) await gate;
        return v;
      },
      (v) => void finalized.push(v),
    );
    const first = cache.get('a');
    await cache.invalidate('a');
    release();
    expect(await first).toBe('a1');
    expect(cache.has('a')).toBe(false);
    expect(finalized).toEqual(['a1']);
    expect(await cache.get('a')).toBe('a2');
  });

  it('clear finalizes every entry (shutdown)', async () => {
    const finalized: string[] = [];
    const cache = new InstanceCache<string>(
      5,
      async (k) => k,
      (v) => void finalized.push(v),
    );
    await Promise.all(['a', 'b', 'c'].map((k) => cache.get(k)));
    await cache.clear();
    expect(finalized.sort()).toEqual(['a', 'b', 'c']);
    expect(cache.size).toBe(0);
  });

  it('keeps at most `capacity` entries under many keys', async () => {
    const cache = new InstanceCache<number>(
      3,
      async (k) => Number(k),
      () => undefined,
    );
    for (let i = 0; i < 50; i++) await cache.get(String(i % 7));
    expect(cache.size).toBe(3);
  });
});

describe('InstanceCache admission (W-TinyLFU, the default policy)', () => {
  // Capacity 10: a window of 1 and a main area of 9; the sketch ages every 160 increments.
  const HOT = Array.from({ length: 9 }, (_, i) => `hot-${i}`);

  async function warmHotKeys(policy?: 'lru' | 'tinylfu') {
    const finalized: string[] = [];
    const created: string[] = [];
    const { s, stats } = counting();
    const cache = new InstanceCache<string>(
      10,
      async (k) => (created.push(k), k),
      (v) => void finalized.push(v),
      stats,
      { policy },
    );
    for (let round = 0; round < 5; round++) for (const k of HOT) await cache.get(k);
    return { cache, finalized, created, s };
  }

  it('a scan of one-hit keys does not flush the hot keys; refused candidates are finalized and counted as evictions', async () => {
    const { cache, finalized, s } = await warmHotKeys();
    for (let i = 0; i < 100; i++) await cache.get(`scan-${i}`);
    for (const k of HOT) expect(cache.has(k)).toBe(true);
    expect(cache.keys().filter((k) => k.startsWith('scan-'))).toEqual(['scan-99']); // the window
    expect(finalized).toEqual(Array.from({ length: 99 }, (_, i) => `scan-${i}`));
    expect(s.evictions).toBe(99);
    expect(cache.size).toBe(10);
  });

  it('the same scan flushes every hot key under plain LRU (policy: lru)', async () => {
    const { cache } = await warmHotKeys('lru');
    for (let i = 0; i < 100; i++) await cache.get(`scan-${i}`);
    expect(HOT.filter((k) => cache.has(k))).toEqual([]);
  });

  it('a key that becomes hot gets in, and then stays through a scan', async () => {
    const { cache, created } = await warmHotKeys();
    // Each access re-creates it in the window; the next new key pushes it out to
    // compete with the main area's victim until it has been seen more often.
    for (let i = 0; i < 10 && !cache.keys().slice(0, -1).includes('rising'); i++) {
      await cache.get('rising');
      await cache.get(`other-${i}`);
    }
    expect(cache.keys().slice(0, -1)).toContain('rising'); // in the main area, not just the window
    expect(created.filter((k) => k === 'rising').length).toBeLessThanOrEqual(7); // hot keys were seen 5 times
    for (let i = 0; i < 30; i++) await cache.get(`scan-${i}`);
    expect(cache.has('rising')).toBe(true);
    expect(HOT.filter((k) => cache.has(k)).length).toBe(8); // it took one hot key's place
  });

  it('aging lets a new hot set replace the old one', async () => {
    const cache = new InstanceCache<string>(
      10,
      async (k) => k,
      () => undefined,
    );
    const before = Array.from({ length: 9 }, (_, i) => `a-${i}`);
    const after = Array.from({ length: 9 }, (_, i) => `b-${i}`);
    for (let round = 0; round < 20; round++) for (const k of before) await cache.get(k); // saturates their counters
    for (let round = 0; round < 60; round++) for (const k of after) await cache.get(k);
    for (const k of after) expect(cache.has(k)).toBe(true);
    expect(before.filter((k) => cache.has(k)).length).toBeLessThanOrEqual(1);
  });

  it('with policy lru, keeps the old LRU order', async () => {
    const finalized: string[] = [];
    const cache = new InstanceCache<string>(
      3,
      async (k) => k,
      (v) => void finalized.push(v),
      undefined,
      { policy: 'lru' },
    );
    for (const k of ['a', 'b', 'c', 'a', 'd', 'e']) await cache.get(k);
    expect(cache.keys()).toEqual(['a', 'd', 'e']);
    expect(finalized).toEqual(['b', 'c']);
  });

  it('rejects an unknown policy', () => {
    expect(
      () =>
        new InstanceCache<string>(
          3,
          async (k) => k,
          () => undefined,
          undefined,
          { policy: 'lfu' as never },
        ),
    ).toThrow('policy');
  });

  it('peek reads without creating, counting or touching', async () => {
    const { s, stats } = counting();
    const cache = new InstanceCache<string>(
      2,
      async (k) => `v:${k}`,
      () => undefined,
      stats,
      { policy: 'lru' },
    );
    await cache.get('a');
    await cache.get('b');
    expect(cache.peek('a')).toBe('v:a');
    expect(cache.peek('zz')).toBeUndefined();
    await cache.get('c'); // a is still the least recently used
    expect(cache.keys()).toEqual(['b', 'c']);
    expect(s).toEqual({ hits: 0, misses: 3, evictions: 1 });
  });
});
