/**
 * What the RAG engine needs from the rest of the server, declared here so the
 * engine never imports a feature module. Each port is an abstract class used
 * as a DI token; src/engine/engine.module.ts binds it to the feature service
 * that implements it (`useExisting`). None is optional: a port left unbound
 * fails at boot, so usage accounting, budgets and metrics cannot silently
 * switch off.
 */

/** One model call's usage, as the providers report it. */
export interface ModelUsage {
  tenantId: string;
  kbId: string | null;
  apiKeyId?: string | null;
  provider: 'local' | 'openai';
  model: string;
  kind: 'embedding' | 'extraction' | 'keywords' | 'answer';
  inputTokens: number;
  outputTokens: number;
  /** hosted = the server's LLM key; byo_key = the tenant's own key. */
  executionMode: 'hosted' | 'byo_key';
}

/** Where providers report token usage (the usage module stores and prices it). Must not throw for a recorded call. */
export abstract class UsageSink {
  abstract record(event: ModelUsage): void;
}

/**
 * The tenant's monthly model budget: throws QUOTA_EXCEEDED (429 with
 * Retry-After) when the tenant has used it up. Called before model work.
 */
export abstract class ModelBudget {
  abstract assertAvailable(tenantId: string, kind: 'query' | 'ingestion'): Promise<void>;
}

/** A tenant's own LLM key (bring-your-own-key), or null when it runs on the server's key ("hosted"). */
export abstract class TenantLlmKeys {
  abstract getKey(tenantId: string): Promise<string | null>;
}

/** The KB a RAG instance is built for; 404 NOT_FOUND when the tenant has no such KB. */
export abstract class KnowledgeBaseLookup {
  abstract assertExists(tenantId: string, kbId: string): Promise<{ config: object | null }>;
}

type Labels = Partial<Record<string, string | number>>;
interface CounterLike {
  inc(labels?: Labels, value?: number): void;
}
interface HistogramLike {
  observe(labels: Labels, value: number): void;
}
interface GaugeLike {
  set(labels: Labels, value: number): void;
}

/** The Prometheus series the engine observes (a subset of MetricsService's, same names). */
export abstract class EngineMetrics {
  abstract readonly queryLatency: HistogramLike;
  abstract readonly documentProcessingTime: HistogramLike;
  abstract readonly jobFailures: CounterLike;
  abstract readonly queueDepth: GaugeLike;
  abstract readonly providerLatency: HistogramLike;
  abstract readonly providerErrors: CounterLike;
  abstract readonly ragInstanceCacheHits: CounterLike;
  abstract readonly ragInstanceCacheMisses: CounterLike;
  abstract readonly ragInstanceCacheEvictions: CounterLike;
}
