/**
 * Shared text helpers of the local binding: word tokenisation, a light
 * English stemmer and a stop-word list. Deliberately small and rule-based.
 */
import { createCache } from '../../common/cache';

/** Common English function words; they carry little topical signal. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all also am an and any are aren as at be because been before being below between both but by ' +
    'can cannot could couldn did didn do does doesn doing don down during each either else ever few for from further get gets got had hadn has hasn have haven having he her here ' +
    'hers herself him himself his how however i if in into is isn it its itself just let like may me might more most much must mustn my myself neither no nor not ' +
    'now of off on once one only or other ought our ours ourselves out over own per quite rather s same say said says shall shan she should shouldn since so some such ' +
    't than that the their theirs them themselves then there these they this those though through thus to too under until up upon us very via was wasn ' +
    'we were weren what whatever when whenever where whereas wherever whether which while who whoever whom whose why will with within without won would wouldn yet you your ' +
    'yours yourself yourselves ll re ve d m also another among amongst around away became become becomes every etc many often several still use used using well'
  ).split(/\s+/),
);

/** Question words and request verbs: in a query they say what is asked, not what it is about. */
export const QUERY_WORDS: ReadonlySet<string> = new Set(
  'what which who whom whose when where why how whats tell explain describe list show give name find define please kind type sort'.split(' '),
);

const WORD_RE = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/** Lowercased words with diacritics folded and possessive 's dropped. */
export function words(text: string): string[] {
  // Pure ASCII (most text) has no diacritics to fold and only ASCII letters and digits: a scan over char codes gives
  // the same words as WORD_RE without a match object per word (this runs on every re-ranked chunk and every embedded text).
  if (ASCII.test(text)) return asciiWords(text.toLowerCase());
  const folded = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
  const out: string[] = [];
  for (const m of folded.matchAll(WORD_RE)) {
    let w = m[0];
    const q = w.search(/['’]/);
    if (q > 0) w = w.slice(0, q);
    out.push(w);
  }
  return out;
}

const isLetter = (c: number) => c >= 97 && c <= 122; // a-z (the text is lowercased)
const isAlnum = (c: number) => isLetter(c) || (c >= 48 && c <= 57);

/** WORD_RE on lowercased ASCII: runs of letters and digits; an apostrophe and the letters after it end the word and are dropped. */
function asciiWords(lower: string): string[] {
  const out: string[] = [];
  const n = lower.length;
  let i = 0;
  while (i < n) {
    if (!isAlnum(lower.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && isAlnum(lower.charCodeAt(i))) i++;
    out.push(lower.slice(start, i));
    if (i + 1 < n && lower.charCodeAt(i) === 39 && isLetter(lower.charCodeAt(i + 1))) {
      i += 2;
      while (i < n && isLetter(lower.charCodeAt(i))) i++;
    }
  }
  return out;
}

/** Stems already computed: a query re-ranks dozens of chunks whose words mostly repeat. */
const STEMS = createCache<string, string>({ max: 50_000 });

/**
 * A light suffix stripper (plural, -ing, -ed, -ly, -ies, -ness, -ment…) so
 * "settled"/"settles"/"settling" meet. Not Porter: it errs on the side of
 * leaving words alone. Numbers and short words are returned as they are.
 */
export function stem(w: string): string {
  if (w.length <= 3) return w;
  let s = STEMS.get(w);
  if (s === undefined) {
    s = stemUncached(w);
    STEMS.set(w, s);
  }
  return s;
}

function stemUncached(w: string): string {
  if (w.length <= 3 || /\d/.test(w)) return w;
  let s = w;
  if (s.endsWith('ies') && s.length > 4) s = s.slice(0, -3) + 'y';
  else if (s.endsWith('sses')) s = s.slice(0, -2);
  else if (s.endsWith('ss') || s.endsWith('us') || s.endsWith('is')) {
    // keep: "class", "status", "analysis"
  } else if (s.endsWith('es') && /(?:sh|ch|x|z)es$/.test(s)) s = s.slice(0, -2);
  else if (s.endsWith('s') && s.length > 3) s = s.slice(0, -1);

  if (s.length > 5 && s.endsWith('ing')) s = undouble(s.slice(0, -3));
  else if (s.length > 4 && s.endsWith('ied')) s = s.slice(0, -3) + 'y';
  else if (s.length > 4 && s.endsWith('ed') && !s.endsWith('eed')) s = undouble(s.slice(0, -2));
  else if (s.length > 5 && s.endsWith('ly')) s = s.slice(0, -2);
  if (s.length > 6 && s.endsWith('ness')) s = s.slice(0, -4);
  else if (s.length > 7 && s.endsWith('ment')) s = s.slice(0, -4);
  else if (s.length > 6 && s.endsWith('ation')) s = s.slice(0, -5) + 'ate';
  if (s.length > 4 && s.endsWith('e')) s = s.slice(0, -1);
  return s;
}

function undouble(s: string): string {
  return s.length > 3 && /([bdfgmnprt])\1$/.test(s) ? s.slice(0, -1) : s;
}

export function isStopWord(w: string): boolean {
  return STOP_WORDS.has(w);
}

/** Sentences of a text: split after . ! ? (and CJK 。！？) followed by space/quote, and at blank lines. */
export function sentences(text: string): string[] {
  const out: string[] = [];
  for (const block of text.split(/\n\s*\n|\r\n\s*\r\n/)) {
    const flat = block.replace(/\s+/g, ' ').trim();
    if (!flat) continue;
    const parts = flat.split(/(?<=[.!?。！？])["”’)\]]?\s+(?=["“‘([]?[\p{Lu}\p{N}])|(?<=[。！？])/u);
    for (const p of parts) {
      const t = p.trim();
      if (t) out.push(t);
    }
  }
  return out;
}
