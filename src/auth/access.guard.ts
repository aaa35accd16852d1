import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AppException } from '../common/app-exception';
import { isDatabaseUnavailable } from '../common/error-mapping';
import { ApiKeyAuthenticator, AuthFailure } from './api-key-authenticator';
import { API_KEY_PREFIX } from './api-key-format';
import { ADMIN_ONLY, IS_PUBLIC, REQUIRED_PERMISSIONS } from '../context/decorators';
import { Permission, ROLE_PERMISSIONS } from '../context/permissions';
import { Principal, describePrincipal } from '../context/principal';
import { DenialKind, SecurityEvents } from '../context/security-events';
import { TenantContext } from '../context/tenant-context';
import { ScopeResolvers, WORKSPACE_SCOPE, WorkspaceNeed } from '../context/workspace-scope';
import { TenantThrottlerGuard } from '../throttling/tenant-throttler.guard';
import { TenantStatusService } from './tenant-status.service';
import { UserStatusService } from './user-status.service';
import { JwtVerifier } from './jwt-verifier';
import { VerifiedTokenCache } from './verified-token-cache';

const STALE_TOKEN = 'This token was issued before the password was changed; log in again.';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The one global guard (deny by default). In order:
 *  1. @Public() routes pass;
 *  2. authenticate: X-API-Key (or `Bearer sk-…`) → API key; other Bearer → JWT,
 *     whose user or admin is re-read (cached 5 s): it must exist, be active and
 *     still be at the token's version (a password change bumps it);
 *  3. on @WorkspaceScoped() routes (the LightRAG-compatible API), the tenant
 *     and KB come from the registered ScopeResolver instead of the path, after
 *     the tenant's status and the user's state are checked;
 *     the composite tenant:kb check: the path's tenant must be the principal's,
 *     the path's KB must be inside the key's KB scope (foreign ids → 403 whether
 *     or not they exist), the tenant must be active;
 *  4. @AdminOnly() and @RequirePermissions(...);
 *  5. the TenantContext is filled for everything downstream;
 *  6. the tenant's rate limit (TenantThrottlerGuard): last, so a request
 *     refused above never spends the tenant's budget.
 * There is no other global guard.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly verifiedTokens = new VerifiedTokenCache();

  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeyAuthenticator,
    private readonly tenants: TenantStatusService,
    private readonly users: UserStatusService,
    private readonly context: TenantContext,
    private readonly events: SecurityEvents,
    private readonly throttler: TenantThrottlerGuard,
    private readonly jwt: JwtVerifier,
    private readonly scopes: ScopeResolvers,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    const params = (req.params ?? {}) as Record<string, string | undefined>;
    let pathTenant = params.tenantId;
    let pathKb = params.kbId;
    const scoped = this.reflector.getAllAndOverride<WorkspaceNeed | undefined>(WORKSPACE_SCOPE, targets);

    const authenticated = await this.authenticate(req);
    const base = { principal: describePrincipal(authenticated), ip: req.ip, requestId: String(req.id), method: req.method, route: req.routeOptions?.url };

    if (authenticated.kind === 'admin') {
      const admin = await this.users.adminStateOf(authenticated.id);
      if (!admin || admin.tokenVersion !== authenticated.tokenVersion) {
        this.events.emit({ type: 'auth_failed', reason: 'inactive', ...base });
        throw AppException.unauthenticated(admin ? STALE_TOKEN : 'This admin no longer exists or is disabled.');
      }
      if (scoped) ({ tenantId: pathTenant, kbId: pathKb } = await this.scopes.get().resolve(req, authenticated, scoped));
      if (pathTenant !== undefined && !UUID.test(pathTenant)) throw AppException.validation('tenantId must be a UUID.', [{ field: 'tenantId', message: 'must be a UUID' }]);
      if (pathKb !== undefined && !UUID.test(pathKb)) throw AppException.validation('kbId must be a UUID.', [{ field: 'kbId', message: 'must be a UUID' }]);
      // The admin may act on a suspended or deleted tenant (to restore it), but not on one that never existed.
      if (pathTenant !== undefined && (await this.tenants.statusOf(pathTenant)) === 'missing') throw AppException.notFound('The tenant');
      this.context.set(authenticated, pathTenant, pathKb);
      return this.throttler.canActivate(ctx);
    }
    let principal: Exclude<Principal, { kind: 'admin' }> = authenticated;

    const deny = (kind: DenialKind, message?: string): never => {
      this.events.emit({ type: 'denied', reason: kind, tenantId: principal.tenantId, kbId: pathKb, ...base });
      if (kind === 'tenant_suspended') throw new AppException('TENANT_SUSPENDED', 'This tenant is suspended or deleted.');
      throw AppException.forbidden(message);
    };

    const status = await this.tenants.statusOf(principal.tenantId);
    if (status !== 'active') deny('tenant_suspended');
    if (principal.kind === 'user') {
      const state = await this.users.stateOf(principal.tenantId, principal.id);
      if (!state || state.tokenVersion !== principal.tokenVersion) {
        this.events.emit({ type: 'auth_failed', reason: 'inactive', ...base });
        throw AppException.unauthenticated(state ? STALE_TOKEN : 'This user no longer exists or is disabled.');
      }
      // The stored role wins over the token's: a demoted user must not keep the old role until the token expires.
      if (state.role !== principal.role) principal = { ...principal, role: state.role, permissions: new Set(ROLE_PERMISSIONS[state.role]) };
    }
    if (scoped) ({ tenantId: pathTenant, kbId: pathKb } = await this.scopes.get().resolve(req, principal, scoped));
    if (this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets)) deny('admin_only', 'Only the platform admin may do this.');
    if (pathTenant !== undefined && pathTenant !== principal.tenantId) deny('cross_tenant');
    if (pathKb !== undefined && principal.kind === 'api_key' && principal.kbIds !== null && !principal.kbIds.has(pathKb)) deny('cross_kb');

    const required = this.reflector.getAllAndOverride<Permission[] | undefined>(REQUIRED_PERMISSIONS, targets) ?? [];
    for (const p of required) if (!principal.permissions.has(p)) deny('permission', `This credential lacks the ${p} permission.`);
    if (pathKb !== undefined && !UUID.test(pathKb)) throw AppException.validation('kbId must be a UUID.', [{ field: 'kbId', message: 'must be a UUID' }]);

    this.context.set(principal, principal.tenantId, pathKb);
    return this.throttler.canActivate(ctx);
  }

  private async authenticate(req: FastifyRequest): Promise<Principal> {
    const headerKey = req.headers['x-api-key'];
    const authz = req.headers.authorization;
    try {
      if (typeof headerKey === 'string' && headerKey.length > 0) return await this.apiKeys.authenticate(headerKey.trim());
      if (typeof authz === 'string' && /^bearer\s+/i.test(authz)) {
        const token = authz.replace(/^bearer\s+/i, '').trim();
        if (token.startsWith(API_KEY_PREFIX)) return await this.apiKeys.authenticate(token);
        const known = this.verifiedTokens.get(token);
        if (known) return known;
        const principal = await this.jwt.verify(token);
        this.verifiedTokens.remember(token, principal);
        return principal;
      }
      throw new AuthFailure('missing', 'Credentials are required: send X-API-Key or Authorization: Bearer.');
    } catch (err) {
      // The key's lookup could not reach the database: an outage (503), not a
      // failed authentication — counting it would lock every client out of
      // the failed-auth budget for minutes after the database returns.
      if (isDatabaseUnavailable(err)) throw new AppException('UNAVAILABLE', 'The database is unavailable; try again shortly.');
      const reason = err instanceof AuthFailure ? err.reason : 'bad_token';
      this.events.emit({ type: 'auth_failed', reason, ip: req.ip, requestId: String(req.id), method: req.method, route: req.routeOptions?.url });
      if (err instanceof AppException) throw err;
      throw AppException.unauthenticated('The bearer token is invalid or has expired.');
    }
  }
}
