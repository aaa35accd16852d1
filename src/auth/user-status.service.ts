import { Injectable } from '@nestjs/common';
import { createCache, invalidateOn } from '../common/cache';
import { TENANT_ROLES, TenantRole } from '../context/permissions';
import { TenantEvents } from '../context/tenant-events';
import { DatabaseService } from '../database/database.service';
import { AuthRepository } from './auth.repository';

const TTL_MS = 5_000;
const MAX_ENTRIES = 50_000;

/** null: the user does not exist in that tenant, or is disabled. */
export type UserState = { role: TenantRole; tokenVersion: number } | null;
/** null: no active platform admin has that id. */
export type AdminState = { tokenVersion: number } | null;

/** What the cache holds: the state, boxed so that "no such user" (null) is cached too. */
interface Entry {
  state: UserState | AdminState;
}

/**
 * A signed token outlives a deleted, disabled, re-roled or re-passworded user
 * or admin; this check (cached briefly, forgotten on this replica when a
 * `user_changed` event names the account) closes that gap: the guard uses the
 * role stored now, not the one the token was issued with, and refuses a token
 * whose `ver` is older than the account's token_version (bumped by every
 * password change). Every replica forgets a changed user at once
 * (TenantEvents); TTL_MS bounds staleness while replicas cannot reach each other.
 */
@Injectable()
export class UserStatusService {
  private readonly cache = createCache<string, Entry>({ max: MAX_ENTRIES, ttlMs: TTL_MS });

  constructor(
    private readonly db: DatabaseService,
    private readonly repo: AuthRepository,
    events: TenantEvents,
  ) {
    invalidateOn(this.cache, events, (e) => (e.type === 'user_changed' ? keyOf(e.tenantId, e.userId) : null));
  }

  async stateOf(tenantId: string, userId: string): Promise<UserState> {
    return this.cached(keyOf(tenantId, userId), async () => {
      const r = await this.db.withTenant(tenantId, (db) => this.repo.userState(db, tenantId, userId));
      return r?.is_active === true && TENANT_ROLES.includes(r.role as TenantRole) ? { role: r.role as TenantRole, tokenVersion: Number(r.token_version) } : null;
    }) as Promise<UserState>;
  }

  /** The platform admin behind an admin JWT, re-read like a tenant user (a forged or stale sub finds nothing). */
  async adminStateOf(userId: string): Promise<AdminState> {
    return this.cached(keyOf(null, userId), async () => {
      const r = await this.db.withPlatform((db) => this.repo.adminState(db, userId));
      return r?.is_active === true ? { tokenVersion: Number(r.token_version) } : null;
    }) as Promise<AdminState>;
  }

  private async cached(key: string, load: () => Promise<UserState | AdminState>): Promise<UserState | AdminState> {
    const entry = await this.cache.getOrLoad(key, async () => ({ state: await load() }));
    return entry!.state;
  }
}

function keyOf(tenantId: string | null, userId: string): string {
  return `${tenantId ?? 'admin'}:${userId}`;
}
