import { FairSemaphore, SemaphoreQueueFull } from './fair-semaphore';

describe('FairSemaphore', () => {
  it('never lets more than `limit` run at once', async () => {
    const s = new FairSemaphore(2);
    let active = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        s.run(async () => {
          active++;
          max = Math.max(max, active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(max).toBe(2);
    expect(s.inFlight).toBe(0);
  });

  const settle = () => new Promise((r) => setImmediate(r));

  it('serves waiting owners in turn, first come first served within an owner', async () => {
    const s = new FairSemaphore(1);
    const log: string[] = [];
    const releases: Array<() => void> = [];
    const take = (owner: string, tag: string) =>
      s.acquire(owner).then((release) => {
        log.push(tag);
        releases.push(release);
      });
    await take('a', 'a0');
    const waiting = [take('a', 'a1'), take('a', 'a2'), take('a', 'a3'), take('b', 'b1'), take('c', 'c1'), take('b', 'b2')];
    await settle();
    expect(s.waiting).toBe(6);
    for (let i = 0; i < 6; i++) {
      releases[i]();
      await settle();
    }
    await Promise.all(waiting);
    // FIFO would be a1 a2 a3 b1 c1 b2: tenant c waited behind all of a's calls.
    expect(log).toEqual(['a0', 'a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
  });

  it('gives one owner at most ownerLimit slots, leaving the rest to the others', async () => {
    const s = new FairSemaphore(3, 2);
    const held: Record<string, Array<() => void>> = { a: [], b: [] };
    const take = (owner: 'a' | 'b') => s.acquire(owner).then((release) => void held[owner].push(release));
    const a = [take('a'), take('a'), take('a'), take('a')];
    await settle();
    expect([s.heldBy('a'), s.inFlight, s.waiting]).toEqual([2, 2, 2]);
    await take('b');
    expect([s.heldBy('b'), s.inFlight]).toEqual([1, 3]);
    held.b[0]();
    // The freed slot stays free: a is at its cap.
    expect([s.inFlight, s.waiting]).toEqual([2, 2]);
    held.a[0]();
    await settle();
    expect([s.heldBy('a'), s.waiting]).toEqual([2, 1]);
    while (held.a.length < 4) {
      held.a[held.a.length - 1]();
      await settle();
    }
    for (const release of held.a) release();
    await Promise.all(a);
    expect([s.inFlight, s.waiting]).toEqual([0, 0]);
  });

  it('holds its invariants under random acquires and releases (seeded): bounds kept, no slot idle while an owner under its cap waits, every waiter served', async () => {
    let seed = 20261203;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 40; round++) {
      const limit = 1 + random(4);
      const ownerLimit = 1 + random(limit);
      const s = new FairSemaphore(limit, ownerLimit);
      const owners = ['a', 'b', 'c', 'd'].slice(0, 1 + random(4));
      const holding: Array<{ owner: string; release: () => void }> = [];
      const pending: Array<Promise<void>> = [];
      let asked = 0;
      let granted = 0;
      const check = () => {
        expect(s.inFlight).toBeLessThanOrEqual(limit);
        expect(s.inFlight).toBe(holding.length);
        for (const o of owners) expect(s.heldBy(o)).toBeLessThanOrEqual(ownerLimit);
        // Work-conserving: with a free slot, nobody waits who could take it.
        if (s.inFlight < limit) for (const o of owners) if (s.heldBy(o) < ownerLimit) expect(waitingOf.get(o) ?? 0).toBe(0);
      };
      const waitingOf = new Map<string, number>();
      for (let step = 0; step < 60; step++) {
        if (holding.length && random(2) === 0) {
          holding.splice(random(holding.length), 1)[0].release();
        } else {
          const owner = owners[random(owners.length)];
          asked++;
          waitingOf.set(owner, (waitingOf.get(owner) ?? 0) + 1);
          pending.push(
            s.acquire(owner).then((release) => {
              granted++;
              waitingOf.set(owner, waitingOf.get(owner)! - 1);
              holding.push({ owner, release });
            }),
          );
        }
        await settle();
        check();
      }
      while (granted < asked || holding.length) {
        holding.shift()?.release();
        await settle();
        check();
      }
      await Promise.all(pending);
      expect([s.inFlight, s.waiting]).toEqual([0, 0]);
    }
  });

  it('an abort while waiting takes the call out of the queue (rejecting with the reason) and leaves the slots as they were', async () => {
    const s = new FairSemaphore(1);
    const release = await s.acquire('a');
    const controller = new AbortController();
    const waiting = s.acquire('b', controller.signal);
    const after = s.acquire('c');
    await settle();
    expect(s.waiting).toBe(2);
    controller.abort(new Error('budget over'));
    await expect(waiting).rejects.toThrow('budget over');
    expect([s.waiting, s.inFlight]).toEqual([1, 1]);
    release();
    (await after)();
    expect([s.waiting, s.inFlight]).toEqual([0, 0]);
    // An aborted signal is refused before it queues.
    await expect(s.acquire('d', AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });

  it('refuses a caller past maxWaiting with SemaphoreQueueFull, at once', async () => {
    const s = new FairSemaphore(1, 1, 2);
    const release = await s.acquire('a');
    const queued = [s.acquire('a'), s.acquire('b')];
    await expect(s.acquire('c')).rejects.toBeInstanceOf(SemaphoreQueueFull);
    release();
    for (const q of queued) (await q)();
    expect([s.waiting, s.inFlight]).toEqual([0, 0]);
  });

  it('admits(owner) says whether that owner would get a slot at once: not when the slots are full or the owner is at its cap', async () => {
    const s = new FairSemaphore(2, 1);
    expect(s.admits('a')).toBe(true);
    const ra = await s.acquire('a');
    expect([s.admits('a'), s.admits('b')]).toEqual([false, true]);
    const rb = await s.acquire('b');
    expect(s.admits('c')).toBe(false);
    const queuedA = s.acquire('a');
    ra();
    // a's waiter took the freed slot: a is at its cap again, c still finds none free.
    const ra2 = await queuedA;
    expect([s.admits('a'), s.admits('c')]).toEqual([false, false]);
    rb();
    expect([s.admits('a'), s.admits('c')]).toEqual([false, true]);
    ra2();
    expect(s.admits('a')).toBe(true);
  });
});
