import { ChangeSource, createCache, invalidateOn } from './cache';

type Change = { type: 'tenant'; tenantId: string } | { type: 'user'; userId: string };

/** A change source that calls every listener with each event, as TenantEvents does (src/common may not import src/context). */
class Changes implements ChangeSource<Change> {
  private readonly listeners: Array<(e: Change) => void> = [];
  private readonly resyncs: Array<() => void> = [];
  subscribe(listener: (e: Change) => void): void {
    this.listeners.push(listener);
  }
  onResync(listener: () => void): void {
    this.resyncs.push(listener);
  }
  emit(e: Change): void {
    for (const l of this.listeners) l(e);
  }
  resync(): void {
    for (const l of this.resyncs) l();
  }
}

describe('invalidateOn', () => {
  it('deletes the entry an event names, at once, and leaves the others', () => {
    const changes = new Changes();
    const cache = createCache<string, string>({ max: 10, ttlMs: 60_000 });
    invalidateOn(cache, changes, (e) => (e.type === 'tenant' ? e.tenantId : null));
    cache.set('t1', 'active');
    cache.set('t2', 'active');

    changes.emit({ type: 'tenant', tenantId: 't1' });
    expect(cache.has('t1')).toBe(false);
    expect(cache.get('t2')).toBe('active');
  });

  it('keeps every entry when keyOf returns null for the event', () => {
    const changes = new Changes();
    const cache = createCache<string, string>({ max: 10 });
    invalidateOn(cache, changes, (e) => (e.type === 'tenant' ? e.tenantId : null));
    cache.set('t1', 'active');

    changes.emit({ type: 'user', userId: 't1' });
    expect(cache.get('t1')).toBe('active');
  });

  it('forgets every entry after a resync (events may have been missed)', () => {
    const changes = new Changes();
    const cache = createCache<string, string>({ max: 10 });
    invalidateOn(cache, changes, (e) => (e.type === 'tenant' ? e.tenantId : null));
    cache.set('t1', 'active');
    cache.set('t2', 'active');

    changes.resync();
    expect(cache.size).toBe(0);
  });
});

describe('Cache.getOrLoad', () => {
  it('loads once and serves the stored value after', async () => {
    const cache = createCache<string, string>({ max: 10 });
    let loads = 0;
    const load = async () => `v${++loads}`;
    expect(await cache.getOrLoad('k', load)).toBe('v1');
    expect(await cache.getOrLoad('k', load)).toBe('v1');
    expect(loads).toBe(1);
  });

  it('does not store a value loaded while an invalidation arrived: the next call loads again', async () => {
    const cache = createCache<string, string>({ max: 10 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const pending = cache.getOrLoad('key', async () => {
      await gate; // the row was read before the change…
      return 'stale';
    });
    cache.delete('key'); // …and the change's event arrives before the load returns
    release();
    expect(await pending).toBe('stale');
    expect(cache.has('key')).toBe(false);
    expect(await cache.getOrLoad('key', async () => 'fresh')).toBe('fresh');
    expect(cache.get('key')).toBe('fresh');
  });

  it('stores nothing for a null load (unknown keys are not cached)', async () => {
    const cache = createCache<string, string>({ max: 10 });
    expect(await cache.getOrLoad('nope', async () => null)).toBeNull();
    expect(cache.has('nope')).toBe(false);
  });
});
