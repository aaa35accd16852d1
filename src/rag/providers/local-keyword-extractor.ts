import nlp from 'compromise';
import { CallContext, ChatMessage, KeywordExtractor, QueryKeywords } from './provider.types';
import { ProviderTelemetry } from './provider-telemetry';
import { QUERY_WORDS, STOP_WORDS, words } from './lexical';
import { normaliseName } from './local-extraction.provider';

/**
 * The `local` keyword extractor: RULE-BASED (compromise + stop words), no LLM.
 * - lowLevel: specific things named in the query: people, places,
 *   organisations, other proper nouns, numbers/values, then remaining
 *   content words;
 * - highLevel: themes: the query's noun phrases (without determiners) and
 *   topical verbs/nouns, e.g. "causes of the French Revolution" →
 *   ["causes", "french revolution"].
 * The conversation history is not used (the query alone names the target).
 * Lists are deduplicated case-insensitively and capped at 10 each.
 */
export class LocalKeywordExtractor implements KeywordExtractor {
  readonly binding = 'local' as const;
  readonly model = 'local-rules';

  constructor(private readonly telemetry?: ProviderTelemetry) {}

  async extractKeywords(query: string, _history: ChatMessage[], ctx: CallContext): Promise<QueryKeywords> {
    const started = process.hrtime.bigint();
    if (ctx.offload) {
      // A long query: extracted (and its tokens counted) in a compute thread.
      const { result, usage } = await ctx.offload.keywords(query);
      this.telemetry?.latency('local', 'keywords', started);
      this.telemetry?.record({ ...ctx, purpose: 'keywords' }, 'local', this.model, usage);
      return result;
    }
    const result = extractQueryKeywords(query);
    this.telemetry?.latency('local', 'keywords', started);
    this.telemetry?.recordCounted({ ...ctx, purpose: 'keywords' }, 'local', this.model, [query], [...result.highLevel, ...result.lowLevel]);
    return result;
  }
}

const MAX_KEYWORDS = 10;

function isContent(phrase: string): boolean {
  const ws = words(phrase);
  return ws.length > 0 && ws.some((w) => !STOP_WORDS.has(w) && !QUERY_WORDS.has(w));
}

/** Drops leading/trailing stop and question words: "the causes of" → "causes". */
function trimPhrase(phrase: string): string {
  const parts = phrase.split(/\s+/);
  const bad = (w: string) => {
    const lw = w.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
    return !lw || STOP_WORDS.has(lw) || QUERY_WORDS.has(lw);
  };
  while (parts.length && bad(parts[0])) parts.shift();
  while (parts.length && bad(parts[parts.length - 1])) parts.pop();
  return parts.join(' ');
}

/**
 * Characters of a query given to the NLP tagger. compromise costs about
 * 80 µs per character of hostile text on the request thread (a 10 000-char
 * query of capitalised two-letter words: ~0.8 s), and a question names its
 * subject long before 1 000 characters; the rest of a long query still
 * counts for the embedding and full-text search.
 */
export const QUERY_NLP_CHARS = 1000;

/**
 * compromise builds its tagger's lexicon on first use (~0.2 s on the
 * request thread, longer on a loaded machine): done once at boot instead, so
 * no tenant's first query pays for it while every other tenant waits.
 */
export function warmUpQueryTagger(): void {
  extractQueryKeywords('Who founded the lighthouse of Porto, in Portugal, and when did Maria Silva visit it?');
}

export function extractQueryKeywords(query: string): QueryKeywords {
  const q = (query ?? '').slice(0, QUERY_NLP_CHARS).trim();
  if (!q) return { highLevel: [], lowLevel: [] };
  const doc = nlp(q);
  const low: string[] = [];
  const high: string[] = [];
  const push = (list: string[], raw: string, proper: boolean) => {
    const name = trimPhrase(normaliseName(raw, proper));
    if (!name || !isContent(name)) return;
    if (list.some((x) => x.toLowerCase() === name.toLowerCase())) return;
    list.push(proper ? name : name.toLowerCase());
  };
  for (const view of [doc.people(), doc.organizations(), doc.places(), doc.match('#ProperNoun+')]) {
    for (const raw of view.out('array') as string[]) push(low, raw, true);
  }
  for (const raw of doc.match('(#Value|#Acronym)').out('array') as string[]) push(low, raw, true);

  for (const raw of doc.nouns().out('array') as string[]) {
    // Split "causes of the French Revolution" into its parts; keep the whole too when short.
    const clean = trimPhrase(raw.replace(/[?!.,;:]+$/g, ''));
    for (const part of clean.split(/\s+(?:of|in|on|at|near|into|over|under|between|during|after|before|for|with|about|from|to|by|and|or)\s+/i)) push(high, part, false);
  }
  for (const raw of doc.verbs().not('(#Auxiliary|#Copula|#Modal)').out('array') as string[]) push(high, raw.toLowerCase(), false);

  // Remaining content words are specific terms the rules did not classify.
  const known = new Set([...low, ...high].flatMap((k) => words(k)));
  for (const w of words(q)) {
    if (!STOP_WORDS.has(w) && !QUERY_WORDS.has(w) && !known.has(w) && w.length > 2) push(low, w, false);
  }
  // A high-level phrase that only repeats a low-level entity adds nothing.
  const lowSet = new Set(low.map((x) => x.toLowerCase()));
  const highOut = high.filter((h) => !lowSet.has(h.toLowerCase()));
  return { highLevel: highOut.slice(0, MAX_KEYWORDS), lowLevel: low.slice(0, MAX_KEYWORDS) };
}
