import { createHash } from 'node:crypto';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import OpenAI from 'openai';
import { Cache, createCache } from '../../common/cache';
import { AppConfig, ModelSettings } from '../../config/app-config';
import { CallBounds } from './call-bounds';
import { FairSemaphore } from '../../common/fair-semaphore';
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

/** Model used with a tenant's own key when the server itself runs the local binding. */
export const DEFAULT_BYO_MODEL = 'gpt-4o-mini';

export interface ModelFactoryOptions {
  settings: ModelSettings;
  /** Where usage is reported; without Nest (tests, scripts) it may be left out. */
  usage?: UsageSink | null;
  metrics?: EngineMetrics | null;
}

/** Tenants' own keys whose concurrency bound is remembered (least recently used forgotten first). */
const BYO_SEMAPHORES = 10_000;

/**
 * Builds provider sets without Nest (tests, scripts). One semaphore
 * (LLM_MAX_ASYNC) bounds every remote call made with the server's key,
 * embeddings included, shared fairly between tenants: they are served in
 * turn and one tenant holds at most LLM_MAX_ASYNC_PER_TENANT of its slots;
 * each tenant's own key has a semaphore of its own
 * (LLM_MAX_ASYNC too), so a key that hangs or is rate limited holds only its
 * own slots and never delays the other tenants' calls. The embedding provider
 * is built once and shared, because the vector column has one dimension for
 * every tenant.
 */
export class ModelFactory {
  readonly semaphore: FairSemaphore;
  readonly bounds: CallBounds;
  readonly embedding: EmbeddingProvider;
  private readonly telemetry: ProviderTelemetry;
  private hosted: ProviderSet | null = null;
  /** One semaphore per tenant's own key, by the key's SHA-256. */
  private readonly byoSemaphores: Cache<string, FairSemaphore> = createCache({ max: BYO_SEMAPHORES });

  constructor(private readonly opts: ModelFactoryOptions) {
    const s = opts.settings;
    this.semaphore = new FairSemaphore(s.llmMaxConcurrency, s.llmTenantConcurrency);
    this.bounds = new CallBounds(this.semaphore, { timeoutMs: s.llmTimeoutMs });
    this.telemetry = new ProviderTelemetry(opts.usage, opts.metrics, 'hosted');
    this.embedding =
      s.embeddingBinding === 'openai'
        ? new OpenAiEmbeddingProvider(this.client(s.llmBindingApiKey, this.bounds), s.embeddingModel, s.embeddingDim, this.bounds, this.telemetry)
        : new LocalEmbeddingProvider(s.embeddingDim, s.embeddingModel, this.telemetry);
  }

  /** The set for the server's own configuration (shared by every tenant without a key of its own). */
  hostedSet(): ProviderSet {
    if (this.hosted) return this.hosted;
    const s = this.opts.settings;
    this.hosted =
      s.llmBinding === 'openai'
        ? this.openAiSet(s.llmBindingApiKey, s.llmModel, this.telemetry, 'hosted', this.bounds)
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
   * that key, within that key's own semaphore, and are recorded as
   * `byo_key`; embeddings stay the server's.
   */
  byoKeySet(apiKey: string): ProviderSet {
    const s = this.opts.settings;
    const model = s.llmBinding === 'openai' ? s.llmModel : DEFAULT_BYO_MODEL;
    return this.openAiSet(apiKey, model, this.telemetry.withMode('byo_key'), 'byo_key', new CallBounds(this.byoSemaphore(apiKey), { timeoutMs: s.llmTimeoutMs }));
  }

  /** The concurrency bound of a tenant's own key (the same for every set built with that key). */
  byoSemaphore(apiKey: string): FairSemaphore {
    const id = createHash('sha256').update(apiKey).digest('hex');
    let semaphore = this.byoSemaphores.get(id);
    if (!semaphore) {
      semaphore = new FairSemaphore(this.opts.settings.llmMaxConcurrency);
      this.byoSemaphores.set(id, semaphore);
    }
    return semaphore;
  }

  private openAiSet(apiKey: string | null, model: string, telemetry: ProviderTelemetry, mode: 'hosted' | 'byo_key', bounds: CallBounds): ProviderSet {
    const llm = new OpenAiLlmProvider(this.client(apiKey, bounds), model, bounds, telemetry);
    return {
      embedding: this.embedding,
      llm,
      extraction: new OpenAiExtractionProvider(llm),
      keywords: new OpenAiKeywordExtractor(llm),
      answerer: new OpenAiAnswerer(llm),
      executionMode: mode,
    };
  }

  private client(apiKey: string | null, bounds: CallBounds): OpenAI {
    const s = this.opts.settings;
    return new OpenAI({
      // A keyless OpenAI-compatible server (ollama, vllm) still needs a non-empty value for the client.
      apiKey: apiKey ?? 'not-needed',
      ...(s.llmBindingHost ? { baseURL: s.llmBindingHost } : {}),
      ...bounds.clientOptions,
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
