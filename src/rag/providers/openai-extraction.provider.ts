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
    const first = await this.llm.complete(messages, { json: true, temperature: 0 }, c);
    const ok = validateExtraction(parseJsonObject(first.text));
    if (ok) return ok;
    const retry: ChatMessage[] = [...messages, { role: 'assistant', content: first.text.slice(0, 4000) }, { role: 'user', content: EXTRACTION_CORRECTION }];
    const second = await this.llm.complete(retry, { json: true, temperature: 0 }, c);
    const ok2 = validateExtraction(parseJsonObject(second.text));
    if (ok2) return ok2;
    throw upstreamError('the model did not return valid extraction JSON, even after a corrective retry');
  }
}

/** LightRAG's keywords_extraction with the LLM; one corrective retry, then UPSTREAM_ERROR. */
export class OpenAiKeywordExtractor implements KeywordExtractor {
  readonly binding = 'openai' as const;

  constructor(private readonly llm: LlmProvider) {}

  async extractKeywords(query: string, history: ChatMessage[], ctx: CallContext): Promise<QueryKeywords> {
    const c = { ...ctx, purpose: 'keywords' as const };
    const messages = keywordMessages(query, history);
    const first = await this.llm.complete(messages, { json: true, temperature: 0 }, c);
    const ok = validateKeywords(parseJsonObject(first.text));
    if (ok) return ok;
    const retry: ChatMessage[] = [
      ...messages,
      { role: 'assistant', content: first.text.slice(0, 2000) },
      { role: 'user', content: 'Answer again with ONLY the JSON object {"high_level_keywords": [...], "low_level_keywords": [...]} (lists of strings).' },
    ];
    const second = await this.llm.complete(retry, { json: true, temperature: 0 }, c);
    const ok2 = validateKeywords(parseJsonObject(second.text));
    if (ok2) return ok2;
    throw upstreamError('the model did not return valid keywords JSON, even after a corrective retry');
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
