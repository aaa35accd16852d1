import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';

const TTL_MS = 5_000;

/** A signed token outlives a deleted or disabled user; this check (cached briefly) closes that gap. */
@Injectable()
export class UserStatusService {
  private readonly cache = new Map<string, { active: boolean; at: number }>();

  constructor(private readonly db: DatabaseService) {}

  async isActive(tenantId: string, userId: string): Promise<boolean> {
    const hit = this.cache.get(userId);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.active;
    const rows: Array<{ is_active: boolean }> = await this.db.withTenant(tenantId, (db) =>
      db.query(`SELECT is_active FROM users WHERE tenant_id = $1 AND id = $2`, [tenantId, userId]),
    );
    const active = rows[0]?.is_active === true;
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(userId, { active, at: Date.now() });
    return active;
  }

  forget(userId: string): void {
    this.cache.delete(userId);
  }
}
