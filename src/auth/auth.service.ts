import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomBytes } from 'node:crypto';
import { AppException } from '../common/app-exception';
import { AppConfig } from '../config/app-config';
import { DatabaseService, type Db } from '../database/database.service';
import { AuthRepository } from './auth.repository';
import type { MeDto } from './auth.dto';
import type { JwtClaims } from './jwt-verifier';
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords';
import { SecretsService } from './secrets.service';
import { isPermission, PERMISSIONS, ROLE_PERMISSIONS, TENANT_ROLES, TenantRole } from '../context/permissions';
import type { Principal } from '../context/principal';
import { SecurityEvents } from '../context/security-events';
import { TenantStatusService } from './tenant-status.service';
import { TenantEvents } from '../context/tenant-events';
import { AuthFailureCounter } from '../throttling/auth-failure.limiter';
import { iso } from '../common/text';

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly db: DatabaseService,
    private readonly repo: AuthRepository,
    private readonly config: AppConfig,
    private readonly jwt: JwtService,
    private readonly secrets: SecretsService,
    private readonly tenants: TenantStatusService,
    private readonly events: SecurityEvents,
    private readonly tenantEvents: TenantEvents,
    private readonly limiter: AuthFailureCounter,
  ) {}

  /**
   * The first admin. ADMIN_PASSWORD set → that password (and setting it again
   * later is how the admin password is changed: restart with the new value).
   * Unset on the first start → a generated password, printed once.
   */
  async onApplicationBootstrap(): Promise<void> {
    const { adminUsername, adminPassword } = this.config.settings;
    await this.db.withPlatform(async (db) => {
      // Admins have their own namespace (tenant_id NULL): a tenant user of the same name is another account.
      const existing = await this.repo.findAdminByName(db, adminUsername);
      if (!existing) {
        const password = adminPassword ?? randomBytes(18).toString('base64url');
        await this.repo.insertAdmin(db, adminUsername, await hashPassword(password));
        if (adminPassword) this.logger.log(`created platform admin "${adminUsername}" from ADMIN_PASSWORD`);
        else
          this.logger.warn(
            `created platform admin "${adminUsername}" with generated password ${password} — shown only this once; ` + 'to change it, set ADMIN_PASSWORD and restart the server',
          );
      } else if (adminPassword && !(await verifyPassword(existing.password_hash, adminPassword))) {
        // A new password also bumps token_version: the admin's tokens issued before it stop working.
        await this.repo.setPassword(db, existing.id, await hashPassword(adminPassword));
        this.tenantEvents.emit({ type: 'user_changed', tenantId: null, userId: existing.id });
        this.logger.log(`platform admin "${adminUsername}": password changed from ADMIN_PASSWORD; tokens issued before are no longer accepted`);
      }
    });
  }

  /**
   * Usernames are unique per tenant, and platform admins have their own
   * namespace. Without tenantId the platform admin of that name is meant if
   * there is one, else the only tenant user of that name; a name found in
   * several tenants needs tenantId and otherwise gets the same 401 as a wrong
   * password (no existence oracle). argon2 runs exactly once in every case
   * (against a dummy hash when no single account matches), so the answer
   * costs the same. The attempt is counted against the client IP before the
   * password is verified (AuthFailureCounter.beginLogin) and refunded when
   * it was right.
   */
  async login(username: string, password: string, ip?: string, tenantId?: string): Promise<{ access_token: string; token_type: 'bearer'; expires_in: number }> {
    const attempt = await this.limiter.beginLogin(ip, username);
    try {
      const rows = await this.db.withPlatform((db) => this.repo.loginCandidates(db, username, tenantId ?? null));
      const user = rows[0]?.tenant_id === null || rows.length === 1 ? rows[0] : undefined;
      const ok = await verifyPassword(user?.password_hash ?? (await dummyPasswordHash()), password);
      if (!user || !ok || !user.is_active) {
        this.events.emit({ type: 'auth_failed', reason: 'bad_password', ip });
        throw AppException.unauthenticated('Wrong username or password. (If your username exists in several tenants, send tenant_id with it.)');
      }
      await attempt.succeeded();
      if (user.tenant_id && (await this.tenants.statusOf(user.tenant_id)) !== 'active') {
        throw new AppException('TENANT_SUSPENDED', 'This tenant is suspended or deleted.');
      }
      const ver = Number(user.token_version);
      const admin = user.role === 'admin';
      return {
        ...(await this.issue({ id: user.id, username: user.username, tenantId: admin ? null : user.tenant_id!, role: user.role, ver })),
        token_type: 'bearer',
      };
    } finally {
      await attempt.end();
    }
  }

  /** Signs a token for TOKEN_EXPIRE_HOURS from now: an admin's (no tenant), else a tenant user's with its role. */
  private async issue(a: { id: string; username: string; tenantId: string | null; role: JwtClaims['role']; ver: number }): Promise<{ access_token: string; expires_in: number }> {
    const claims: JwtClaims =
      a.tenantId === null
        ? { sub: a.id, username: a.username, kind: 'admin', role: 'admin', ver: a.ver }
        : { sub: a.id, username: a.username, kind: 'user', tenant_id: a.tenantId, role: a.role, ver: a.ver };
    const expiresIn = Math.round(this.config.settings.tokenExpireHours * 3600);
    const access_token = await this.jwt.signAsync(claims, { secret: this.secrets.tokenSecret, algorithm: this.config.settings.jwtAlgorithm, expiresIn });
    return { access_token, expires_in: expiresIn };
  }

  /**
   * A new token for the admin or user whose bearer token the guard has just
   * accepted (LightRAG's X-New-Token renewal): the same account and token
   * version — so a password change, which bumps the version, ends it as it ends
   * the old one — with the role the guard read from the database, and a full
   * TOKEN_EXPIRE_HOURS. Null for an API key, which has no token to renew.
   */
  async renewToken(principal: Principal): Promise<string | null> {
    if (principal.kind === 'api_key') return null;
    const admin = principal.kind === 'admin';
    const account = { id: principal.id, username: principal.username, ver: principal.tokenVersion };
    return (await this.issue(admin ? { ...account, tenantId: null, role: 'admin' } : { ...account, tenantId: principal.tenantId, role: principal.role })).access_token;
  }

  /**
   * The caller as stored now, read from the primary (a replica could still
   * show a demoted role): a user's role and permissions are the stored role's,
   * whatever the token says. The guard has already refused a disabled,
   * deleted or re-passworded account and a revoked or expired key; one
   * changed between the guard and this read is refused here the same way.
   */
  async me(principal: Principal): Promise<MeDto> {
    const none = { key_name: null, key_prefix: null, knowledge_base_ids: null, expires_at: null };
    if (principal.kind === 'api_key') {
      const k = await this.db.withTenant(principal.tenantId, (db) => this.repo.apiKeyIdentity(db, principal.tenantId, principal.id));
      if (!k || k.revoked_at !== null) throw AppException.unauthenticated('The API key has been revoked.');
      if (k.expires_at !== null && new Date(k.expires_at).getTime() <= Date.now()) throw AppException.unauthenticated('The API key has expired.');
      return {
        kind: 'api_key',
        id: k.id,
        username: null,
        key_name: k.name,
        key_prefix: k.key_prefix,
        tenant_id: principal.tenantId,
        role: null,
        permissions: k.permissions.filter(isPermission),
        knowledge_base_ids: k.kb_ids ?? ['*'],
        expires_at: iso(k.expires_at),
      };
    }
    const tenantId = principal.kind === 'user' ? principal.tenantId : null;
    const read = (db: Db) => this.repo.accountIdentity(db, tenantId, principal.id);
    const u = tenantId ? await this.db.withTenant(tenantId, read) : await this.db.withPlatform(read);
    if (principal.kind === 'admin') {
      if (!u?.is_active || u.role !== 'admin') throw AppException.unauthenticated('This admin no longer exists or is disabled.');
      return { kind: 'admin', id: u.id, username: u.username, tenant_id: null, role: 'admin', permissions: [...PERMISSIONS], ...none };
    }
    if (!u?.is_active || !TENANT_ROLES.includes(u.role as TenantRole)) throw AppException.unauthenticated('This user no longer exists or is disabled.');
    const role = u.role as TenantRole;
    return { kind: 'user', id: u.id, username: u.username, tenant_id: tenantId, role, permissions: [...ROLE_PERMISSIONS[role]], ...none };
  }
}
