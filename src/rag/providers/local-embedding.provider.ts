import { CallContext, EmbeddingProvider } from './provider.types';
import { STOP_WORDS, QUERY_WORDS, stem, words } from './lexical';
import { ProviderTelemetry } from './provider-telemetry';

/**
 * The `local` embedding: a LEXICAL vector, not a semantic one. Honest summary:
 * two texts are close when they share (stemmed) words, word pairs and
 * character n-grams; synonyms and paraphrases with no shared surface form are
 * not recognised. It needs no network and no model files, is deterministic
 * (same text → same vector on every machine and run) and fast.
 *
 * Construction (signed feature hashing into `dim` buckets):
 * - word unigrams (stemmed), weight 1; stop words 0.15; query words
 *   (what/which/…) 0.05;
 * - adjacent content-word bigrams (stop words skipped), weight 0.6;
 * - character 3- and 4-grams of each content word with boundary marks,
 *   sharing a total weight of 0.5 per word occurrence, so a morphological
 *   variant still overlaps but n-grams do not drown the words;
 * - a per-word prior in place of IDF (which is unknown at embed time): longer
 *   words and words with digits are rarer, so weigh a little more;
 * - sublinear term frequency (1 + ln tf) per feature, then L2 normalisation,
 *   so cosine similarity = dot product.
 * Each feature's bucket and sign come from one 32-bit FNV-1a hash; the sign
 * makes collisions cancel on average instead of adding up.
 */
/** Feature weights, tuned on SQuAD v2 dev passages (question → passage hit@k). */
const W = { queryWord: 0.05, stopWord: 0.15, bigram: 0.6, charGrams: 0.5 };

export class LocalEmbeddingProvider implements EmbeddingProvider {
  readonly binding = 'local' as const;
  readonly model: string;

  constructor(
    readonly dim = 1024,
    model = 'local-lexical-hash',
    private readonly telemetry?: ProviderTelemetry,
  ) {
    if (!Number.isInteger(dim) || dim < 8) throw new Error(`LocalEmbeddingProvider: dim must be an integer >= 8, got ${dim}`);
    this.model = model;
  }

  async embed(texts: string[], ctx: CallContext): Promise<number[][]> {
    const started = process.hrtime.bigint();
    if (ctx.offload) {
      const { vectors, inputTokens } = await ctx.offload.embed(texts, this.dim, this.model);
      this.telemetry?.latency('local', 'embedding', started);
      this.telemetry?.record(ctx, 'local', this.model, { input_tokens: inputTokens, output_tokens: 0 });
      return vectors;
    }
    const vectors = texts.map((t) => this.embedOne(t));
    this.telemetry?.latency('local', 'embedding', started);
    this.telemetry?.recordCounted(ctx, 'local', this.model, texts, []);
    return vectors;
  }

  /** The weighted features of a text: feature → [weight, occurrences]. */
  features(text: string): Map<string, [number, number]> {
    const features = new Map<string, [number, number]>();
    const add = (f: string, w: number) => {
      const cur = features.get(f);
      if (cur) {
        cur[0] = Math.max(cur[0], w);
        cur[1]++;
      } else features.set(f, [w, 1]);
    };
    const toks = words(text);
    let prev: string | null = null;
    for (const raw of toks) {
      if (QUERY_WORDS.has(raw)) {
        add('w:' + raw, W.queryWord);
        prev = null;
        continue;
      }
      if (STOP_WORDS.has(raw)) {
        add('w:' + raw, W.stopWord);
        continue; // bigrams skip stop words: "king of france" → "king france"
      }
      const s = stem(raw);
      const prior = Math.min(1.6, 0.7 + 0.1 * s.length) * (/\d/.test(s) ? 1.3 : 1);
      add('w:' + s, prior);
      if (prev !== null) add('b:' + prev + ' ' + s, W.bigram * prior);
      prev = s;
      const padded = '<' + raw + '>';
      const grams: string[] = [];
      for (let n = 3; n <= 4; n++) for (let i = 0; i + n <= padded.length; i++) grams.push(padded.slice(i, i + n));
      const gw = W.charGrams / Math.max(1, grams.length);

      for (const g of grams) add('c:' + g, gw);
    }
    return features;
  }

  /** Synchronous core: the hashed, L2-normalised vector of `features(text)`. */
  embedOne(text: string): number[] {
    const features = this.features(text);
    const v = new Float64Array(this.dim);
    for (const [f, [w, n]] of features) {
      const h = fnv1a(f);
      const value = w * (1 + Math.log(n));
      const idx = (h >>> 1) % this.dim;
      v[idx] += h & 1 ? value : -value;
    }
    let norm = 0;
    for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    // Text without any word still gets a unit vector (a zero vector has no cosine).
    if (norm === 0) {
      v[0] = 1;
      norm = 1;
    }
    const out = new Array<number>(this.dim);
    for (let i = 0; i < v.length; i++) out[i] = v[i] / norm;
    return out;
  }
}

/** 32-bit FNV-1a over UTF-16 code units, mixed with a final avalanche step. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}
