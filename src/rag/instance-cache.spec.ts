import { InstanceCache } from './instance-cache';

function counting() {
  const s = { hits: 0, misses: 0, evictions: 0 };
  return { s, stats: { hit: () => s.hits++, miss: () => s.misses++, evict: () => s.evictions++ } };
}

describe('InstanceCache (the RAG instance LRU)', () => {
  it('creates lazily, then serves hits', async () => {
    const created: string[] = [];
    const { s, stats } = counting();
    const cache = new InstanceCache<string>(2, async (k) => (created.push(k), `v:${k}`), () => undefined, stats);
    expect(await cache.get('a')).toBe('v:a');
    expect(await cache.get('a')).toBe('v:a');
    expect(created).toEqual(['a']);
    expect(s).toEqual({ hits: 1, misses: 1, evictions: 0 });
  });

  it('evicts the least recently used entry and finalizes it', async () => {
    const finalized: string[] = [];
    const { s, stats } = counting();
    const cache = new InstanceCache<string>(2, async (k) => k, (v) => void finalized.push(v), stats);
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
    const cache = new InstanceCache<object>(4, async () => {
      calls++;
      await gate;
      return {};
    }, () => undefined);
    const all = Promise.all(Array.from({ length: 10 }, () => cache.get('kb')));
    release();
    const values = await all;
    expect(calls).toBe(1);
    expect(new Set(values).size).toBe(1);
  });

  it('does not cache a failed initialisation', async () => {
    let calls = 0;
    const cache = new InstanceCache<string>(2, async () => {
      calls++;
      if (calls === 1) throw new Error('boom');
      return 'ok';
    }, () => undefined);
    await expect(cache.get('x')).rejects.toThrow('boom');
    expect(await cache.get('x')).toBe('ok');
    expect(calls).toBe(2);
  });

  it('invalidate finalizes the entry and the next get re-creates it', async () => {
    const finalized: string[] = [];
    let n = 0;
    const cache = new InstanceCache<string>(2, async (k) => `${k}${++n}`, (v) => void finalized.push(v));
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
    const cache = new InstanceCache<string>(2, async (k) => {
      const v = `${k}${++n}`;
      if (n === 1) await gate;
      return v;
    }, (v) => void finalized.push(v));
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
    const cache = new InstanceCache<string>(5, async (k) => k, (v) => void finalized.push(v));
    await Promise.all(['a', 'b', 'c'].map((k) => cache.get(k)));
    await cache.clear();
    expect(finalized.sort()).toEqual(['a', 'b', 'c']);
    expect(cache.size).toBe(0);
  });

  it('keeps at most `capacity` entries under many keys', async () => {
    const cache = new InstanceCache<number>(3, async (k) => Number(k), () => undefined);
    for (let i = 0; i < 50; i++) await cache.get(String(i % 7));
    expect(cache.size).toBe(3);
  });
});
