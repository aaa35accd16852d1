import { Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { PinoLogger } from 'nestjs-pino';
import { AppException } from '../common/app-exception';
import type { Permission } from './permissions';
import { Principal, principalKbScope, principalPermissions } from './principal';

export const PRINCIPAL_KEY = 'strata.principal';
const PRINCIPAL = PRINCIPAL_KEY;
/** Where the request's tenant is kept in the CLS store (read by DatabaseService to give the tenant's units their turn). */
export const TENANT_KEY = 'strata.tenantId';
const TENANT = TENANT_KEY;
const KB = 'strata.kbId';

/**
 * The request's tenant, KB, principal and request id, kept in AsyncLocalStorage
 * (nestjs-cls) so services stay singletons (no Scope.REQUEST on the hot path).
 * Work that leaves the request (ingestion jobs) carries tenant_id/kb_id in its
 * payload and re-enters a context with `runAs`.
 */
@Injectable()
export class TenantContext {
  constructor(
    private readonly cls: ClsService,
    private readonly logger: PinoLogger,
  ) {}

  get requestId(): string | undefined {
    return this.cls.isActive() ? this.cls.getId() : undefined;
  }

  get principal(): Principal | undefined {
    return this.cls.isActive() ? this.cls.get(PRINCIPAL) : undefined;
  }

  get tenantId(): string | undefined {
    return this.cls.isActive() ? this.cls.get(TENANT) : undefined;
  }

  get kbId(): string | undefined {
    return this.cls.isActive() ? this.cls.get(KB) : undefined;
  }

  /** The tenant of this request; throws if the route is not tenant-scoped (a programming error). */
  requireTenantId(): string {
    const t = this.tenantId;
    if (!t) throw new AppException('INTERNAL_ERROR', 'No tenant in the request context.');
    return t;
  }

  get permissions(): ReadonlySet<Permission> | 'all' {
    const p = this.principal;
    return p ? principalPermissions(p) : new Set();
  }

  /** null = every KB of the tenant. */
  get allowedKbIds(): ReadonlySet<string> | null {
    const p = this.principal;
    return p ? principalKbScope(p) : new Set();
  }

  set(principal: Principal | undefined, tenantId: string | undefined, kbId: string | undefined): void {
    this.cls.set(PRINCIPAL, principal);
    this.cls.set(TENANT, tenantId);
    this.cls.set(KB, kbId);
    try {
      // From here on every log line of this request names its tenant and KB.
      this.logger.assign({ tenant_id: tenantId, kb_id: kbId, principal: principal ? `${principal.kind}:${principal.id}` : undefined });
    } catch {
      // outside an HTTP request (jobs, tests): nothing to bind
    }
  }

  /** Runs background work inside a fresh context for one tenant/KB (e.g. an ingestion job). */
  runAs<T>(scope: { tenantId: string; kbId?: string; requestId?: string }, work: () => Promise<T>): Promise<T> {
    return this.cls.run(async () => {
      if (scope.requestId) this.cls.set('CLS_ID', scope.requestId);
      this.cls.set(TENANT, scope.tenantId);
      this.cls.set(KB, scope.kbId);
      return work();
    });
  }
}
