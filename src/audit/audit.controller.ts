import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AdminOnly, RequirePermissions } from '../context/decorators';
import { Page } from '../common/envelope';
import { VerifyAllResult, VerifyResult } from './audit-chain';
import { AuditLogQuery, VerifyAuditBody } from './audit.dto';
import { AuditLogDto, AuditService } from './audit.service';

@ApiTags('audit')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller()
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

  @Get('tenants/:tenantId/audit-logs/verify')
  @RequirePermissions('audit:read')
  @ApiOperation({
    summary:
      "Verify the tenant's own audit chain: {valid, checked, chain, starts_at_seq?, head_seq?, head_hash?} or, when broken, first_broken_id, first_broken_seq and reason; record head_seq and head_hash outside the database",
  })
  verifyTenant(@Param('tenantId') tenantId: string): Promise<VerifyResult & { chain: string }> {
    return this.audit.verifyTenant(tenantId);
  }

  @Get('audit/verify')
  @AdminOnly()
  @ApiOperation({
    summary: 'Verify the keyed audit chains (platform admin): {valid, checked, first_broken_id?, heads: [{chain, seq, hash, rows}]}; record `heads` outside the database',
  })
  verify(): Promise<VerifyAllResult> {
    return this.audit.verify();
  }

  @Post('audit/verify')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Verify the audit chains and check heads recorded earlier ({heads}): truncation (newest rows or a whole chain deleted) is reported in `truncated`' })
  verifyAgainst(@Body() body: VerifyAuditBody): Promise<VerifyAllResult> {
    return this.audit.verify(body.heads.map((h) => ({ chain: h.chain.toLowerCase(), seq: h.seq, hash: h.hash })));
  }
}
