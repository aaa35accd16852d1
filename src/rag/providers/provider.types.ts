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
