import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import { TENANT_ROLES, TenantRole } from './permissions';

const TTL_MS = 5_000;

/** null: the user does not exist in that tenant, or is disabled. */
export type UserState = { role: TenantRole } | null;

/**
 * A signed token outlives a deleted, disabled or re-roled user; this check
 * (cached briefly, forgotten on every change) closes that gap: the guard
 * uses the role stored now, not the one the token was issued with.
 */
@Injectable()
export class UserStatusService {
  private readonly cache = new Map<string, { state: UserState; at: number }>();

  constructor(private readonly db: DatabaseService) {}

  async stateOf(tenantId: string, userId: string): Promise<UserState> {
    const key = `${tenantId}:${userId}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.state;
    const rows: Array<{ is_active: boolean; role: string }> = await this.db.withTenant(tenantId, (db) =>
      db.query(`SELECT is_active, role FROM users WHERE tenant_id = $1 AND id = $2`, [tenantId, userId]),
    );
    const r = rows[0];
    const state: UserState = r?.is_active === true && TENANT_ROLES.includes(r.role as TenantRole) ? { role: r.role as TenantRole } : null;
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(key, { state, at: Date.now() });
    return state;
  }

  forget(userId: string): void {
    for (const key of this.cache.keys()) if (key.endsWith(`:${userId}`)) this.cache.delete(key);
  }
}
