import { Injectable } from '@nestjs/common';
import type { Tier } from '../context/tiers';
import type { Db } from '../database/database.service';

/** The SQL behind rate limits and document quotas: a tenant's tier and limits, its stored documents. */
@Injectable()
export class ThrottlingRepository {
  tierAndLimits(db: Db, tenantId: string): Promise<{ tier: Tier; limits: Record<string, unknown> | null } | undefined> {
    return db.one(`SELECT tier, settings -> 'limits' AS limits FROM tenants WHERE id = $1`, [tenantId]);
  }

  /** Serialises quota checks of one tenant until the end of the transaction. */
  async lockTenantQuota(db: Db, tenantId: string): Promise<void> {
    await db.exec(`SELECT pg_advisory_xact_lock(8150, hashtext($1))`, [tenantId]);
  }

  async limits(db: Db, tenantId: string): Promise<{ max_documents?: number; max_storage_gb?: number }> {
    const row = await db.one<{ limits: { max_documents?: number; max_storage_gb?: number } | null }>(`SELECT settings -> 'limits' AS limits FROM tenants WHERE id = $1`, [
      tenantId,
    ]);
    return row?.limits ?? {};
  }

  async storedDocuments(db: Db, tenantId: string): Promise<{ count: number; bytes: number }> {
    const row = await db.one<{ n: number; bytes: string }>(`SELECT count(*)::int AS n, COALESCE(sum(size_bytes), 0)::bigint AS bytes FROM documents WHERE tenant_id = $1`, [
      tenantId,
    ]);
    return { count: Number(row?.n ?? 0), bytes: Number(row?.bytes ?? 0) };
  }
}
