import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Cache, createCache } from '../common/cache';
import { TenantEvents } from '../context/tenant-events';
import { EngineMetrics, KnowledgeBaseLookup } from './ports';
import type { QueryMode } from './query-mode';
import { ModelProviders } from './providers/model-providers';
import type { ProviderSet, QueryKeywords } from './providers/provider.types';
import { InstanceCache } from './instance-cache';
import type { KbSizes } from './retrieval/retrieval.repository';

export interface RagConfig {
  chunkTokenSize: number;
  chunkOverlapTokenSize: number;
  topK: number;
  chunkTopK: number;
  defaultMode: QueryMode;
  enableRerank: boolean;
}

const KEYWORD_CACHE_SIZE = 256;
const KB_SIZE_TTL_MS = 30_000;

/**
 * One KB's engine state (LightRAG's per-workspace instance): resolved config, the
 * tenant's providers and small in-memory caches. Finalizing drops the caches;
 * an instance handed out before finalization keeps working (it holds no
 * connection of its own), it just stops caching.
 */
export class RagInstance {
  private finalized = false;
  private readonly keywordCache: Cache<string, QueryKeywords> = createCache({ max: KEYWORD_CACHE_SIZE });
  private kbSize: { sizes: KbSizes; at: number } | null = null;

  constructor(
    readonly tenantId: string,
    readonly kbId: string,
    readonly config: RagConfig,
    readonly providers: ProviderSet,
  ) {}

  get isFinalized(): boolean {
    return this.finalized;
  }

  cachedKeywords(query: string): QueryKeywords | undefined {
    return this.keywordCache.get(query);
  }

  rememberKeywords(query: string, k: QueryKeywords): void {
    if (!this.finalized) this.keywordCache.set(query, k);
  }

  /** The KB's row counts, remembered for a few seconds (choose exact vs index search per table). */
  cachedKbSize(): KbSizes | null {
    return this.kbSize && Date.now() - this.kbSize.at < KB_SIZE_TTL_MS ? this.kbSize.sizes : null;
  }

  rememberKbSize(sizes: KbSizes): void {
    if (!this.finalized) this.kbSize = { sizes, at: Date.now() };
  }

  /** Called when the KB's content changed (a document processed or deleted). */
  forgetKbSize(): void {
    this.kbSize = null;
  }

  finalize(): void {
    this.finalized = true;
    this.keywordCache.clear();
    this.kbSize = null;
  }
}

export function resolveRagConfig(config: Record<string, unknown> | null | undefined): RagConfig {
  const c = (config ?? {}) as Partial<Record<string, number | string | boolean>>;
  return {
    chunkTokenSize: Number(c.chunk_token_size ?? 1200),
    chunkOverlapTokenSize: Number(c.chunk_overlap_token_size ?? 100),
    topK: Number(c.top_k ?? 40),
    chunkTopK: Number(c.chunk_top_k ?? 20),
    defaultMode: (c.default_mode as QueryMode) ?? 'mix',
    enableRerank: c.enable_rerank !== false,
  };
}

/**
 * RAG instances per (tenant_id, kb_id) in a cache of MAX_CACHED_INSTANCES
 * (W-TinyLFU admission, see InstanceCache: rarely used KBs do not push out
 * busy ones), created lazily with single-flight initialisation, finalized on
 * eviction or refused admission, invalidation (KB config change or deletion,
 * tenant change) and shutdown.
 */
@Injectable()
export class RagInstanceFactory implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RagInstanceFactory.name);
  private readonly cache: InstanceCache<RagInstance>;

  constructor(
    config: AppConfig,
    private readonly kbs: KnowledgeBaseLookup,
    private readonly models: ModelProviders,
    private readonly events: TenantEvents,
    metrics: EngineMetrics,
  ) {
    this.cache = new InstanceCache<RagInstance>(
      config.settings.maxCachedInstances,
      (key) => this.create(key),
      (instance) => instance.finalize(),
      {
        hit: () => metrics.ragInstanceCacheHits.inc(),
        miss: () => metrics.ragInstanceCacheMisses.inc(),
        evict: () => metrics.ragInstanceCacheEvictions.inc(),
      },
    );
  }

  onModuleInit(): void {
    this.events.subscribe(async (e) => {
      if ((e.type === 'kb_updated' || e.type === 'kb_deleted') && e.kbId) await this.invalidate(e.tenantId, e.kbId);
      if (e.type === 'updated' || e.type === 'deleted' || e.type === 'purged') await this.cache.invalidateWhere((k) => k.startsWith(`${e.tenantId}:`));
    });
    // Changes of KB configs may have been missed while the replicas could not reach each other.
    this.events.onResync(() => this.cache.invalidateWhere(() => true));
  }

  /** The KB's instance; 404 when the KB does not exist in the tenant. */
  get(tenantId: string, kbId: string): Promise<RagInstance> {
    return this.cache.get(`${tenantId}:${kbId}`);
  }

  /** The cached instance (for cache upkeep after writes), if any, without creating one, counting a hit or touching its recency. */
  peek(tenantId: string, kbId: string): RagInstance | undefined {
    return this.cache.peek(`${tenantId}:${kbId}`);
  }

  invalidate(tenantId: string, kbId: string): Promise<void> {
    return this.cache.invalidate(`${tenantId}:${kbId}`);
  }

  get size(): number {
    return this.cache.size;
  }

  async onApplicationShutdown(): Promise<void> {
    const n = this.cache.size;
    await this.cache.clear();
    if (n) this.logger.log(`finalized ${n} RAG instances`);
  }

  private async create(key: string): Promise<RagInstance> {
    const [tenantId, kbId] = key.split(':');
    const kb = await this.kbs.assertExists(tenantId, kbId);
    const providers = await this.models.forTenant(tenantId);
    return new RagInstance(tenantId, kbId, resolveRagConfig(kb.config as Record<string, unknown>), providers);
  }
}
