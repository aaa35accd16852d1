import { SetMetadata } from '@nestjs/common';
import type { Permission } from './permissions';

export const IS_PUBLIC = 'strata:public';
export const REQUIRED_PERMISSIONS = 'strata:permissions';
export const ADMIN_ONLY = 'strata:admin-only';

/** No credentials needed (health, login, docs). Everything else is denied by default. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The caller must hold every listed permission in the path's tenant (and KB). */
export const RequirePermissions = (...permissions: Permission[]) => SetMetadata(REQUIRED_PERMISSIONS, permissions);

/** Only the platform admin (tenant lifecycle, audit verification). */
export const AdminOnly = () => SetMetadata(ADMIN_ONLY, true);
