import { reciprocalRankFusion } from './rrf';

describe('reciprocalRankFusion', () => {
  const id = (x: { id: string }) => x.id;

  it('ranks an item found by both lists above items found by one', () => {
    const vector = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    const text = [{ id: 'c' }, { id: 'd' }];
    const fused = reciprocalRankFusion([vector, text], id);
    expect(fused[0].item.id).toBe('c');
    expect(fused.map((f) => f.item.id).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('computes Σ 1/(k + rank)', () => {
    const fused = reciprocalRankFusion([[{ id: 'x' }], [{ id: 'y' }, { id: 'x' }]], id, 60);
    const x = fused.find((f) => f.item.id === 'x')!;
    expect(x.score).toBeCloseTo(1 / 61 + 1 / 62, 10);
  });

  it('keeps the order of a single list and breaks ties by best rank', () => {
    const fused = reciprocalRankFusion([[{ id: '1' }, { id: '2' }, { id: '3' }]], id);
    expect(fused.map((f) => f.item.id)).toEqual(['1', '2', '3']);
    const tie = reciprocalRankFusion(
      [
        [{ id: 'p' }, { id: 'q' }],
        [{ id: 'q' }, { id: 'p' }],
      ],
      id,
    );
    expect(tie[0].score).toBeCloseTo(tie[1].score, 12);
  });

  it('weights scale a list’s votes', () => {
    const fused = reciprocalRankFusion([[{ id: 'a' }], [{ id: 'b' }]], id, 60, [1, 0.5]);
    expect(fused.map((f) => f.item.id)).toEqual(['a', 'b']);
    expect(fused[1].score).toBeCloseTo(0.5 / 61, 12);
  });

  it('returns nothing for no lists', () => {
    expect(reciprocalRankFusion([], id)).toEqual([]);
    expect(reciprocalRankFusion([[], []], id)).toEqual([]);
  });
});
