import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../common/audit-action';
import { CurrentPrincipal, RequirePermissions } from '../context/decorators';
import type { Principal } from '../context/principal';
import { Page } from '../common/envelope';
import { PageQuery } from '../common/pagination';
import { UuidParam } from '../common/params';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-keys.dto';
import { ApiKeysService } from './api-keys.service';

@ApiTags('api-keys')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('tenants/:tenantId/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @RequirePermissions('apikey:manage')
  @AuditAction('apikey.create')
  @ApiOperation({ summary: 'Create an API key; the full key is in this response only' })
  create(@Param('tenantId') tenantId: string, @CurrentPrincipal() principal: Principal, @Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.keys.create(tenantId, principal, body);
  }

  @Get()
  @RequirePermissions('apikey:manage')
  @ApiOperation({ summary: 'List API keys (never the key itself; a KB-scoped key sees the keys inside its scope)' })
  list(@Param('tenantId') tenantId: string, @CurrentPrincipal() principal: Principal, @Query() q: PageQuery): Promise<Page<ApiKeyDto>> {
    return this.keys.list(tenantId, principal, q.limit, q.offset);
  }

  @Get(':keyId')
  @RequirePermissions('apikey:manage')
  @ApiOperation({ summary: 'Get one API key (never the key itself)' })
  get(@Param('tenantId') tenantId: string, @CurrentPrincipal() principal: Principal, @UuidParam('keyId') keyId: string): Promise<ApiKeyDto> {
    return this.keys.get(tenantId, principal, keyId);
  }

  @Delete(':keyId')
  @RequirePermissions('apikey:manage')
  @AuditAction('apikey.revoke')
  @ApiOperation({ summary: 'Revoke an API key (takes effect at once)' })
  revoke(@Param('tenantId') tenantId: string, @CurrentPrincipal() principal: Principal, @UuidParam('keyId') keyId: string): Promise<ApiKeyDto> {
    return this.keys.revoke(tenantId, principal, keyId);
  }
}
