import { Injectable } from '@nestjs/common';
import type { Db } from '../../../database/database.service';

export interface WorkspaceKb {
  id: string;
  name: string;
}

/** The lookups that turn a LightRAG workspace selector into a tenant and a KB. */
@Injectable()
export class WorkspaceRepository {
  /** The tenant's slug and its KBs (the caller's own tenant, under its RLS scope). */
  async tenantWithKbs(db: Db, tenantId: string): Promise<{ slug: string; kbs: WorkspaceKb[] } | undefined> {
    const rows = await db.many<{ slug: string; id: string | null; name: string | null }>(
      `SELECT t.slug, k.id, k.name FROM tenants t LEFT JOIN knowledge_bases k ON k.tenant_id = t.id WHERE t.id = $1 ORDER BY k.created_at, k.id`,
      [tenantId],
    );
    if (rows.length === 0) return undefined;
    return { slug: rows[0].slug, kbs: rows.filter((r) => r.id !== null).map((r) => ({ id: r.id!, name: r.name! })) };
  }

  /** A tenant by id or slug (the platform admin's tenant-qualified selector; platform scope). */
  async tenantByRef(db: Db, ref: string, isUuid: boolean): Promise<string | undefined> {
    const row = isUuid
      ? await db.one<{ id: string }>(`SELECT id FROM tenants WHERE id = $1`, [ref])
      : await db.one<{ id: string }>(`SELECT id FROM tenants WHERE slug = $1`, [ref.toLowerCase()]);
    return row?.id;
  }

  /** Whether the KB has documents waiting for or in ingestion (LightRAG's pipeline_busy). */
  async pipelineBusy(db: Db, tenantId: string, kbId: string): Promise<boolean> {
    const row = await db.one<{ busy: boolean }>(`SELECT EXISTS (SELECT 1 FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND status IN ('pending', 'processing')) AS busy`, [
      tenantId,
      kbId,
    ]);
    return row?.busy === true;
  }
}
