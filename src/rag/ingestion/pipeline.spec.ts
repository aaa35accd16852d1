import { mapInOrder } from './pipeline';

describe('mapInOrder', () => {
  const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('returns results in input order whatever order the calls finish in, with at most `lanes` in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapInOrder([30, 5, 20, 1, 10], 2, async (ms, i) => {
      most = Math.max(most, ++inFlight);
      await tick(ms);
      inFlight--;
      return `${i}:${ms}`;
    });
    expect(out).toEqual(['0:30', '1:5', '2:20', '3:1', '4:10']);
    expect(most).toBe(2);
  });

  it('starts no item after a failure and throws the first failure once the started calls settled', async () => {
    const started: number[] = [];
    let settled = 0;
    await expect(
      mapInOrder([0, 1, 2, 3, 4, 5], 2, async (x) => {
        started.push(x);
        await tick(x === 1 ? 1 : 10);
        settled++;
        if (x === 1) throw new Error('boom 1');
        return x;
      }),
    ).rejects.toThrow('boom 1');
    expect(started).toEqual([0, 1]);
    expect(settled).toBe(2);
  });

  it('handles an empty list and one lane', async () => {
    expect(await mapInOrder([], 4, async (x) => x)).toEqual([]);
    expect(await mapInOrder([1, 2, 3], 1, async (x) => x * 2)).toEqual([2, 4, 6]);
  });
});
