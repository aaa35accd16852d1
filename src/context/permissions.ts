/** The only permission names (CONTRACT.md §2); roles are fixed sets of them. */
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
  'graph:write',
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
  member: [
    'tenant:read',
    'kb:read',
    'kb:write',
    'document:read',
    'document:write',
    'document:delete',
    'query:run',
    'graph:read',
    'graph:write',
    'usage:read',
  ],
  viewer: ['tenant:read', 'kb:read', 'document:read', 'query:run', 'graph:read'],
};

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}
