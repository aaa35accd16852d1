import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../context/decorators';
import { AppException } from '../common/app-exception';
import { UsageQuery } from './usage.dto';
import { UsageService } from './usage.service';

@ApiTags('usage')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('tenants/:tenantId/usage')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get()
  @RequirePermissions('usage:read')
  @ApiOperation({
    summary:
      'Model usage and estimated cost by day, model, KB and API key, with totals and the monthly model budget status (limits: warning from 80 %, exceeded from 100 % — model-calling routes then answer 429 QUOTA_EXCEEDED)',
  })
  get(@Param('tenantId') tenantId: string, @Query() q: UsageQuery) {
    const now = new Date();
    const since = q.since ? new Date(q.since) : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const until = q.until ? new Date(q.until) : new Date(now.getTime() + 1000);
    if (since.getTime() >= until.getTime()) throw AppException.validation('since must be before until.', [{ field: 'since', message: 'must be before until' }]);
    return this.usage.report(tenantId, since, until);
  }
}
