/**
 * The seams between the RAG engine and the models. Two bindings implement
 * them: `local` (no network: lexical embeddings, rule-based extraction,
 * extractive answers) and `openai` (the official client; any OpenAI-compatible
 * server through LLM_BINDING_HOST).
 */

/** Who a model call is for: usage is recorded per tenant/KB/key, and a tenant's own LLM key is used when it has one. */
export interface CallContext {
  tenantId: string;
  kbId: string;
  apiKeyId?: string;
  purpose: 'embedding' | 'extraction' | 'keywords' | 'answer';
  /**
   * Ingestion's worker threads: when present, the local providers run their
   * CPU work there (under the job's time budget) instead of on this thread.
   * Remote providers have no CPU work to move and ignore it.
   */
  offload?: OffloadedCompute;
}

/** CPU work of the local providers run elsewhere (RagCompute's threads, bound to a job's or a long query's AbortSignal). */
export interface OffloadedCompute {
  embed(texts: string[], dim: number, model: string): Promise<{ vectors: number[][]; inputTokens: number }>;
  extract(text: string): Promise<{ result: { entities: ExtractedEntity[]; relations: ExtractedRelation[] }; inputTokens: number }>;
  keywords(text: string): Promise<{ result: QueryKeywords; usage: TokenUsage }>;
}

export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
}

export interface EmbeddingProvider {
  readonly binding: 'local' | 'openai';
  readonly model: string;
  readonly dim: number;
  /** One L2-normalised vector per text, in order. */
  embed(texts: string[], ctx: CallContext): Promise<number[][]>;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CompletionOptions {
  json?: boolean;
  maxTokens?: number;
  temperature?: number;
}

export interface LlmProvider {
  readonly binding: 'local' | 'openai';
  readonly model: string;
  complete(messages: ChatMessage[], opts: CompletionOptions, ctx: CallContext): Promise<{ text: string; usage: TokenUsage }>;
  /** Streams text deltas; usage is reported to the usage recorder when the stream ends. */
  stream(messages: ChatMessage[], opts: CompletionOptions, ctx: CallContext): AsyncIterable<string>;
}

export interface ExtractedEntity {
  name: string;
  type: string;
  description: string;
}

export interface ExtractedRelation {
  source: string;
  target: string;
  keywords: string;
  description: string;
  weight: number;
}

export interface ExtractionProvider {
  readonly binding: 'local' | 'openai';
  extract(text: string, ctx: CallContext): Promise<{ entities: ExtractedEntity[]; relations: ExtractedRelation[] }>;
}

/** LightRAG's query keywords: high-level (themes, for global/relation search) and low-level (entities, for local search). */
export interface QueryKeywords {
  highLevel: string[];
  lowLevel: string[];
}

export interface KeywordExtractor {
  readonly binding: 'local' | 'openai';
  extractKeywords(query: string, history: ChatMessage[], ctx: CallContext): Promise<QueryKeywords>;
}

export interface AnswerChunk {
  chunk_id: string;
  document_id: string;
  file_path: string;
  content: string;
  score: number;
}

export interface AnswerEntity {
  name: string;
  type: string;
  description: string;
  score: number;
}

export interface AnswerRelation {
  source: string;
  target: string;
  keywords: string;
  description: string;
  score: number;
}

export interface AnswerInput {
  query: string;
  chunks: AnswerChunk[];
  entities: AnswerEntity[];
  relations: AnswerRelation[];
  /** LightRAG's response_type, e.g. "Multiple Paragraphs" (default), "Single Paragraph", "Bullet Points". */
  responseType?: string;
  history?: ChatMessage[];
  /** Extra instructions from the caller (LightRAG's user_prompt), added to the answer prompt. */
  userPrompt?: string;
  /** Mode `bypass`: the query (and history) go straight to the model, without retrieved context. */
  bypass?: boolean;
  /** Mode `bypass`: the caller's system prompt for this one call (sent first). */
  system?: string;
}

export interface Answerer {
  readonly binding: 'local' | 'openai';
  answer(input: AnswerInput, ctx: CallContext): Promise<{ text: string; usage: TokenUsage }>;
  /** Streams text deltas; usage is reported to the usage recorder when the stream ends. */
  stream(input: AnswerInput, ctx: CallContext): AsyncIterable<string>;
}

/** Everything the engine needs to run one tenant's ingestion and queries. */
export interface ProviderSet {
  embedding: EmbeddingProvider;
  /** `null` with the local binding: there is no generative model, only the extractive answerer. */
  llm: LlmProvider | null;
  extraction: ExtractionProvider;
  keywords: KeywordExtractor;
  answerer: Answerer;
  /** hosted = the server's key (or local models); byo_key = the tenant's own LLM key. */
  executionMode: 'hosted' | 'byo_key';
}
