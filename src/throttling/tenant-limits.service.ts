import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DatabaseService } from '../database/database.service';
import { createCache, invalidateOn } from '../common/cache';
import { isTenantChange, TenantEvents } from '../context/tenant-events';
import type { Tier } from '../context/tiers';
import type { RateLimitCategory } from './rate-limit.decorator';
import { ThrottlingRepository } from './throttling.repository';

/** Tier multipliers of the standard budget (with the default 100 queries/min: trial 50, standard 100, premium 1000, enterprise 5000). */
export const TIER_FACTOR: Record<Tier, number> = { trial: 0.5, standard: 1, premium: 10, enterprise: 50 };
/** CRUD is cheap: its per-minute budget is this multiple of the tenant's query budget. */
export const CRUD_FACTOR = 20;
const CACHE_MS = 5000;
const CACHE_MAX = 50_000;

export interface Budget {
  limit: number;
  ttlMs: number;
}

/**
 * A tenant's rate-limit budgets: RATE_LIMIT_QUERIES_PER_MINUTE and
 * RATE_LIMIT_DOCUMENTS_PER_HOUR are the standard tier, scaled by tier, and
 * tenants.settings.limits.queries_per_minute / documents_per_hour override
 * both. Tier and limits are cached for a few seconds per tenant (forgotten at
 * once on every replica when the tenant changes).
 */
@Injectable()
export class TenantLimitsService {
  private readonly cache = createCache<string, { tier: Tier; limits: Record<string, unknown> }>({ max: CACHE_MAX, ttlMs: CACHE_MS });

  constructor(
    private readonly db: DatabaseService,
    private readonly config: AppConfig,
    private readonly repo: ThrottlingRepository,
    events: TenantEvents,
  ) {
    // Tier and limits are tenant fields: an update (or deletion) of the tenant clears its entry.
    invalidateOn(this.cache, events, (e) => (isTenantChange(e) ? e.tenantId : null));
  }

  async budget(tenantId: string, category: RateLimitCategory | 'crud'): Promise<Budget> {
    const { tier, limits } = await this.tenant(tenantId);
    const factor = TIER_FACTOR[tier] ?? 1;
    const qpm = typeof limits.queries_per_minute === 'number' ? limits.queries_per_minute : Math.max(1, Math.round(this.config.settings.rateLimitQueriesPerMinute * factor));
    if (category === 'query') return { limit: qpm, ttlMs: 60_000 };
    if (category === 'crud') return { limit: qpm * CRUD_FACTOR, ttlMs: 60_000 };
    const dph = typeof limits.documents_per_hour === 'number' ? limits.documents_per_hour : Math.max(1, Math.round(this.config.settings.rateLimitDocumentsPerHour * factor));
    return { limit: dph, ttlMs: 3600_000 };
  }

  private async tenant(tenantId: string): Promise<{ tier: Tier; limits: Record<string, unknown> }> {
    const entry = await this.cache.getOrLoad(tenantId, async () => {
      const row = await this.db.withPlatform((db) => this.repo.tierAndLimits(db, tenantId));
      return { tier: row?.tier ?? 'standard', limits: row?.limits ?? {} };
    });
    return entry!;
  }
}
