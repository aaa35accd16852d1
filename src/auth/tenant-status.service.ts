import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import { AuthRepository } from './auth.repository';

export type TenantStatus = 'active' | 'suspended' | 'deleted' | 'missing';

const TTL_MS = 5_000;

/** Is a tenant usable? Read on every authenticated request, so cached for a few seconds and cleared on change. */
@Injectable()
export class TenantStatusService {
  private readonly cache = new Map<string, { status: TenantStatus; at: number }>();

  constructor(
    private readonly db: DatabaseService,
    private readonly repo: AuthRepository,
  ) {}

  async statusOf(tenantId: string): Promise<TenantStatus> {
    const hit = this.cache.get(tenantId);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.status;
    const r = await this.db.withPlatform((db) => this.repo.tenantStatus(db, tenantId));
    const status: TenantStatus = !r ? 'missing' : r.deleted_at ? 'deleted' : r.is_active ? 'active' : 'suspended';
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(tenantId, { status, at: Date.now() });
    return status;
  }

  forget(tenantId: string): void {
    this.cache.delete(tenantId);
  }
}
