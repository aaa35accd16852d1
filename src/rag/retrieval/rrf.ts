/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher 2009): an item's fused
 * score is Σ 1 / (k + rank) over the ranked lists it appears in (rank from 1).
 * It needs no score calibration between lists (cosine similarities and
 * ts_rank values are not comparable), and k = 60 is the usual constant.
 */
export const RRF_K = 60;

export function reciprocalRankFusion<T>(lists: T[][], keyOf: (item: T) => string, k = RRF_K, weights?: number[]): Array<{ item: T; score: number }> {
  const fused = new Map<string, { item: T; score: number; best: number }>();
  for (const [l, list] of lists.entries()) {
    const w = weights?.[l] ?? 1;
    list.forEach((item, i) => {
      const key = keyOf(item);
      const entry = fused.get(key);
      const add = w / (k + i + 1);
      if (entry) {
        entry.score += add;
        entry.best = Math.min(entry.best, i);
      } else fused.set(key, { item, score: add, best: i });
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score || a.best - b.best).map(({ item, score }) => ({ item, score }));
}
