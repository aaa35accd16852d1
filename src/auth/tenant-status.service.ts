import { Injectable } from '@nestjs/common';
import { createCache, invalidateOn } from '../common/cache';
import { isTenantChange, TenantEvents } from '../context/tenant-events';
import { DatabaseService } from '../database/database.service';
import { AuthRepository } from './auth.repository';

export type TenantStatus = 'active' | 'suspended' | 'deleted' | 'missing';

const TTL_MS = 5_000;
const MAX_ENTRIES = 50_000;

/**
 * Is a tenant usable? Read on every authenticated request, so cached for a
 * few seconds; a change of the tenant (TenantEvents) clears its entry on
 * every replica at once.
 */
@Injectable()
export class TenantStatusService {
  private readonly cache = createCache<string, TenantStatus>({ max: MAX_ENTRIES, ttlMs: TTL_MS });

  constructor(
    private readonly db: DatabaseService,
    private readonly repo: AuthRepository,
    events: TenantEvents,
  ) {
    invalidateOn(this.cache, events, (e) => (isTenantChange(e) ? e.tenantId : null));
  }

  async statusOf(tenantId: string): Promise<TenantStatus> {
    const status = await this.cache.getOrLoad(tenantId, async () => {
      const r = await this.db.withPlatform((db) => this.repo.tenantStatus(db, tenantId));
      return !r ? 'missing' : r.deleted_at ? 'deleted' : r.is_active ? 'active' : 'suspended';
    });
    return status!;
  }
}
