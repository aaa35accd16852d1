import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import OpenAI from 'openai';
import { AppConfig, Settings } from '../../config/app-config';
import { CallBounds, Semaphore } from './call-bounds';
import { LocalAnswerer } from './local-answerer';
import { LocalEmbeddingProvider } from './local-embedding.provider';
import { LocalExtractionProvider } from './local-extraction.provider';
import { LocalKeywordExtractor, warmUpQueryTagger } from './local-keyword-extractor';
import { OpenAiEmbeddingProvider } from './openai-embedding.provider';
import { OpenAiAnswerer, OpenAiExtractionProvider, OpenAiKeywordExtractor } from './openai-extraction.provider';
import { OpenAiLlmProvider } from './openai-llm.provider';
import { EmbeddingProvider, ProviderSet } from './provider.types';
import { ProviderTelemetry } from './provider-telemetry';
import { EngineMetrics, TenantLlmKeys, UsageSink } from '../ports';

export type { ProviderSet } from './provider.types';

type ModelSettings = Pick<
  Settings,
  'llmBinding' | 'llmModel' | 'llmBindingHost' | 'llmBindingApiKey' | 'llmTimeoutMs' | 'llmMaxConcurrency' | 'embeddingBinding' | 'embeddingModel' | 'embeddingDim'
>;

/** Model used with a tenant's own key when the server itself runs the local binding. */
export const DEFAULT_BYO_MODEL = 'gpt-4o-mini';

export interface ModelFactoryOptions {
  settings: ModelSettings;
  /** Where usage is reported; without Nest (tests, scripts) it may be left out. */
  usage?: UsageSink | null;
  metrics?: EngineMetrics | null;
}

/**
 * Builds provider sets without Nest (tests, scripts). One semaphore
 * (LLM_MAX_ASYNC) bounds every remote call of the process, embeddings
 * included; the embedding provider is built once and shared, because the
 * vector column has one dimension for every tenant.
 */
export class ModelFactory {
  readonly semaphore: Semaphore;
  readonly bounds: CallBounds;
  readonly embedding: EmbeddingProvider;
  private readonly telemetry: ProviderTelemetry;
  private hosted: ProviderSet | null = null;

  constructor(private readonly opts: ModelFactoryOptions) {
    const s = opts.settings;
    this.semaphore = new Semaphore(s.llmMaxConcurrency);
    this.bounds = new CallBounds(this.semaphore, { timeoutMs: s.llmTimeoutMs });
    this.telemetry = new ProviderTelemetry(opts.usage, opts.metrics, 'hosted');
    this.embedding =
      s.embeddingBinding === 'openai'
        ? new OpenAiEmbeddingProvider(this.client(s.llmBindingApiKey), s.embeddingModel, s.embeddingDim, this.bounds, this.telemetry)
        : new LocalEmbeddingProvider(s.embeddingDim, s.embeddingModel, this.telemetry);
  }

  /** The set for the server's own configuration (shared by every tenant without a key of its own). */
  hostedSet(): ProviderSet {
    if (this.hosted) return this.hosted;
    const s = this.opts.settings;
    this.hosted =
      s.llmBinding === 'openai'
        ? this.openAiSet(s.llmBindingApiKey, s.llmModel, this.telemetry, 'hosted')
        : {
            embedding: this.embedding,
            llm: null,
            extraction: new LocalExtractionProvider(this.telemetry),
            keywords: new LocalKeywordExtractor(this.telemetry),
            answerer: new LocalAnswerer(this.telemetry),
            executionMode: 'hosted',
          };
    return this.hosted;
  }

  /**
   * The set for a tenant's own key (bring-your-own-key): the LLM calls use
   * that key and are recorded as `byo_key`; embeddings stay the server's.
   */
  byoKeySet(apiKey: string): ProviderSet {
    const s = this.opts.settings;
    const model = s.llmBinding === 'openai' ? s.llmModel : DEFAULT_BYO_MODEL;
    return this.openAiSet(apiKey, model, this.telemetry.withMode('byo_key'), 'byo_key');
  }

  private openAiSet(apiKey: string | null, model: string, telemetry: ProviderTelemetry, mode: 'hosted' | 'byo_key'): ProviderSet {
    const llm = new OpenAiLlmProvider(this.client(apiKey), model, this.bounds, telemetry);
    return {
      embedding: this.embedding,
      llm,
      extraction: new OpenAiExtractionProvider(llm),
      keywords: new OpenAiKeywordExtractor(llm),
      answerer: new OpenAiAnswerer(llm),
      executionMode: mode,
    };
  }

  private client(apiKey: string | null): OpenAI {
    const s = this.opts.settings;
    return new OpenAI({
      // A keyless OpenAI-compatible server (ollama, vllm) still needs a non-empty value for the client.
      apiKey: apiKey ?? 'not-needed',
      ...(s.llmBindingHost ? { baseURL: s.llmBindingHost } : {}),
      ...this.bounds.clientOptions,
    });
  }
}

/**
 * What the RAG engine asks for models: `forTenant(tenantId)` returns the
 * tenant's ProviderSet — the server's configuration ("hosted"), or the
 * tenant's own LLM key when TenantLlmKeys has one ("byo_key"). Its ports
 * (UsageSink, EngineMetrics, TenantLlmKeys) are required: the server does
 * not boot without them.
 */
@Injectable()
export class ModelProviders implements OnApplicationBootstrap {
  readonly factory: ModelFactory;

  constructor(
    private readonly config: AppConfig,
    usage: UsageSink,
    metrics: EngineMetrics,
    private readonly tenantKeys: TenantLlmKeys,
  ) {
    this.factory = new ModelFactory({ settings: config.settings, usage, metrics });
  }

  /** The local keyword extractor's tagger is loaded before the first request, not during it. */
  onApplicationBootstrap(): void {
    if (this.config.settings.llmBinding !== 'openai') warmUpQueryTagger();
  }

  /** The shared embedding provider (one vector width for the whole server). */
  get embedding(): EmbeddingProvider {
    return this.factory.embedding;
  }

  async forTenant(tenantId: string): Promise<ProviderSet> {
    const key = await this.tenantKeys.getKey(tenantId);
    return key ? this.factory.byoKeySet(key) : this.factory.hostedSet();
  }
}
