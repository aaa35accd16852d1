import { rerankFused } from './query-engine';

describe('rerankFused', () => {
  const chunk = (content: string, score: number) => ({ chunk_id: content.slice(0, 8), content, score });

  it('puts the candidate holding every query term first and scales scores to [0, 1] (best = 1)', () => {
    const fused = [
      chunk('Glaciers glacier glacier retreat in the summer heat of the valley.', 0.0328),
      chunk('Tariff schedules, tariff rates and a tariff board for every port.', 0.032),
      chunk('Her poem mixed a glacier, a tariff and a sonnet about trade.', 0.0161),
    ];
    const out = rerankFused('glacier tariff sonnet', fused);
    expect(out[0].content).toContain('poem');
    expect(out[0].score).toBe(1);
    for (const c of out) expect(c.score).toBeGreaterThanOrEqual(0);
    expect(out.map((c) => c.score)).toEqual([...out.map((c) => c.score)].sort((a, b) => b - a));
    expect(fused[0].score).toBe(0.0328); // inputs are not mutated
  });

  it('a single candidate scores 1 too, and no candidate gives none', () => {
    expect(rerankFused('when did Curie win', [chunk('Marie Curie won the Nobel Prize in 1903.', 0.0361)])[0].score).toBe(1);
    expect(rerankFused('anything', [])).toEqual([]);
  });
});
