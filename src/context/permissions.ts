/**
 * The only permission names; roles are fixed sets of them. Every name is
 * required by some route (test/e2e/tenancy-matrix checks the route table).
 * Stored keys may still carry names removed since (graph:write): they are
 * dropped when the key is loaded (isPermission).
 */
export const PERMISSIONS = [
  'tenant:read',
  'tenant:write',
  'kb:read',
  'kb:write',
  'kb:delete',
  'document:read',
  'document:write',
  'document:delete',
  'query:run',
  'graph:read',
  'apikey:manage',
  'user:manage',
  'audit:read',
  'usage:read',
] as const;

export type Permission = (typeof PERMISSIONS)[number];
export type TenantRole = 'owner' | 'member' | 'viewer';
export const TENANT_ROLES: readonly TenantRole[] = ['owner', 'member', 'viewer'];

export const ROLE_PERMISSIONS: Record<TenantRole, readonly Permission[]> = {
  owner: PERMISSIONS,
  member: ['tenant:read', 'kb:read', 'kb:write', 'document:read', 'document:write', 'document:delete', 'query:run', 'graph:read', 'usage:read'],
  viewer: ['tenant:read', 'kb:read', 'document:read', 'query:run', 'graph:read'],
};

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}
