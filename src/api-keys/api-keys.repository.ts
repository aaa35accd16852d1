import { Injectable } from '@nestjs/common';
import type { Db } from '../database/database.service';

export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  name: string;
  key_prefix: string;
  kb_ids: string[] | null;
  permissions: string[];
  created_by: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}

const COLUMNS = 'id, tenant_id, name, key_prefix, kb_ids, permissions, created_by, expires_at, revoked_at, last_used_at, created_at';

@Injectable()
export class ApiKeysRepository {
  async insert(
    db: Db,
    tenantId: string,
    k: { name: string; prefix: string; hash: Buffer; kbIds: string[] | null; permissions: string[]; createdBy: string; expiresAt: Date | null },
  ): Promise<ApiKeyRow> {
    const rows = await db.many<ApiKeyRow>(
      `INSERT INTO api_keys (tenant_id, name, key_prefix, key_hash, kb_ids, permissions, created_by, expires_at)
       VALUES ($1, $2, $3, $4, $5::uuid[], $6::text[], $7, $8) RETURNING ${COLUMNS}`,
      [tenantId, k.name, k.prefix, k.hash, k.kbIds, k.permissions, k.createdBy, k.expiresAt],
    );
    return rows[0];
  }

  /** withinKbs: only keys whose KB scope lies inside these KBs (null = every key of the tenant). */
  async list(db: Db, tenantId: string, withinKbs: string[] | null, limit: number, offset: number): Promise<{ rows: ApiKeyRow[]; total: number }> {
    const where = `tenant_id = $1 AND ($2::uuid[] IS NULL OR (kb_ids IS NOT NULL AND kb_ids <@ $2::uuid[]))`;
    const rows = await db.many<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE ${where} ORDER BY created_at DESC, id LIMIT $3 OFFSET $4`, [tenantId, withinKbs, limit, offset]);
    const count = await db.many<{ n: number }>(`SELECT count(*)::int AS n FROM api_keys WHERE ${where}`, [tenantId, withinKbs]);
    return { rows, total: count[0].n };
  }

  async findById(db: Db, tenantId: string, keyId: string): Promise<ApiKeyRow | undefined> {
    const rows = await db.many<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE tenant_id = $1 AND id = $2`, [tenantId, keyId]);
    return rows[0];
  }

  async revoke(db: Db, tenantId: string, keyId: string): Promise<ApiKeyRow | undefined> {
    const rows = await db.many<ApiKeyRow>(
      `WITH changed AS (UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS})
       SELECT * FROM changed`,
      [tenantId, keyId],
    );
    return rows[0];
  }
}
