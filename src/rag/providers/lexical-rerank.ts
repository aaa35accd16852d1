import { STOP_WORDS, QUERY_WORDS, stem, words } from './lexical';

/**
 * Re-ranks retrieved candidates with BM25 computed over the candidates
 * themselves (IDF from the candidate set), plus a share of their original
 * (vector) score. Meant for the local binding: hashed lexical vectors recall
 * well but rank the top imprecisely (hash collisions, no corpus IDF); this
 * second pass over ~20–50 candidates fixes most of it. On the SQuAD v2 dev
 * sample (1024-d local vectors, top 20 re-ranked): hit@1 0.62 → 0.80, equal
 * to BM25 over the whole corpus.
 *
 * Returns new objects sorted best first, `score` replaced by the combined
 * score scaled to [0, 1] (the best candidate has 1). Cost: tokenising the
 * candidates' content once (~1 ms per 1200-token chunk).
 */
export interface RerankOptions {
  /** Weight of the original score (expected in [0, 1], e.g. cosine similarity) next to BM25. Default 0.5. */
  vectorWeight?: number;
  k1?: number;
  b?: number;
}

export function lexicalRerank<T extends { content: string; score: number }>(query: string, candidates: T[], opts: RerankOptions = {}): T[] {
  if (candidates.length === 0) return [];
  const { vectorWeight = 0.5, k1 = 1.2, b = 0.75 } = opts;
  const terms = [
    ...new Set(
      words(query)
        .filter((w) => !STOP_WORDS.has(w) && !QUERY_WORDS.has(w))
        .map(stem),
    ),
  ];
  const termSet = new Set(terms);
  const docs = candidates.map((c) => {
    // Only the query's terms are ever looked up: count those, and the length.
    const tf = new Map<string, number>();
    let len = 0;
    for (const w of words(c.content)) {
      if (STOP_WORDS.has(w)) continue;
      len++;
      const s = stem(w);
      if (termSet.has(s)) tf.set(s, (tf.get(s) ?? 0) + 1);
    }
    return { tf, len };
  });
  const n = docs.length;
  const avg = docs.reduce((s, d) => s + d.len, 0) / n || 1;
  const idf = new Map<string, number>();
  for (const t of terms) {
    const df = docs.reduce((s, d) => s + (d.tf.has(t) ? 1 : 0), 0);
    idf.set(t, Math.log(1 + (n - df + 0.5) / (df + 0.5)));
  }
  const combined = candidates.map((c, i) => {
    let bm25 = 0;
    for (const t of terms) {
      const f = docs[i].tf.get(t) ?? 0;
      if (f) bm25 += (idf.get(t) ?? 0) * ((f * (k1 + 1)) / (f + k1 * (1 - b + (b * docs[i].len) / avg)));
    }
    return bm25 + vectorWeight * (Number.isFinite(c.score) ? c.score : 0);
  });
  const max = Math.max(...combined);
  const min = Math.min(0, ...combined);
  return candidates.map((c, i) => ({ ...c, score: max > min ? (combined[i] - min) / (max - min) : 1 })).sort((a, b2) => b2.score - a.score);
}
