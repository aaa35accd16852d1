import { Body, Controller, Delete, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { AuditAction } from '../../common/audit-action';
import { RequirePermissions } from '../../context/decorators';
import { LlmKeyStatus, TenantLlmKeysService } from './tenant-llm-keys.service';

export class SetLlmKeyDto {
  @ApiProperty({ description: "The tenant's own API key for the LLM provider; stored encrypted, never returned", writeOnly: true })
  @IsString()
  @IsNotEmpty()
  @MinLength(8)
  @MaxLength(512)
  // It is sent as an HTTP header (Authorization: Bearer …): printable ASCII only,
  // or every later model call of the tenant fails (found by the fuzz suite).
  @Matches(/^[\x21-\x7e]+$/, { message: 'api_key must be printable ASCII without whitespace' })
  api_key: string;
}

@ApiTags('tenants')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('tenants/:tenantId/llm-key')
export class TenantLlmKeysController {
  constructor(private readonly keys: TenantLlmKeysService) {}

  @Get()
  @RequirePermissions('tenant:read')
  @ApiOperation({ summary: 'Whether the tenant has its own LLM key (only a masked suffix, never the key)' })
  get(@Param('tenantId') tenantId: string): Promise<LlmKeyStatus> {
    return this.keys.status(tenantId);
  }

  @Put()
  @RequirePermissions('tenant:write')
  @AuditAction('tenant.llm_key.set')
  @ApiOperation({ summary: "Set the tenant's own LLM key (AES-256-GCM at rest; needs ENCRYPTION_KEY on the server, else 409)" })
  set(@Param('tenantId') tenantId: string, @Body() body: SetLlmKeyDto): Promise<LlmKeyStatus> {
    return this.keys.set(tenantId, body.api_key);
  }

  @Delete()
  @RequirePermissions('tenant:write')
  @AuditAction('tenant.llm_key.remove')
  @ApiOperation({ summary: "Remove the tenant's own LLM key: its calls go back to the server's key" })
  remove(@Param('tenantId') tenantId: string): Promise<LlmKeyStatus> {
    return this.keys.remove(tenantId);
  }
}
