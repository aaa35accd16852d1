/**
 * The sections of a tenant, in nav order. A section is listed for a user only
 * when they hold its permission, and only sections whose page exists are here:
 * add a page's entry with the page (and its route in App.tsx).
 */
import type { Permission } from './session/permissions';

export interface TenantSection {
  /** Path under /tenants/:tenantId/ ('' is the overview). */
  path: string;
  label: string;
  permission: Permission;
}

export const TENANT_SECTIONS: readonly TenantSection[] = [
  { path: '', label: 'Overview', permission: 'tenant:read' },
  { path: 'knowledge-bases', label: 'Knowledge bases', permission: 'kb:read' },
  { path: 'users', label: 'Users', permission: 'user:manage' },
  { path: 'api-keys', label: 'API keys', permission: 'apikey:manage' },
  { path: 'audit-logs', label: 'Audit log', permission: 'audit:read' },
  { path: 'usage', label: 'Usage', permission: 'usage:read' },
];

export const sectionHref = (tenantId: string, path: string) => `/tenants/${tenantId}${path ? `/${path}` : ''}`;
