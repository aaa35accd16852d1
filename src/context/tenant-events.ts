import { Injectable } from '@nestjs/common';

/**
 * Every change that some cache or follower must hear about, as one typed union:
 *  - a tenant created, updated (name, tier, limits, activation: suspended or
 *    restored), soft-deleted or purged;
 *  - a KB created, updated or deleted;
 *  - an API key revoked;
 *  - a user (or, with tenantId null, a platform admin) changed or deleted:
 *    role, activity, password.
 */
export type TenantEvent =
  | { type: 'created' | 'updated' | 'deleted' | 'purged'; tenantId: string }
  | { type: 'kb_created' | 'kb_updated' | 'kb_deleted'; tenantId: string; kbId: string }
  | { type: 'api_key_revoked'; tenantId: string; keyId: string }
  | { type: 'user_changed'; tenantId: string | null; userId: string };

/** The tenant-level events (a tenant's own row changed). */
export function isTenantChange(e: TenantEvent): e is Extract<TenantEvent, { type: 'created' | 'updated' | 'deleted' | 'purged' }> {
  return e.type === 'created' || e.type === 'updated' || e.type === 'deleted' || e.type === 'purged';
}

/**
 * The one path by which changes reach whoever keeps state about them: the
 * in-process caches of tenant status, user status, API keys and tenant limits
 * forget what changed, the RAG instance factory invalidates, files are
 * purged. Services emit; they never call a cache directly. Listeners run
 * synchronously up to their first await, so a synchronous cache deletion has
 * happened when emit() returns.
 */
@Injectable()
export class TenantEvents {
  private readonly listeners: Array<(e: TenantEvent) => void | Promise<void>> = [];

  subscribe(listener: (e: TenantEvent) => void | Promise<void>): void {
    this.listeners.push(listener);
  }

  emit(event: TenantEvent): void {
    for (const l of this.listeners) {
      try {
        void Promise.resolve(l(event)).catch(() => undefined);
      } catch {
        // listeners never change the request's outcome
      }
    }
  }
}
