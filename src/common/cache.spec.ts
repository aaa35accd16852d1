import { ChangeSource, createCache, invalidateOn } from './cache';

type Change = { type: 'tenant'; tenantId: string } | { type: 'user'; userId: string };

/** A change source that calls every listener with each event, as TenantEvents does (src/common may not import src/context). */
class Changes implements ChangeSource<Change> {
  private readonly listeners: Array<(e: Change) => void> = [];
  subscribe(listener: (e: Change) => void): void {
    this.listeners.push(listener);
  }
  emit(e: Change): void {
    for (const l of this.listeners) l(e);
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
});
