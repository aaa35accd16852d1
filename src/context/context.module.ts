import { Global, Module } from '@nestjs/common';
import { TenantContext } from './tenant-context';
import { SecurityEvents } from './security-events';
import { TenantEvents } from './tenant-events';
import { ScopeResolvers } from './workspace-scope';

/**
 * The request context every feature shares: who is calling, in which tenant
 * and KB (TenantContext); the one path by which tenant, KB, key and user
 * changes reach whoever caches them (TenantEvents); the path by which failed
 * authentications and denials reach metrics and audit (SecurityEvents); the
 * resolver of routes whose tenant and KB are not in the path (ScopeResolvers).
 * Global, like config and the database; every other module imports what it uses.
 */
@Global()
@Module({
  providers: [TenantContext, TenantEvents, SecurityEvents, ScopeResolvers],
  exports: [TenantContext, TenantEvents, SecurityEvents, ScopeResolvers],
})
export class ContextModule {}
