import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../common/audit-action';
import { AdminOnly, RequirePermissions } from '../context/decorators';
import { TenantContext } from '../context/tenant-context';
import { Page } from '../common/envelope';
import { CreateTenantDto, DeleteTenantQuery, ListTenantsQuery, TenantDto, UpdateTenantDto } from './tenants.dto';
import { TenantsService } from './tenants.service';

@ApiTags('tenants')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('tenants')
export class TenantsController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly context: TenantContext,
  ) {}

  @Post()
  @AdminOnly()
  @AuditAction('tenant.create')
  @ApiOperation({ summary: 'Create a tenant (platform admin)' })
  create(@Body() body: CreateTenantDto): Promise<TenantDto> {
    return this.tenants.create(body);
  }

  @Get()
  @AdminOnly()
  @ApiOperation({ summary: 'List tenants (platform admin); ?search= filters by name or slug' })
  list(@Query() q: ListTenantsQuery): Promise<Page<TenantDto>> {
    return this.tenants.list(q.include_deleted === 'true', q.limit, q.offset, q.search);
  }

  @Get(':tenantId')
  @RequirePermissions('tenant:read')
  @ApiOperation({ summary: 'Get a tenant' })
  get(@Param('tenantId') tenantId: string): Promise<TenantDto> {
    return this.tenants.get(tenantId);
  }

  @Patch(':tenantId')
  @RequirePermissions('tenant:write')
  @AuditAction('tenant.update')
  @ApiOperation({ summary: 'Update a tenant; the admin may also suspend ({"is_active": false}), change tier or limits' })
  update(@Param('tenantId') tenantId: string, @Body() body: UpdateTenantDto): Promise<TenantDto> {
    return this.tenants.update(tenantId, body, this.context.principal?.kind === 'admin');
  }

  @Delete(':tenantId')
  @AdminOnly()
  @AuditAction('tenant.delete')
  @ApiOperation({ summary: 'Soft-delete a tenant (purged after TENANT_RETENTION_DAYS), or purge now with ?purge=true' })
  remove(@Param('tenantId') tenantId: string, @Query() q: DeleteTenantQuery): Promise<unknown> {
    return this.tenants.remove(tenantId, q.purge === 'true');
  }
}
