import { Global, Module } from '@nestjs/common';
import { TenantEvents } from './tenant-events';
import { TenantsController } from './tenants.controller';
import { TenantsRepository } from './tenants.repository';
import { TenantsService } from './tenants.service';

@Global()
@Module({
  controllers: [TenantsController],
  providers: [TenantsRepository, TenantsService, TenantEvents],
  exports: [TenantsService, TenantEvents],
})
export class TenantsModule {}
