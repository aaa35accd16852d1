/**
 * Every change that some cache or follower must hear about, as one typed union:
 *  - a tenant created, updated (name, tier, limits, activation: suspended or
 *    restored), soft-deleted or purged;
 *  - a tenant's own LLM key set or removed;
 *  - a KB created, updated or deleted;
 *  - an API key revoked;
 *  - a user (or, with tenantId null, a platform admin) changed or deleted:
 *    role, activity, password.
 */
export type TenantEvent =
  | { type: 'created' | 'updated' | 'deleted' | 'purged'; tenantId: string }
  | { type: 'llm_key_changed'; tenantId: string }
  | { type: 'kb_created' | 'kb_updated' | 'kb_deleted'; tenantId: string; kbId: string }
  | { type: 'api_key_revoked'; tenantId: string; keyId: string }
  | { type: 'user_changed'; tenantId: string | null; userId: string };

const TENANT_TYPES = new Set(['created', 'updated', 'deleted', 'purged', 'llm_key_changed']);
const KB_TYPES = new Set(['kb_created', 'kb_updated', 'kb_deleted']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The tenant-level events (a tenant's own row changed). */
export function isTenantChange(e: TenantEvent): e is Extract<TenantEvent, { type: 'created' | 'updated' | 'deleted' | 'purged' }> {
  return e.type === 'created' || e.type === 'updated' || e.type === 'deleted' || e.type === 'purged';
}

const isId = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);

/**
 * An event received from another replica, checked field by field: only the
 * fields of its type, each an id. Anything else (another program on the
 * channel, a newer version's event) is null and ignored — an event only ever
 * makes a cache forget, so an ignored one costs at most the cache's TTL.
 */
export function parseTenantEvent(raw: unknown): TenantEvent | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const e = raw as Record<string, unknown>;
  const keys = Object.keys(e).sort().join(',');
  if (typeof e.type !== 'string') return null;
  if (TENANT_TYPES.has(e.type)) return keys === 'tenantId,type' && isId(e.tenantId) ? (e as TenantEvent) : null;
  if (KB_TYPES.has(e.type)) return keys === 'kbId,tenantId,type' && isId(e.tenantId) && isId(e.kbId) ? (e as TenantEvent) : null;
  if (e.type === 'api_key_revoked') return keys === 'keyId,tenantId,type' && isId(e.tenantId) && isId(e.keyId) ? (e as TenantEvent) : null;
  if (e.type === 'user_changed') return keys === 'tenantId,type,userId' && (e.tenantId === null || isId(e.tenantId)) && isId(e.userId) ? (e as TenantEvent) : null;
  return null;
}
