import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ClsServiceManager } from 'nestjs-cls';
import { AppException } from '../common/app-exception';
import type { Principal } from './principal';
import { PRINCIPAL_KEY } from './tenant-context';
import type { Permission } from './permissions';

function currentPrincipal(): Principal | undefined {
  const cls = ClsServiceManager.getClsService();
  return cls.isActive() ? cls.get(PRINCIPAL_KEY) : undefined;
}

export const IS_PUBLIC = 'strata:public';
export const REQUIRED_PERMISSIONS = 'strata:permissions';
export const ADMIN_ONLY = 'strata:admin-only';
export const ANY_CALLER = 'strata:any-caller';

/** No credentials needed (health, login, docs). Everything else is denied by default. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The caller must hold every listed permission in the path's tenant (and KB). */
export const RequirePermissions = (...permissions: Permission[]) => SetMetadata(REQUIRED_PERMISSIONS, permissions);

/** Only the platform admin (tenant lifecycle, audit verification). */
export const AdminOnly = () => SetMetadata(ADMIN_ONLY, true);

/**
 * Any authenticated caller, with no tenant, KB or permission to check: the
 * route answers only about the caller itself (GET /auth/me). The guard still
 * authenticates; the marker declares that the missing tenant scope is meant
 * (the route matrix, test/support/route-matrix.ts, classes such routes `self`).
 */
export const AnyCaller = () => SetMetadata(ANY_CALLER, true);

/**
 * The authenticated caller of this request, as AccessGuard resolved it (the
 * stored role already applied). Only on routes that are not @Public(): the
 * guard has denied every request without a principal before a handler runs.
 */
export const CurrentPrincipal = createParamDecorator((_data: unknown, _ctx: ExecutionContext): Principal => {
  const principal = currentPrincipal();
  if (!principal) throw new AppException('INTERNAL_ERROR', 'No principal in the request context (a @Public route asked for one).');
  return principal;
});
