import { Injectable } from '@nestjs/common';
import type { Db } from '../database/database.service';
import type { TenantLimitsDto, Tier } from './tenants.dto';

export interface TenantRow {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  tier: Tier;
  is_active: boolean;
  settings: { limits?: TenantLimitsDto };
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

/**
 * SQL for the tenants table. Platform-wide methods run under the platform role, the rest under the tenant's.
 */
@Injectable()
export class TenantsRepository {
  async insert(db: Db, t: { slug: string; name: string; description: string | null; tier: Tier; limits: TenantLimitsDto }): Promise<TenantRow> {
    const rows = await db.many<TenantRow>(`INSERT INTO tenants (slug, name, description, tier, settings) VALUES ($1, $2, $3, $4, $5) RETURNING *`, [
      t.slug,
      t.name,
      t.description,
      t.tier,
      JSON.stringify({ limits: t.limits }),
    ]);
    return rows[0];
  }

  async slugExists(db: Db, slug: string): Promise<boolean> {
    const rows = await db.many(`SELECT 1 FROM tenants WHERE slug = $1`, [slug]);
    return rows.length > 0;
  }

  async findBySlug(db: Db, slug: string): Promise<TenantRow | undefined> {
    const rows = await db.many<TenantRow>(`SELECT * FROM tenants WHERE slug = $1`, [slug]);
    return rows[0];
  }

  /** `search` matches the name or slug, case-insensitively, as a literal substring (LIKE wildcards in it are escaped). */
  async listAll(db: Db, includeDeleted: boolean, limit: number, offset: number, search?: string): Promise<{ rows: TenantRow[]; total: number }> {
    const conds: string[] = [];
    const params: unknown[] = [];
    if (!includeDeleted) conds.push('deleted_at IS NULL');
    if (search) {
      params.push(`%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      conds.push(`(name ILIKE $${params.length} OR slug ILIKE $${params.length})`);
    }
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    const rows = await db.many<TenantRow>(`SELECT * FROM tenants ${where} ORDER BY created_at, id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [
      ...params,
      limit,
      offset,
    ]);
    const count = await db.many<{ n: number }>(`SELECT count(*)::int AS n FROM tenants ${where}`, params);
    return { rows, total: count[0].n };
  }

  async findById(db: Db, tenantId: string): Promise<TenantRow | undefined> {
    const rows = await db.many<TenantRow>(`SELECT * FROM tenants WHERE id = $1`, [tenantId]);
    return rows[0];
  }

  async update(
    db: Db,
    tenantId: string,
    patch: { name?: string; description?: string; tier?: Tier; is_active?: boolean; limits?: TenantLimitsDto },
  ): Promise<TenantRow | undefined> {
    const rows = await db.many<TenantRow>(
      `WITH changed AS (UPDATE tenants SET
         name = COALESCE($2, name),
         description = COALESCE($3, description),
         tier = COALESCE($4, tier),
         is_active = COALESCE($5, is_active),
         settings = CASE WHEN $6::jsonb IS NULL THEN settings ELSE jsonb_set(settings, '{limits}', $6::jsonb) END,
         updated_at = now()
       WHERE id = $1 AND deleted_at IS NULL
       RETURNING *) SELECT * FROM changed`,
      [tenantId, patch.name ?? null, patch.description ?? null, patch.tier ?? null, patch.is_active ?? null, patch.limits ? JSON.stringify(patch.limits) : null],
    );
    return rows[0];
  }

  async softDelete(db: Db, tenantId: string): Promise<TenantRow | undefined> {
    const rows = await db.many<TenantRow>(
      `WITH changed AS (UPDATE tenants SET deleted_at = now(), is_active = false, updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING *)
       SELECT * FROM changed`,
      [tenantId],
    );
    return rows[0];
  }

  /** Removes the tenant and, through ON DELETE CASCADE, every row it owns. */
  async purge(db: Db, tenantId: string): Promise<boolean> {
    const rows = await db.many<TenantRow>(`WITH gone AS (DELETE FROM tenants WHERE id = $1 RETURNING id) SELECT id FROM gone`, [tenantId]);
    return rows.length > 0;
  }

  async deletedBefore(db: Db, cutoff: Date): Promise<string[]> {
    const rows = await db.many<{ id: string }>(`SELECT id FROM tenants WHERE deleted_at IS NOT NULL AND deleted_at < $1`, [cutoff]);
    return rows.map((r) => r.id);
  }
}
