import { Injectable } from '@nestjs/common';
import type { TenantRole } from '../context/permissions';
import type { Db } from '../database/database.service';

export interface UserRow {
  id: string;
  tenant_id: string;
  username: string;
  role: TenantRole;
  is_active: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, tenant_id, username, role, is_active, created_at, updated_at';

@Injectable()
export class UsersRepository {
  async insert(db: Db, tenantId: string, u: { username: string; passwordHash: string; role: TenantRole }): Promise<UserRow> {
    const rows = await db.many<UserRow>(`INSERT INTO users (tenant_id, username, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`, [
      tenantId,
      u.username,
      u.passwordHash,
      u.role,
    ]);
    return rows[0];
  }

  async list(db: Db, tenantId: string, limit: number, offset: number): Promise<{ rows: UserRow[]; total: number }> {
    const rows = await db.many<UserRow>(`SELECT ${COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3`, [tenantId, limit, offset]);
    const count = await db.many<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE tenant_id = $1`, [tenantId]);
    return { rows, total: count[0].n };
  }

  async findById(db: Db, tenantId: string, userId: string): Promise<UserRow | undefined> {
    const rows = await db.many<UserRow>(`SELECT ${COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2`, [tenantId, userId]);
    return rows[0];
  }

  /** A new password bumps token_version: every token issued before it stops working. */
  async update(db: Db, tenantId: string, userId: string, patch: { passwordHash?: string; role?: TenantRole; isActive?: boolean }): Promise<UserRow | undefined> {
    const rows = await db.many<UserRow>(
      `WITH changed AS (UPDATE users SET password_hash = COALESCE($3, password_hash), role = COALESCE($4, role),
         is_active = COALESCE($5, is_active), updated_at = now(),
         token_version = token_version + CASE WHEN $3::text IS NULL THEN 0 ELSE 1 END
       WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}) SELECT * FROM changed`,
      [tenantId, userId, patch.passwordHash ?? null, patch.role ?? null, patch.isActive ?? null],
    );
    return rows[0];
  }

  async delete(db: Db, tenantId: string, userId: string): Promise<boolean> {
    const rows = await db.many<UserRow>(`WITH gone AS (DELETE FROM users WHERE tenant_id = $1 AND id = $2 RETURNING id) SELECT id FROM gone`, [tenantId, userId]);
    return rows.length > 0;
  }
}
