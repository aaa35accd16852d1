import nlp from 'compromise';
import { CallContext, ExtractedEntity, ExtractedRelation, ExtractionProvider } from './provider.types';
import { ProviderTelemetry } from './provider-telemetry';
import { STOP_WORDS, words } from './lexical';

/**
 * The `local` extraction: RULE-BASED, no language model. It finds people,
 * places and organisations with the `compromise` NLP library (a lexicon plus
 * tagging rules, English only), and noun-phrase concepts; it relates entities
 * that occur in the same sentence. Expect what such rules give: decent proper
 * nouns in well-formed English, no coreference ("he", "the company"), no real
 * understanding of the relation — its keywords are the sentence's verbs and
 * its description is the sentence itself.
 *
 * - entity types: person, organization, location, event (proper noun phrases
 *   ending in War, Battle, Festival…), concept (other proper nouns and
 *   noun phrases that recur in the text); at most 60 per text;
 * - names: punctuation trimmed, proper nouns in title case, deduplicated
 *   case-insensitively (the more specific type wins);
 * - entity description: the first sentences that mention it (≤ 600 chars);
 * - relation: one per entity pair co-occurring in a sentence; weight = number
 *   of such sentences; description = those sentences (≤ 600 chars).
 */
export class LocalExtractionProvider implements ExtractionProvider {
  readonly binding = 'local' as const;
  readonly model = 'local-rules';

  constructor(private readonly telemetry?: ProviderTelemetry) {}

  async extract(text: string, ctx: CallContext): Promise<{ entities: ExtractedEntity[]; relations: ExtractedRelation[] }> {
    const started = process.hrtime.bigint();
    if (ctx.offload) {
      const { result, inputTokens } = await ctx.offload.extract(text);
      this.telemetry?.latency('local', 'extraction', started);
      this.telemetry?.record({ ...ctx, purpose: 'extraction' }, 'local', this.model, { input_tokens: inputTokens, output_tokens: 0 });
      return result;
    }
    const result = await extractEntitiesAndRelationsAsync(text);
    this.telemetry?.latency('local', 'extraction', started);
    this.telemetry?.recordCounted({ ...ctx, purpose: 'extraction' }, 'local', this.model, [text], []);
    return result;
  }
}

const MAX_DESCRIPTION = 600;
const MAX_ENTITIES_PER_SENTENCE = 6;
const TYPE_RANK: Record<string, number> = { person: 3, organization: 3, location: 3, event: 3, concept: 1 };
const EVENT_WORDS =
  /\b(war|battle|revolution|olympics|festival|conference|election|summit|championship|crisis|treaty|siege|massacre|games|cup|expedition|uprising|rebellion|council|congress)$/i;

interface EntityAcc {
  name: string;
  type: string;
  sentences: string[];
  count: number;
}

interface RelationAcc {
  source: string;
  target: string;
  keywords: Set<string>;
  sentences: string[];
  weight: number;
}

export function normaliseName(raw: string, proper: boolean): string {
  let s = raw.replace(/\s+/g, ' ').replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
  s = s.replace(/['’]s$/i, '');
  if (proper)
    s = s
      .split(' ')
      .map((w) => (w && w === w.toLowerCase() ? w[0].toUpperCase() + w.slice(1) : w))
      .join(' ');
  return s;
}

function meaningful(name: string): boolean {
  if (name.length < 2 || name.length > 80) return false;
  const ws = words(name);
  if (ws.length === 0 || ws.length > 6) return false;
  return ws.some((w) => !STOP_WORDS.has(w) && !/^\d+$/.test(w));
}

/** One term of compromise's document model (only what we read). */
interface Term {
  text: string;
  pre: string;
  post: string;
}
interface Mention {
  name: string;
  type: string;
  sentence: number;
}

/** A matched run of terms split where punctuation separates them ("Denmark, Iceland" → two names). */
function phrasesOf(terms: Term[]): string[] {
  const out: string[] = [];
  let cur = '';
  terms.forEach((t, i) => {
    if (cur && /[(["“]/.test(t.pre)) {
      out.push(cur);
      cur = '';
    }
    cur += (cur ? ' ' : '') + t.text;
    if (i < terms.length - 1 && /[,;:()[\]"”“!?.]/.test(t.post)) {
      out.push(cur);
      cur = '';
    }
  });
  if (cur) out.push(cur);
  return out;
}

type Doc = ReturnType<typeof nlp>;
/**
 * Matches as (sentence index, terms). Read through pointers into the parsed
 * document: compromise's `.json({ offset })` costs more than the parse itself.
 */
function matches(doc: Doc, view: unknown): Array<{ sentence: number; terms: Term[] }> {
  const document = (doc as unknown as { document: Term[][] }).document;
  const pointers = ((view as { fullPointer?: number[][] }).fullPointer ?? []) as number[][];
  return pointers.map(([n, start, end]) => ({ sentence: n, terms: (document[n] ?? []).slice(start, end ?? (document[n] ?? []).length) }));
}

const MAX_ENTITIES_PER_CHUNK = 60;

interface Parsed {
  sents: string[];
  mentions: Mention[];
  verbsBySentence: Map<number, string[]>;
}

/** Parses one piece of text with compromise; sentence indices start at `base`. */
function parsePiece(text: string, base: number, into: Parsed): void {
  const doc = nlp(text);
  const document = (doc as unknown as { document: Term[][] }).document;
  const sentenceAt = (n: number) => base + n;
  for (const terms of document)
    into.sents.push(
      terms
        .map((t) => t.pre + t.text + t.post)
        .join('')
        .replace(/\s+/g, ' ')
        .trim(),
    );
  const collect = (view: unknown, type: string, proper: boolean) => {
    for (const m of matches(doc, view)) {
      for (const p of phrasesOf(m.terms)) {
        let name = normaliseName(p, proper);
        if (!proper) name = name.toLowerCase();
        if (!meaningful(name)) continue;
        const t = type === 'concept' && proper && EVENT_WORDS.test(name) ? 'event' : type;
        into.mentions.push({ name, type: t, sentence: sentenceAt(m.sentence) });
      }
    }
  };
  collect(doc.people(), 'person', true);
  collect(doc.organizations(), 'organization', true);
  collect(doc.places(), 'location', true);
  // Proper nouns that are none of the above (works, events, products, peoples…).
  collect(doc.match('#ProperNoun+').not('(#Person|#Place|#Organization)'), 'concept', true);
  // Common noun phrases: concepts when they recur in the text.
  collect(doc.match('#Adjective? #Noun+').not('(#Pronoun|#Determiner|#Possessive|#Person|#Place|#Organization|#ProperNoun|#Value|#Date)'), 'common', false);
  for (const m of matches(doc, doc.verbs().not('(#Auxiliary|#Copula|#Modal)'))) {
    const si = sentenceAt(m.sentence);
    const v = m.terms
      .map((t) => t.text)
      .join(' ')
      .toLowerCase()
      .replace(/[^\p{L}\s-]/gu, '')
      .trim();
    if (v && !STOP_WORDS.has(v)) into.verbsBySentence.set(si, [...(into.verbsBySentence.get(si) ?? []), v]);
  }
}

/** Pieces of ~2000 characters cut at paragraph or sentence ends, so that parsing can yield to the event loop between them. */
const PIECE_CHARS = 2000;
export function splitIntoPieces(text: string): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > PIECE_CHARS * 1.5) {
    const window = rest.slice(0, PIECE_CHARS * 1.5);
    let cut = window.lastIndexOf('\n\n', PIECE_CHARS * 1.5);
    if (cut < PIECE_CHARS / 2) {
      const m = [...window.matchAll(/[.!?。！？]["”’)\]]?\s+/g)].filter((x) => (x.index ?? 0) > PIECE_CHARS / 2).pop();
      cut = m ? (m.index ?? 0) + m[0].length : -1;
    }
    if (cut < PIECE_CHARS / 2) cut = window.lastIndexOf(' ') > PIECE_CHARS / 2 ? window.lastIndexOf(' ') : window.length;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest.trim()) pieces.push(rest);
  return pieces;
}

/** Synchronous core (one chunk of ~1200 tokens takes ~0.1 s); `extract` runs it piece by piece and yields between pieces. */
export function extractEntitiesAndRelations(text: string): { entities: ExtractedEntity[]; relations: ExtractedRelation[] } {
  const parsed: Parsed = { sents: [], mentions: [], verbsBySentence: new Map() };
  for (const piece of splitIntoPieces(text ?? '')) parsePiece(piece, parsed.sents.length, parsed);
  return assemble(parsed);
}

export async function extractEntitiesAndRelationsAsync(text: string): Promise<{ entities: ExtractedEntity[]; relations: ExtractedRelation[] }> {
  const parsed: Parsed = { sents: [], mentions: [], verbsBySentence: new Map() };
  for (const piece of splitIntoPieces(text ?? '')) {
    parsePiece(piece, parsed.sents.length, parsed);
    await new Promise((r) => setImmediate(r));
  }
  return assemble(parsed);
}

function assemble({ sents, mentions, verbsBySentence }: Parsed): { entities: ExtractedEntity[]; relations: ExtractedRelation[] } {
  const commonCounts = new Map<string, number>();
  for (const m of mentions) if (m.type === 'common') commonCounts.set(m.name, (commonCounts.get(m.name) ?? 0) + 1);

  const entities = new Map<string, EntityAcc>();
  const bySentence = new Map<number, string[]>();
  for (const m of mentions) {
    if (m.type === 'common' && (commonCounts.get(m.name) ?? 0) < 2) continue;
    const type = m.type === 'common' ? 'concept' : m.type;
    const key = m.name.toLowerCase();
    let e = entities.get(key);
    if (!e) {
      e = { name: m.name, type, sentences: [], count: 0 };
      entities.set(key, e);
    } else if ((TYPE_RANK[type] ?? 0) > (TYPE_RANK[e.type] ?? 0)) {
      e.type = type;
      e.name = m.name;
    }
    e.count++;
    const sentence = sents[m.sentence] ?? '';
    if (sentence && !e.sentences.includes(sentence) && e.sentences.join(' ').length < MAX_DESCRIPTION) e.sentences.push(sentence);
    const list = bySentence.get(m.sentence) ?? [];
    if (!list.includes(key)) list.push(key);
    bySentence.set(m.sentence, list);
  }

  // Keep the chunk's most salient entities: specific types first, then by mentions.
  const kept = new Set(
    [...entities.entries()]
      .sort(([, a], [, b]) => (TYPE_RANK[b.type] ?? 0) - (TYPE_RANK[a.type] ?? 0) || b.count - a.count)
      .slice(0, MAX_ENTITIES_PER_CHUNK)
      .map(([k]) => k),
  );

  const relations = new Map<string, RelationAcc>();
  for (const [si, keys] of bySentence) {
    const sentence = sents[si] ?? '';
    const verbs = verbsBySentence.get(si) ?? [];
    const ranked = keys
      .filter((k) => kept.has(k))
      .map((k) => entities.get(k)!)
      .sort((a, b) => (TYPE_RANK[b.type] ?? 0) - (TYPE_RANK[a.type] ?? 0))
      .slice(0, MAX_ENTITIES_PER_SENTENCE);
    for (let i = 0; i < ranked.length; i++) {
      for (let j = i + 1; j < ranked.length; j++) {
        const [a, b] = [ranked[i].name, ranked[j].name].sort((x, y) => x.localeCompare(y));
        const key = `${a.toLowerCase()}\u0000${b.toLowerCase()}`;
        let r = relations.get(key);
        if (!r) {
          r = { source: a, target: b, keywords: new Set(), sentences: [], weight: 0 };
          relations.set(key, r);
        }
        r.weight++;
        for (const v of verbs.slice(0, 3)) r.keywords.add(v);
        if (sentence && !r.sentences.includes(sentence) && r.sentences.join(' ').length < MAX_DESCRIPTION) r.sentences.push(sentence);
      }
    }
  }

  const outEntities: ExtractedEntity[] = [...entities.entries()]
    .filter(([k]) => kept.has(k))
    .map(([, e]) => ({ name: e.name, type: e.type, description: clip(e.sentences.join(' ')) }));
  const finalName = (n: string) => entities.get(n.toLowerCase())?.name ?? n;
  const outRelations: ExtractedRelation[] = [...relations.values()].map((r) => ({
    source: finalName(r.source),
    target: finalName(r.target),
    keywords: r.keywords.size ? [...r.keywords].slice(0, 5).join(', ') : 'co-occurrence',
    description: clip(r.sentences.join(' ')),
    weight: r.weight,
  }));
  return { entities: outEntities, relations: outRelations };
}

function clip(s: string): string {
  if (s.length <= MAX_DESCRIPTION) return s;
  const cut = s.slice(0, MAX_DESCRIPTION);
  const sp = cut.lastIndexOf(' ');
  return (sp > MAX_DESCRIPTION * 0.6 ? cut.slice(0, sp) : cut) + '…';
}
