import { countTokens } from '../chunking/tokens';
import { referenceList } from './prompts';
import { AnswerInput, Answerer, CallContext, TokenUsage } from './provider.types';
import { ProviderTelemetry } from './provider-telemetry';
import { QUERY_WORDS, STOP_WORDS, sentences, stem, words } from './lexical';

/**
 * The `local` answerer: EXTRACTIVE, not generative. It quotes the retrieved
 * sentences that best match the query (stemmed term overlap, weighted by term
 * rarity within the retrieved context, plus the chunk's retrieval score) and
 * cites them; it does not reason, summarise or rephrase. The answer says so
 * in its first line, so nobody mistakes it for an LLM's.
 *
 * response_type: "Single Paragraph" → the best 3 sentences in one paragraph;
 * "Bullet Points" → up to 6 bullets; anything else ("Multiple Paragraphs",
 * the default) → up to 6 sentences grouped by source. Every quoted sentence
 * carries its [n] reference, and a "References" list ([n] file_path) ends it.
 * bypass mode (no context) answers that the local binding cannot answer
 * without retrieved context.
 */
export class LocalAnswerer implements Answerer {
  readonly binding = 'local' as const;
  readonly model = 'local-extractive';

  constructor(private readonly telemetry?: ProviderTelemetry) {}

  async answer(input: AnswerInput, ctx: CallContext): Promise<{ text: string; usage: TokenUsage }> {
    const started = process.hrtime.bigint();
    const text = composeExtractiveAnswer(input);
    this.telemetry?.latency('local', 'answer', started);
    const usage = this.countUsage(input, text, ctx);
    return { text, usage };
  }

  async *stream(input: AnswerInput, ctx: CallContext): AsyncIterable<string> {
    const { text } = await this.answer(input, ctx);
    // Small deltas (a few words each), like a model's stream.
    const parts = text.match(/\S+\s*|\s+/g) ?? [];
    for (let i = 0; i < parts.length; i += 4) yield parts.slice(i, i + 4).join('');
  }

  private countUsage(input: AnswerInput, text: string, ctx: CallContext): TokenUsage {
    const inputs = [input.query, ...input.chunks.map((c) => c.content)];
    if (this.telemetry) return this.telemetry.recordCounted({ ...ctx, purpose: 'answer' }, 'local', this.model, inputs, [text]);
    return { input_tokens: inputs.reduce((n, t) => n + countTokens(t), 0), output_tokens: countTokens(text) };
  }
}

export const EXTRACTIVE_NOTICE = '_Extractive answer (local mode): the most relevant passages of the knowledge base, quoted as they are._';

interface Candidate {
  sentence: string;
  ref: number;
  chunkIdx: number;
  order: number;
  score: number;
}

export function composeExtractiveAnswer(input: AnswerInput): string {
  if (input.bypass) {
    return 'The local model cannot answer without retrieved context (mode "bypass" needs an LLM: set LLM_BINDING=openai).';
  }
  const terms = [
    ...new Set(
      words(input.query)
        .filter((w) => !STOP_WORDS.has(w) && !QUERY_WORDS.has(w))
        .map(stem),
    ),
  ];
  const refs = referenceList(input);
  const candidates: Candidate[] = [];
  input.chunks.forEach((c, chunkIdx) => {
    // Markdown heading lines become blocks of their own (then skipped below), not the start of the next sentence.
    sentences(c.content.replace(/^(#{1,6}\s.*)$/gm, '\n$1\n')).forEach((sentence, order) => {
      // A Markdown heading is a title, not an answer; quoted beside the sentences of its source it would turn
      // the whole paragraph into a heading wherever the answer is rendered as Markdown.
      if (sentence.length < 15 || /^#{1,6}\s/.test(sentence)) return;
      candidates.push({ sentence, ref: refs.idOf.get(c.file_path || c.document_id) ?? 0, chunkIdx, order, score: 0 });
    });
  });
  if (candidates.length === 0 || input.chunks.length === 0) {
    return `${EXTRACTIVE_NOTICE}\n\nThe knowledge base has no passages relevant to this question.`;
  }
  // Rarity of each query term among the candidate sentences (an IDF over the retrieved context).
  const stems = candidates.map((c) => new Set(words(c.sentence).map(stem)));
  const idf = new Map<string, number>();
  for (const t of terms) {
    const df = stems.reduce((n, s) => n + (s.has(t) ? 1 : 0), 0);
    idf.set(t, Math.log(1 + candidates.length / (1 + df)));
  }
  const maxIdf = terms.reduce((m, t) => m + (idf.get(t) ?? 0), 0) || 1;
  const maxChunkScore = Math.max(...input.chunks.map((c) => c.score), 1e-9);
  const overlaps: number[] = [];
  candidates.forEach((c, i) => {
    const overlap = terms.reduce((n, t) => n + (stems[i].has(t) ? (idf.get(t) ?? 0) : 0), 0) / maxIdf;
    const chunkScore = Math.max(0, input.chunks[c.chunkIdx].score) / maxChunkScore;
    // Overlap dominates; the retrieval score breaks ties and favours top chunks; very long sentences are slightly penalised.
    c.score = overlap + 0.25 * chunkScore - (c.sentence.length > 400 ? 0.05 : 0);
    overlaps.push(overlap);
  });
  // Sentences sharing no query term are not quoted, unless none does (then the top chunk speaks).
  const best = Math.max(...candidates.map((c) => c.score));
  const anyOverlap = overlaps.some((o) => o > 0);
  const eligible = candidates.filter((c, i) => (anyOverlap ? overlaps[i] > 0 && c.score >= 0.3 * best : c.chunkIdx === 0));

  const type = (input.responseType ?? '').toLowerCase();
  const limit = type.includes('single') || type.includes('sentence') ? 3 : 6;
  const picked = [...eligible]
    .sort((a, b) => b.score - a.score)
    .filter((c, i, all) => all.findIndex((d) => d.sentence === c.sentence) === i)
    .slice(0, limit);
  // Read in document order: by chunk rank, then position in the chunk.
  picked.sort((a, b) => a.chunkIdx - b.chunkIdx || a.order - b.order);

  let body: string;
  if (type.includes('bullet') || type.includes('list')) {
    body = picked.map((c) => `- ${c.sentence} [${c.ref}]`).join('\n');
  } else if (limit === 3) {
    body = picked.map((c) => `${c.sentence} [${c.ref}]`).join(' ');
  } else {
    const paragraphs: string[] = [];
    let cur: Candidate[] = [];
    for (const c of picked) {
      if (cur.length && cur[cur.length - 1].ref !== c.ref) {
        paragraphs.push(cur.map((x) => x.sentence).join(' ') + ` [${cur[0].ref}]`);
        cur = [];
      }
      cur.push(c);
    }
    if (cur.length) paragraphs.push(cur.map((x) => x.sentence).join(' ') + ` [${cur[0].ref}]`);
    body = paragraphs.join('\n\n');
  }
  const used = [...new Set(picked.map((c) => c.ref))].sort((a, b) => a - b);
  const refLines = used.map((n) => refs.lines[n - 1]).filter(Boolean);
  return `${EXTRACTIVE_NOTICE}\n\n${body}\n\n### References\n${refLines.join('\n')}`;
}
