import { Injectable } from '@nestjs/common';
import type { Db } from '../database/database.service';
import type { KbConfigDto } from './knowledge-bases.dto';

export interface KnowledgeBaseRow {
  id: string;
  tenant_id: string;
  name: string;
  description: string | null;
  config: KbConfigDto;
  created_at: Date;
  updated_at: Date;
}

/**
 * SQL for knowledge_bases; every method takes the tenant id (RLS checks it again).
 */
@Injectable()
export class KnowledgeBasesRepository {
  async insert(db: Db, tenantId: string, kb: { name: string; description: string | null; config: KbConfigDto }): Promise<KnowledgeBaseRow> {
    const rows = await db.many<KnowledgeBaseRow>(`INSERT INTO knowledge_bases (tenant_id, name, description, config) VALUES ($1, $2, $3, $4) RETURNING *`, [
      tenantId,
      kb.name,
      kb.description,
      JSON.stringify(kb.config),
    ]);
    return rows[0];
  }

  async countForTenant(db: Db, tenantId: string): Promise<number> {
    const row = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM knowledge_bases WHERE tenant_id = $1`, [tenantId]);
    return row?.n ?? 0;
  }

  /** Serialises KB creation per tenant so the per-tenant KB limit cannot be raced past. */
  async lockTenant(db: Db, tenantId: string): Promise<void> {
    await db.exec(`SELECT id FROM tenants WHERE id = $1 FOR UPDATE`, [tenantId]);
  }

  async nameTaken(db: Db, tenantId: string, name: string, exceptKbId?: string): Promise<boolean> {
    const rows = await db.many(`SELECT 1 FROM knowledge_bases WHERE tenant_id = $1 AND lower(name) = lower($2) AND ($3::uuid IS NULL OR id <> $3::uuid)`, [
      tenantId,
      name,
      exceptKbId ?? null,
    ]);
    return rows.length > 0;
  }

  async list(db: Db, tenantId: string, onlyIds: string[] | null, limit: number, offset: number): Promise<{ rows: KnowledgeBaseRow[]; total: number }> {
    const rows = await db.many<KnowledgeBaseRow>(
      `SELECT * FROM knowledge_bases WHERE tenant_id = $1 AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))
       ORDER BY created_at, id LIMIT $3 OFFSET $4`,
      [tenantId, onlyIds, limit, offset],
    );
    const count = await db.many<{ n: number }>(`SELECT count(*)::int AS n FROM knowledge_bases WHERE tenant_id = $1 AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))`, [
      tenantId,
      onlyIds,
    ]);
    return { rows, total: count[0].n };
  }

  async findById(db: Db, tenantId: string, kbId: string): Promise<KnowledgeBaseRow | undefined> {
    const rows = await db.many<KnowledgeBaseRow>(`SELECT * FROM knowledge_bases WHERE tenant_id = $1 AND id = $2`, [tenantId, kbId]);
    return rows[0];
  }

  async findByName(db: Db, tenantId: string, name: string): Promise<KnowledgeBaseRow | undefined> {
    const rows = await db.many<KnowledgeBaseRow>(`SELECT * FROM knowledge_bases WHERE tenant_id = $1 AND lower(name) = lower($2)`, [tenantId, name]);
    return rows[0];
  }

  async existingIds(db: Db, tenantId: string, kbIds: string[]): Promise<string[]> {
    const rows = await db.many<{ id: string }>(`SELECT id FROM knowledge_bases WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [tenantId, kbIds]);
    return rows.map((r) => r.id);
  }

  async update(db: Db, tenantId: string, kbId: string, patch: { name?: string; description?: string; config?: KbConfigDto }): Promise<KnowledgeBaseRow | undefined> {
    const rows = await db.many<KnowledgeBaseRow>(
      `WITH changed AS (UPDATE knowledge_bases SET
         name = COALESCE($3, name),
         description = COALESCE($4, description),
         config = CASE WHEN $5::jsonb IS NULL THEN config ELSE config || $5::jsonb END,
         updated_at = now()
       WHERE tenant_id = $1 AND id = $2 RETURNING *) SELECT * FROM changed`,
      [tenantId, kbId, patch.name ?? null, patch.description ?? null, patch.config ? JSON.stringify(patch.config) : null],
    );
    return rows[0];
  }

  /** Deletes the KB; its documents, chunks and graph go with it through the composite foreign keys. */
  async delete(db: Db, tenantId: string, kbId: string): Promise<boolean> {
    const rows = await db.many<KnowledgeBaseRow>(`WITH gone AS (DELETE FROM knowledge_bases WHERE tenant_id = $1 AND id = $2 RETURNING id) SELECT id FROM gone`, [tenantId, kbId]);
    return rows.length > 0;
  }
}
