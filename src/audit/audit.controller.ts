import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AdminOnly, RequirePermissions } from '../auth/decorators';
import { Page } from '../common/envelope';
import { VerifyResult } from './audit-chain';
import { AuditLogQuery } from './audit.dto';
import { AuditLogDto, AuditService } from './audit.service';

@ApiTags('audit')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('api/v1')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('tenants/:tenantId/audit-logs')
  @RequirePermissions('audit:read')
  @ApiOperation({ summary: "The tenant's audit log, newest first; filters action, actor, since, until" })
  async list(@Param('tenantId') tenantId: string, @Query() q: AuditLogQuery): Promise<Page<AuditLogDto>> {
    const { rows, total } = await this.audit.list(tenantId, {
      action: q.action,
      actor: q.actor,
      since: q.since ? new Date(q.since) : undefined,
      until: q.until ? new Date(q.until) : undefined,
      limit: q.limit,
      offset: q.offset,
    });
    return new Page(rows, total, q.limit, q.offset);
  }

  @Get('audit/verify')
  @AdminOnly()
  @ApiOperation({ summary: 'Verify the audit hash chain (platform admin): {valid, checked, first_broken_id?}' })
  verify(): Promise<VerifyResult> {
    return this.audit.verify();
  }
}
