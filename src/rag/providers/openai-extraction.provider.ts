import { upstreamError } from './call-bounds';
import { parseJsonObject, validateExtraction, validateKeywords } from './json-shapes';
import { EXTRACTION_CORRECTION, answerMessages, extractionMessages, keywordMessages } from './prompts';
import {
  AnswerInput,
  Answerer,
  CallContext,
  ChatMessage,
  ExtractedEntity,
  ExtractedRelation,
  ExtractionProvider,
  KeywordExtractor,
  LlmProvider,
  QueryKeywords,
  TokenUsage,
} from './provider.types';

/**
 * LightRAG-style entity/relation extraction with the LLM, as JSON. An answer
 * that is not valid JSON of the right shape gets one corrective retry (the
 * bad answer and a correction are sent back); a second bad answer is an
 * UPSTREAM_ERROR. Transport retries happen below, in the LLM provider.
 */
export class OpenAiExtractionProvider implements ExtractionProvider {
  readonly binding = 'openai' as const;

  constructor(private readonly llm: LlmProvider) {}

  async extract(text: string, ctx: CallContext): Promise<{ entities: ExtractedEntity[]; relations: ExtractedRelation[] }> {
    const c = { ...ctx, purpose: 'extraction' as const };
    const messages = extractionMessages(text);
    return completeValidJson(this.llm, messages, c, validateExtraction, EXTRACTION_CORRECTION, 4000, 'extraction');
  }
}

/**
 * Asks for JSON, validates it, and on an invalid answer asks once more with a
 * corrective message (the model sees its own answer); then UPSTREAM_ERROR.
 */
async function completeValidJson<T>(
  llm: LlmProvider,
  messages: ChatMessage[],
  ctx: CallContext,
  validate: (value: unknown) => T | null,
  correction: string,
  echoChars: number,
  what: string,
): Promise<T> {
  const first = await llm.complete(messages, { json: true, temperature: 0 }, ctx);
  const ok = validate(parseJsonObject(first.text));
  if (ok) return ok;
  const retry: ChatMessage[] = [...messages, { role: 'assistant', content: first.text.slice(0, echoChars) }, { role: 'user', content: correction }];
  const second = await llm.complete(retry, { json: true, temperature: 0 }, ctx);
  const ok2 = validate(parseJsonObject(second.text));
  if (ok2) return ok2;
  throw upstreamError(`the model did not return valid ${what} JSON, even after a corrective retry`);
}

/** LightRAG's keywords_extraction with the LLM; one corrective retry, then UPSTREAM_ERROR. */
export class OpenAiKeywordExtractor implements KeywordExtractor {
  readonly binding = 'openai' as const;

  constructor(private readonly llm: LlmProvider) {}

  async extractKeywords(query: string, history: ChatMessage[], ctx: CallContext): Promise<QueryKeywords> {
    const c = { ...ctx, purpose: 'keywords' as const };
    const messages = keywordMessages(query, history);
    return completeValidJson(
      this.llm,
      messages,
      c,
      validateKeywords,
      'Answer again with ONLY the JSON object {"high_level_keywords": [...], "low_level_keywords": [...]} (lists of strings).',
      2000,
      'keywords',
    );
  }
}

/** LightRAG's rag_response prompt (entities, relations, chunks with [n] reference ids); bypass sends only history + query. */
export class OpenAiAnswerer implements Answerer {
  readonly binding = 'openai' as const;

  constructor(private readonly llm: LlmProvider) {}

  answer(input: AnswerInput, ctx: CallContext): Promise<{ text: string; usage: TokenUsage }> {
    return this.llm.complete(answerMessages(input), {}, { ...ctx, purpose: 'answer' });
  }

  stream(input: AnswerInput, ctx: CallContext): AsyncIterable<string> {
    return this.llm.stream(answerMessages(input), {}, { ...ctx, purpose: 'answer' });
  }
}
