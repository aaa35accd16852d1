import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import { AuthRepository } from './auth.repository';
import { TENANT_ROLES, TenantRole } from '../context/permissions';

const TTL_MS = 5_000;

/** null: the user does not exist in that tenant, or is disabled. */
export type UserState = { role: TenantRole; tokenVersion: number } | null;
/** null: no active platform admin has that id. */
export type AdminState = { tokenVersion: number } | null;

/**
 * A signed token outlives a deleted, disabled, re-roled or re-passworded user
 * or admin; this check (cached briefly, forgotten on every change on this
 * replica) closes that gap: the guard uses the role stored now, not the one
 * the token was issued with, and refuses a token whose `ver` is older than
 * the account's token_version (bumped by every password change). Other
 * replicas see a change within TTL_MS.
 */
@Injectable()
export class UserStatusService {
  private readonly cache = new Map<string, { state: UserState | AdminState; at: number }>();

  constructor(
    private readonly db: DatabaseService,
    private readonly repo: AuthRepository,
  ) {}

  async stateOf(tenantId: string, userId: string): Promise<UserState> {
    return this.cached(`${tenantId}:${userId}`, async () => {
      const r = await this.db.withTenant(tenantId, (db) => this.repo.userState(db, tenantId, userId));
      return r?.is_active === true && TENANT_ROLES.includes(r.role as TenantRole) ? { role: r.role as TenantRole, tokenVersion: Number(r.token_version) } : null;
    }) as Promise<UserState>;
  }

  /** The platform admin behind an admin JWT, re-read like a tenant user (a forged or stale sub finds nothing). */
  async adminStateOf(userId: string): Promise<AdminState> {
    return this.cached(`admin:${userId}`, async () => {
      const r = await this.db.withPlatform((db) => this.repo.adminState(db, userId));
      return r?.is_active === true ? { tokenVersion: Number(r.token_version) } : null;
    }) as Promise<AdminState>;
  }

  forget(userId: string): void {
    for (const key of this.cache.keys()) if (key.endsWith(`:${userId}`)) this.cache.delete(key);
  }

  private async cached(key: string, load: () => Promise<UserState | AdminState>): Promise<UserState | AdminState> {
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.state;
    const state = await load();
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(key, { state, at: Date.now() });
    return state;
  }
}
