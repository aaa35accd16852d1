import { applyDecorators, HttpCode, UseGuards } from '@nestjs/common';
import { AuditAction } from '../common/audit-action';
import { RequirePermissions } from '../context/decorators';
import { RateLimit } from '../throttling/rate-limit.decorator';
import { ConsumesModelBudget, ModelBudgetGuard } from '../usage/model-budget';

/**
 * A route that runs a query on the tenant's account (the native query routes,
 * and LightRAG's query, chat and generate): 200, query:run, the tenant's query
 * rate limit, its monthly model budget, one query.run audit entry.
 */
export const RunsQuery = () =>
  applyDecorators(HttpCode(200), RequirePermissions('query:run'), RateLimit('query'), ConsumesModelBudget('query'), UseGuards(ModelBudgetGuard), AuditAction('query.run'));
