import { Global, Module } from '@nestjs/common';
import { TenantContext } from './tenant-context';
import { TenantEvents } from './tenant-events';

/**
 * The request context every feature shares: who is calling, in which tenant
 * and KB (TenantContext), and the one path by which tenant, KB, key and user
 * changes reach whoever caches them (TenantEvents). Global, like config and
 * the database; every other module imports what it uses.
 */
@Global()
@Module({
  providers: [TenantContext, TenantEvents],
  exports: [TenantContext, TenantEvents],
})
export class ContextModule {}
