import { VERIFY_PAGE_SLOTS, VerifyScheduler } from './verify-scheduler';

/** A walk that runs until `finish` is called: records when it started. */
function gate<T>(value: T) {
  let finish!: () => void;
  let fail!: (e: Error) => void;
  const done = new Promise<T>((resolve, reject) => {
    finish = () => resolve(value);
    fail = reject;
  });
  const walk = { started: false, finish, fail, run: () => ((walk.started = true), done) };
  return walk;
}
const tick = () => new Promise((r) => setImmediate(r));

describe('VerifyScheduler', () => {
  it('runs any number of concurrent verifies of one chain as two walks: the running one, and one queued that every later caller joins', async () => {
    const s = new VerifyScheduler();
    const first = gate('walk 1');
    const second = gate('walk 2');
    const third = gate('walk 3');
    const p1 = s.walk('tenant-a', first.run);
    await tick();
    expect(first.started).toBe(true);
    // Nine more while walk 1 runs: walk 2 is queued by the first of them, the other eight join it.
    const later = Array.from({ length: 9 }, () => s.walk('tenant-a', second.run));
    const unused = jest.fn(third.run);
    later.push(s.walk('tenant-a', unused));
    await tick();
    expect(second.started).toBe(false);
    first.finish();
    expect(await p1).toBe('walk 1');
    await tick();
    expect(second.started).toBe(true);
    // Walk 2 has started: a caller now queues walk 3 (walk 2 may have read past rows written after its start).
    const p3 = s.walk('tenant-a', third.run);
    await tick();
    expect(third.started).toBe(false);
    second.finish();
    expect(await Promise.all(later)).toEqual(Array(10).fill('walk 2'));
    expect(unused).not.toHaveBeenCalled();
    await tick();
    expect(third.started).toBe(true);
    third.finish();
    expect(await p3).toBe('walk 3');
  });

  it('a caller that comes before the walk has started joins it', async () => {
    const s = new VerifyScheduler();
    const first = gate('walk 1');
    const other = jest.fn(first.run);
    const both = [s.walk('tenant-a', first.run), s.walk('tenant-a', other)];
    await tick();
    first.finish();
    expect(await Promise.all(both)).toEqual(['walk 1', 'walk 1']);
    expect(other).not.toHaveBeenCalled();
  });

  it('a failed walk fails the callers that joined it, and the next walk of the chain still runs', async () => {
    const s = new VerifyScheduler();
    const first = gate('walk 1');
    const second = gate('walk 2');
    const third = gate('walk 3');
    const p1 = s.walk('tenant-a', first.run);
    await tick();
    const joined = [s.walk('tenant-a', second.run), s.walk('tenant-a', second.run)];
    first.fail(new Error('database gone'));
    await expect(p1).rejects.toThrow('database gone');
    await tick();
    expect(second.started).toBe(true);
    second.fail(new Error('still gone'));
    for (const p of joined) await expect(p).rejects.toThrow('still gone');
    const p3 = s.walk('tenant-a', third.run);
    await tick();
    expect(third.started).toBe(true);
    third.finish();
    expect(await p3).toBe('walk 3');
  });

  it("walks of different chains do not wait for each other's walks", async () => {
    const s = new VerifyScheduler();
    const a = gate('a');
    const b = gate('b');
    const pa = s.walk('tenant-a', a.run);
    const pb = s.walk('tenant-b', b.run);
    await tick();
    expect([a.started, b.started]).toEqual([true, true]);
    b.finish();
    expect(await pb).toBe('b');
    a.finish();
    expect(await pa).toBe('a');
  });

  it("page reads: one walk holds at most one slot, and another walk's read is next after at most one read of each", async () => {
    const s = new VerifyScheduler();
    const reads: Array<ReturnType<typeof gate<string>>> = [];
    const order: string[] = [];
    const read = (owner: string, i: number) => {
      const g = gate(`${owner}${i}`);
      reads.push(g);
      return s.page(owner, () => (order.push(`${owner}${i}`), g.run()));
    };
    // Tenant A keeps five page reads pending (five walks of its own, say); B then asks for one.
    const as = Array.from({ length: 5 }, (_, i) => read('a', i));
    await tick();
    expect(s.pageReads).toEqual({ inFlight: 1, waiting: 4 });
    const b = read('b', 0);
    await tick();
    expect(order).toEqual(['a0', 'b0']);
    expect(s.pageReads.inFlight).toBe(Math.min(2, VERIFY_PAGE_SLOTS));
    for (const g of reads) g.finish();
    // Every read of A after its first is granted one at a time as the one before it ends.
    for (let i = 0; i < 8; i++) {
      for (const g of reads) g.finish();
      await tick();
    }
    await Promise.all([...as, b]);
    expect(order).toEqual(['a0', 'b0', 'a1', 'a2', 'a3', 'a4']);
    expect(s.pageReads).toEqual({ inFlight: 0, waiting: 0 });
  });

  it('a page read lets the event loop turn first: a callback already waiting for it runs before the read (on PGlite a walk otherwise kept other requests off the loop)', async () => {
    const s = new VerifyScheduler();
    const order: string[] = [];
    setImmediate(() => order.push('other request'));
    await s.page('tenant-a', async () => {
      order.push('page read');
    });
    expect(order).toEqual(['other request', 'page read']);
  });
});
