import type { Permission, TenantRole } from './permissions';

/** Who is calling. Admins act on every tenant; users and keys on exactly one. */
export type Principal =
  /** tokenVersion: the users.token_version the JWT was issued at (a password change bumps it). */
  | { kind: 'admin'; id: string; username: string; tokenVersion: number }
  | { kind: 'user'; id: string; username: string; tenantId: string; role: TenantRole; permissions: ReadonlySet<Permission>; tokenVersion: number }
  | {
      kind: 'api_key';
      id: string;
      tenantId: string;
      permissions: ReadonlySet<Permission>;
      /** null = every KB of the tenant, present and future (`["*"]`). */
      kbIds: ReadonlySet<string> | null;
      /** ms since the epoch, or null when the key never expires. */
      expiresAt: number | null;
    };

export function describePrincipal(p: Principal): string {
  return p.kind === 'api_key' ? `api_key:${p.id}` : `${p.kind}:${p.id}`;
}

export function principalPermissions(p: Principal): ReadonlySet<Permission> | 'all' {
  return p.kind === 'admin' ? 'all' : p.permissions;
}

export function principalKbScope(p: Principal): ReadonlySet<string> | null {
  return p.kind === 'api_key' ? p.kbIds : null;
}
