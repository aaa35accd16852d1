import { Injectable } from '@nestjs/common';
import type { Db } from '../database/database.service';

/** A user row as login needs it (admins have tenant_id NULL). */
export interface LoginUserRow {
  id: string;
  tenant_id: string | null;
  username: string;
  password_hash: string;
  role: 'admin' | 'owner' | 'member' | 'viewer';
  is_active: boolean;
  token_version: number;
}

export interface ApiKeyLookupRow {
  id: string;
  tenant_id: string;
  permissions: string[];
  kb_ids: string[] | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

/**
 * The SQL of authentication: logins, the platform admin, the per-request
 * status re-reads (tenant, user, admin), API key lookup by hash, and the
 * legacy secrets in platform_settings. Each method runs inside the caller's
 * unit of work (DatabaseService.withPlatform / withTenant).
 */
@Injectable()
export class AuthRepository {
  findAdminByName(db: Db, username: string): Promise<LoginUserRow | undefined> {
    return db.one<LoginUserRow>(
      `SELECT id, tenant_id, username, password_hash, role, is_active, token_version FROM users WHERE lower(username) = lower($1) AND tenant_id IS NULL`,
      [username],
    );
  }

  async insertAdmin(db: Db, username: string, passwordHash: string): Promise<void> {
    await db.exec(`INSERT INTO users (username, password_hash, role) VALUES ($1, $2, 'admin')`, [username, passwordHash]);
  }

  /** A new password also bumps token_version: tokens issued before it stop working. */
  async setPassword(db: Db, userId: string, passwordHash: string): Promise<void> {
    await db.exec(`UPDATE users SET password_hash = $2, token_version = token_version + 1, updated_at = now() WHERE id = $1`, [userId, passwordHash]);
  }

  /** At most two candidates for a login name, the platform admin of that name first. */
  loginCandidates(db: Db, username: string, tenantId: string | null): Promise<LoginUserRow[]> {
    return db.many<LoginUserRow>(
      `SELECT id, tenant_id, username, password_hash, role, is_active, token_version FROM users
       WHERE lower(username) = lower($1) AND ($2::uuid IS NULL OR tenant_id = $2::uuid)
       ORDER BY (tenant_id IS NULL) DESC LIMIT 2`,
      [username, tenantId],
    );
  }

  tenantStatus(db: Db, tenantId: string): Promise<{ is_active: boolean; deleted_at: Date | null } | undefined> {
    return db.one(`SELECT is_active, deleted_at FROM tenants WHERE id = $1`, [tenantId]);
  }

  userState(db: Db, tenantId: string, userId: string): Promise<{ is_active: boolean; role: string; token_version: number } | undefined> {
    return db.one(`SELECT is_active, role, token_version FROM users WHERE tenant_id = $1 AND id = $2`, [tenantId, userId]);
  }

  adminState(db: Db, userId: string): Promise<{ is_active: boolean; token_version: number } | undefined> {
    return db.one(`SELECT is_active, token_version FROM users WHERE id = $1 AND tenant_id IS NULL AND role = 'admin'`, [userId]);
  }

  /** The platform admin or tenant user behind a JWT, as stored now (GET /auth/me). */
  accountIdentity(db: Db, tenantId: string | null, userId: string): Promise<{ id: string; username: string; role: string; is_active: boolean } | undefined> {
    return db.one(`SELECT id, username, role, is_active FROM users WHERE id = $2 AND tenant_id IS NOT DISTINCT FROM $1::uuid`, [tenantId, userId]);
  }

  /** An API key of the tenant by id, as stored now (GET /auth/me). */
  apiKeyIdentity(
    db: Db,
    tenantId: string,
    keyId: string,
  ): Promise<{ id: string; name: string; key_prefix: string; permissions: string[]; kb_ids: string[] | null; expires_at: Date | null; revoked_at: Date | null } | undefined> {
    return db.one(`SELECT id, name, key_prefix, permissions, kb_ids, expires_at, revoked_at FROM api_keys WHERE tenant_id = $1 AND id = $2`, [tenantId, keyId]);
  }

  apiKeyByHash(db: Db, hash: Buffer): Promise<ApiKeyLookupRow | undefined> {
    return db.one<ApiKeyLookupRow>(`SELECT id, tenant_id, permissions, kb_ids, expires_at, revoked_at FROM api_keys WHERE key_hash = $1`, [hash]);
  }

  async touchApiKeys(db: Db, keyIds: string[]): Promise<void> {
    await db.exec(`UPDATE api_keys SET last_used_at = now() WHERE id = ANY($1::uuid[])`, [keyIds]);
  }

  settings(db: Db, keys: readonly string[]): Promise<Array<{ key: string; value: string }>> {
    return db.many(`SELECT key, value FROM platform_settings WHERE key = ANY($1::text[])`, [[...keys]]);
  }

  async deleteSettings(db: Db, keys: readonly string[]): Promise<void> {
    await db.exec(`DELETE FROM platform_settings WHERE key = ANY($1::text[])`, [[...keys]]);
  }
}
