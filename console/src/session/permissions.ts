/**
 * The permission names and fixed roles are the server's own module (src/context/permissions.ts has no
 * imports, so the console bundles it as it is): one list, no copy to drift. Used only to hide what the
 * user cannot do: the server checks every request itself.
 */
export { PERMISSIONS, ROLE_PERMISSIONS, type Permission } from '../../../src/context/permissions';
import { TENANT_ROLES, type TenantRole } from '../../../src/context/permissions';

export const ROLES = TENANT_ROLES;
export type Role = TenantRole;
