import { Injectable } from '@nestjs/common';
import type { Db } from '../database/database.service';

export interface GaugeCounts {
  tenants: number;
  kbs: number;
  docs: Array<{ tenant_id: string; n: number; bytes: string }>;
}

/** The platform-wide SQL behind the gauges and the stored METRICS_TOKEN hash (run under the platform role). */
@Injectable()
export class MetricsRepository {
  async gaugeCounts(db: Db): Promise<GaugeCounts> {
    const t = await db.one<{ active: number }>(`SELECT count(*) FILTER (WHERE is_active AND deleted_at IS NULL)::int AS active FROM tenants`);
    const k = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM knowledge_bases`);
    const hasDocuments = (await db.one<{ ok: boolean }>(`SELECT to_regclass('public.documents') IS NOT NULL AS ok`))?.ok === true;
    const docs = hasDocuments
      ? await db.many<{ tenant_id: string; n: number; bytes: string }>(
          `SELECT t.id AS tenant_id, count(d.id)::int AS n, COALESCE(sum(d.size_bytes), 0)::bigint AS bytes
             FROM tenants t LEFT JOIN documents d ON d.tenant_id = t.id
            WHERE t.deleted_at IS NULL GROUP BY t.id`,
        )
      : [];
    return { tenants: t?.active ?? 0, kbs: k?.n ?? 0, docs };
  }

  /** Stores the hash unless one is stored already; returns the stored hash and whether this call stored it. */
  async storeTokenHashOnce(db: Db, key: string, hashHex: string): Promise<{ created: boolean; hash: string }> {
    const inserted = await db.many(`INSERT INTO platform_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key`, [key, hashHex]);
    const row = await db.one<{ value: string }>(`SELECT value FROM platform_settings WHERE key = $1`, [key]);
    if (!row) throw new Error(`platform_settings.${key} could not be stored`);
    return { created: inserted.length > 0, hash: row.value };
  }
}
